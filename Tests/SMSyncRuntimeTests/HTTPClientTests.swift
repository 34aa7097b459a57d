import Foundation
import Logging
import SMSync
import Synchronization
import Testing

@testable import SMSyncRuntime

/// Records the waits of an HTTPClient instead of sleeping.
final class SleepRecorder: Sendable {
    private let values = Mutex<[Double]>([])
    var waits: [Double] { values.withLock { $0 } }
    var sleep: @Sendable (Double) async -> Void {
        { seconds in self.values.withLock { $0.append(seconds) } }
    }
}

/// A fixed "now": 2023-11-14T22:13:20Z.
let fixedNow = Date(timeIntervalSince1970: 1_700_000_000)

func testPolicy(
    // Generous: a loopback test is about what the client does, and a busy test process can leave a server
    // unscheduled for seconds. Tests about timeouts pass their own.
    timeout: Double = 60,
    connectTimeout: Double = 30,
    retries: Int = 2,
    maxBytes: Int = 1 << 20,
    perHost: Int = 4,
    maxRetryWait: Double = 60
) -> HTTPPolicy {
    HTTPPolicy(
        timeout: timeout,
        connectTimeout: connectTimeout,
        retries: retries,
        maxBytes: maxBytes,
        perHost: perHost,
        userAgent: "smsync/9.9.9-test",
        maxRetryWait: maxRetryWait,
        backoffBase: 0.5,
        backoffCap: 4
    )
}

/// A transport that answers from a script and records what it was sent.
final class ScriptedTransport: HTTPTransport {
    enum Step: Sendable {
        case respond(Int, [String: String], String)
        case fail(HTTPError.Kind)
    }

    private struct State {
        var steps: [Step]
        var sent: [HTTPRequest] = []
        var inFlight = 0
        var maxInFlight = 0
    }

    private let state: Mutex<State>
    private let hold: Double
    private let gate: Gate?

    /// - Parameters:
    ///   - hold: seconds each send takes (really sleeping), to overlap concurrent sends.
    ///   - gate: when given, each send waits for it to open.
    init(_ steps: [Step], hold: Double = 0, gate: Gate? = nil) {
        state = Mutex(State(steps: steps))
        self.hold = hold
        self.gate = gate
    }

    var sent: [HTTPRequest] { state.withLock { $0.sent } }
    var maxInFlight: Int { state.withLock { $0.maxInFlight } }

    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let step = state.withLock { state -> Step in
            state.sent.append(request)
            state.inFlight += 1
            state.maxInFlight = max(state.maxInFlight, state.inFlight)
            return state.steps.count > 1 ? state.steps.removeFirst() : state.steps.first ?? .respond(200, [:], "")
        }
        if hold > 0 {
            try? await Task.sleep(for: .seconds(hold))
        }
        await gate?.wait()
        state.withLock { $0.inFlight -= 1 }
        switch step {
        case .respond(let status, let headers, let body):
            return HTTPResponse(url: request.url, status: status, headers: headers, body: Array(body.utf8))
        case .fail(let kind):
            throw HTTPError(kind, url: request.url, method: request.method, message: "scripted failure")
        }
    }
}

@Suite("HTTP client: retries, rate limits, caps (scripted transport)")
struct HTTPClientTests {
    let url =
        URL(string: "https://api.example.test/repos/aws/sagemaker-distribution/releases") ?? URL(fileURLWithPath: "/")

    func client(
        _ transport: ScriptedTransport,
        _ recorder: SleepRecorder,
        policy: HTTPPolicy = testPolicy()
    ) -> HTTPClient {
        HTTPClient(
            policy: policy,
            transport: transport,
            sleep: recorder.sleep,
            random: { $0.upperBound },
            now: { fixedNow }
        )
    }

    @Test func addsUserAgentAndConditionalHeaders() async throws {
        let transport = ScriptedTransport([.respond(304, ["ETag": "\"v1\""], "")])
        let http = client(transport, SleepRecorder())
        let validators = HTTPValidators(etag: "\"v1\"", lastModified: "Tue, 14 Nov 2023 22:00:00 GMT")
        let response = try await http.fetch(HTTPRequest(url: url, validators: validators))
        #expect(response.notModified)
        let sent = try #require(transport.sent.first)
        #expect(sent.header("user-agent") == "smsync/9.9.9-test")
        #expect(sent.header("if-none-match") == "\"v1\"")
        #expect(sent.header("if-modified-since") == "Tue, 14 Nov 2023 22:00:00 GMT")
    }

    @Test func retriesWithDoublingFullJitterBackoff() async throws {
        let transport = ScriptedTransport([
            .fail(.connection), .respond(502, [:], ""), .fail(.timeout), .respond(200, [:], "ok"),
        ])
        let recorder = SleepRecorder()
        let http = client(transport, recorder, policy: testPolicy(retries: 3))
        let response = try await http.fetch(HTTPRequest(url: url))
        #expect(response.text == "ok")
        #expect(await http.requestCount == 4)
        // random returns the ceiling: base 0.5 doubling per retry.
        #expect(recorder.waits == [0.5, 1, 2])
    }

    @Test func jitterStaysBelowTheCeiling() async throws {
        let transport = ScriptedTransport([.respond(503, [:], ""), .respond(503, [:], ""), .respond(200, [:], "")])
        let recorder = SleepRecorder()
        let http = HTTPClient(
            policy: testPolicy(),
            transport: transport,
            sleep: recorder.sleep,
            random: { range in range.lowerBound + (range.upperBound - range.lowerBound) * 0.25 },
            now: { fixedNow }
        )
        _ = try await http.fetch(HTTPRequest(url: url))
        #expect(recorder.waits == [0.125, 0.25])
    }

    @Test func givesUpAfterTheRetriesWithTheLastStatus() async throws {
        let transport = ScriptedTransport([.respond(500, ["Content-Type": "text/plain"], "boom")])
        let recorder = SleepRecorder()
        let http = client(transport, recorder, policy: testPolicy(retries: 2))
        let error = await #expect(throws: HTTPError.self) { try await http.fetch(HTTPRequest(url: url)) }
        #expect(error?.kind == .status(500))
        #expect(error?.attempts == 3)
        #expect(error?.description.contains("boom") == true)
        #expect(error?.description.contains("after 3 attempts") == true)
        #expect(recorder.waits.count == 2)
    }

    /// As the one HTTP seam, the client returns the final response whatever its status, after the same retries,
    /// with the policy's bounds filled in on the request the transport sees.
    @Test func sendReturnsTheFinalStatusAsAResponseAfterTheRetries() async throws {
        let transport = ScriptedTransport([.respond(503, [:], "busy"), .respond(404, [:], "gone")])
        let recorder = SleepRecorder()
        let http = client(transport, recorder, policy: testPolicy(timeout: 7, connectTimeout: 3, retries: 2))
        let response = try await http.send(HTTPRequest(url: url, maxBytes: 99))
        #expect(response.status == 404)
        #expect(response.text == "gone")
        #expect(transport.sent.count == 2)
        #expect(recorder.waits.count == 1)
        #expect(transport.sent.first?.timeout == 7)
        #expect(transport.sent.first?.connectTimeout == 3)
        #expect(transport.sent.first?.maxBytes == 99)
        let exhausted = ScriptedTransport([.respond(500, [:], "boom")])
        let last = try await client(exhausted, SleepRecorder(), policy: testPolicy(retries: 1)).send(
            HTTPRequest(url: url))
        #expect(last.status == 500)
        #expect(exhausted.sent.count == 2)
        #expect(exhausted.sent.first?.maxBytes == testPolicy().maxBytes)
    }

    @Test(arguments: [400, 401, 403, 404, 410, 422])
    func otherClientErrorsAreNotRetried(status: Int) async throws {
        let transport = ScriptedTransport([.respond(status, [:], ""), .respond(200, [:], "")])
        let recorder = SleepRecorder()
        let http = client(transport, recorder)
        let error = await #expect(throws: HTTPError.self) { try await http.fetch(HTTPRequest(url: url)) }
        #expect(error?.kind == .status(status))
        #expect(error?.attempts == 1)
        #expect(transport.sent.count == 1)
        #expect(recorder.waits.isEmpty)
    }

    @Test(arguments: [HTTPError.Kind.tooLarge, .invalidURL, .cancelled])
    func nonTransientFailuresAreNotRetried(kind: HTTPError.Kind) async throws {
        let transport = ScriptedTransport([.fail(kind), .respond(200, [:], "")])
        let http = client(transport, SleepRecorder())
        let error = await #expect(throws: HTTPError.self) { try await http.fetch(HTTPRequest(url: url)) }
        #expect(error?.kind == kind)
        #expect(transport.sent.count == 1)
    }

    @Test func retryAfterInSecondsAndAsAnHTTPDate() async throws {
        let transport = ScriptedTransport([
            .respond(429, ["Retry-After": "3"], ""),
            .respond(503, ["Retry-After": "Tue, 14 Nov 2023 22:13:27 GMT"], ""),
            .respond(200, [:], ""),
        ])
        let recorder = SleepRecorder()
        let http = client(transport, recorder)
        _ = try await http.fetch(HTTPRequest(url: url))
        #expect(recorder.waits == [3, 7])
    }

    @Test func githubRateLimitWithoutResetWaitsAMinute() async throws {
        let transport = ScriptedTransport([
            .respond(403, ["x-ratelimit-remaining": "0"], ""), .respond(200, [:], ""),
        ])
        let recorder = SleepRecorder()
        let http = client(transport, recorder, policy: testPolicy(maxRetryWait: 120))
        _ = try await http.fetch(HTTPRequest(url: url))
        #expect(recorder.waits == [60])
    }

    @Test func aForbiddenWithRemainingQuotaIsNotARateLimit() async throws {
        let reset = "\(Int(fixedNow.timeIntervalSince1970) + 10)"
        let transport = ScriptedTransport([
            .respond(403, ["x-ratelimit-remaining": "4999", "x-ratelimit-reset": reset], "")
        ])
        let http = client(transport, SleepRecorder())
        let error = await #expect(throws: HTTPError.self) { try await http.fetch(HTTPRequest(url: url)) }
        #expect(error?.kind == .status(403))
    }

    @Test func aRetryAfterBeyondTheLongestWaitStops() async throws {
        let transport = ScriptedTransport([.respond(429, ["Retry-After": "86400"], "")])
        let recorder = SleepRecorder()
        let http = client(transport, recorder, policy: testPolicy(maxRetryWait: 60))
        let error = await #expect(throws: HTTPError.self) { try await http.fetch(HTTPRequest(url: url)) }
        #expect(error?.kind == .rateLimited(until: fixedNow.addingTimeInterval(86400)))
        #expect(error?.description.contains("Rate limited until 2023-11-15T22:13:20Z") == true)
        #expect(recorder.waits.isEmpty)
    }

    @Test func rateLimitsStillCountAsAttempts() async throws {
        let transport = ScriptedTransport([.respond(429, ["Retry-After": "1"], "")])
        let recorder = SleepRecorder()
        let http = client(transport, recorder, policy: testPolicy(retries: 2))
        let error = await #expect(throws: HTTPError.self) { try await http.fetch(HTTPRequest(url: url)) }
        #expect(error?.kind == .rateLimited(until: fixedNow.addingTimeInterval(1)))
        #expect(error?.attempts == 3)
        #expect(recorder.waits == [1, 1])
    }

    @Test func logsAttemptsAndRetriesWithoutSecrets() async throws {
        let token = "ghp_LOGTOKEN0123456789"
        let secretURL = try #require(URL(string: "https://api.example.test/x?access_token=\(token)&page=2"))
        let transport = ScriptedTransport([
            .respond(503, [:], ""), .respond(401, ["Content-Type": "text/plain"], "bad token \(token)"),
        ])
        let logs = CapturedLogs()
        let http = HTTPClient(
            policy: testPolicy(),
            transport: transport,
            sleep: SleepRecorder().sleep,
            random: { $0.upperBound },
            logger: logs.logger
        )
        let request = HTTPRequest(url: secretURL, headers: ["Authorization": "token \(token)"])
        let error = await #expect(throws: HTTPError.self) { try await http.fetch(request) }
        #expect(error?.kind == .status(401))
        #expect(!(error?.description.contains(token) ?? true))
        let lines = logs.lines
        #expect(lines.count == 3)
        #expect(lines.contains { $0.hasPrefix("notice retrying") && $0.contains("smsync.status=503") })
        #expect(lines.contains { $0.contains("smsync.url=https://api.example.test/x?access_token=REDACTED&page=2") })
        for line in lines {
            #expect(!line.contains(token), "token in log line: \(line)")
        }
    }

    @Test func invalidURLsAreRefusedBeforeAnyRequest() async throws {
        let transport = ScriptedTransport([.respond(200, [:], "")])
        let http = client(transport, SleepRecorder())
        for text in ["ftp://example.test/file", "file:///etc/passwd", "http:///nohost"] {
            let target = try #require(URL(string: text))
            let error = await #expect(throws: HTTPError.self) { try await http.fetch(HTTPRequest(url: target)) }
            #expect(error?.kind == .invalidURL)
        }
        #expect(await http.requestCount == 0)
    }

    @Test(.timeLimit(.minutes(10)))
    func atMostPerHostSendsAreInFlightPerHost() async throws {
        let gate = Gate()
        let transport = ScriptedTransport([.respond(200, [:], "")], gate: gate)
        let http = client(transport, SleepRecorder(), policy: testPolicy(perHost: 3))
        let other = try #require(URL(string: "https://other.example.test/x"))
        let url = self.url
        let fetches = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<14 {
                    // 12 to one host, 2 to another, which has a cap of its own.
                    let target = index < 12 ? url : other
                    group.addTask { _ = try await http.fetch(HTTPRequest(url: target)) }
                }
                try await group.waitForAll()
            }
        }
        // Every fetch either reached the transport (held at the closed gate) or waits for a slot. Both counts only
        // grow while the gate is closed, so once they add up to 14 the state is settled: the cap is checked on it.
        try await eventually { await http.queuedCount + transport.sent.count == 14 }
        #expect(transport.sent.count == 5)
        #expect(await http.queuedCount == 9)
        #expect(transport.sent.filter { $0.url == url }.count == 3)
        #expect(transport.sent.filter { $0.url == other }.count == 2)
        gate.open()
        try await fetches.value
        #expect(await http.requestCount == 14)
        #expect(await http.queuedCount == 0)
        #expect(transport.maxInFlight == 5)
    }

    @Test(.timeLimit(.minutes(10)))
    func cancellingAWaitingFetchFreesItsPlace() async throws {
        let gate = Gate()
        let transport = ScriptedTransport([.respond(200, [:], "")], gate: gate)
        let http = client(transport, SleepRecorder(), policy: testPolicy(perHost: 1))
        let first = Task { try await http.fetch(HTTPRequest(url: url)) }
        try await eventually { transport.sent.count == 1 }
        let second = Task { try await http.fetch(HTTPRequest(url: url)) }
        try await eventually { await http.queuedCount == 1 }
        second.cancel()
        let secondError = await #expect(throws: HTTPError.self) { try await second.value }
        #expect(secondError?.kind == .cancelled)
        #expect(await http.queuedCount == 0)
        gate.open()
        _ = try await first.value
        // The slot is free again: a third fetch goes straight through.
        _ = try await http.fetch(HTTPRequest(url: url))
        #expect(transport.sent.count == 2)
    }
}

/// Waits until `condition` holds, looking every 10 ms.
///
/// No deadline of its own: the tests run beside CPU-bound suites on a cooperative pool as wide as the machine has
/// cores, so how long a condition takes to hold says nothing about the code under test. A condition that never
/// holds is a hang, which the calling test's `.timeLimit` turns into a failure (the sleep ends on cancellation).
func eventually(_ condition: @Sendable () async -> Bool) async throws {
    while !(await condition()) {
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// Holds sends until opened.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let proceed = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Collects log lines (message and metadata) for assertions.
final class CapturedLogs: Sendable {
    private let store = Mutex<[String]>([])
    var lines: [String] { store.withLock { $0 } }

    var logger: Logger {
        var logger = Logger(label: "test") { _ in CapturingLogHandler(logs: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: String) { store.withLock { $0.append(line) } }
}

private struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        logs.append("\(event.level) \(event.message) \(rendered)")
    }
}

@Suite("HTTP redaction and dates")
struct HTTPRedactionTests {
    @Test(arguments: [
        ("Authorization", "Bearer abc", true), ("authorization", "x", true), ("X-GitHub-Token", "abc", true),
        ("X-Custom", "token ghp_abcdef", true), ("X-Custom", "ghp_0123456789", true),
        ("X-Custom", "github_pat_11AA", true), ("X-Api-Key", "k", true), ("Cookie", "a=b", true),
        ("Accept", "application/json", false), ("User-Agent", "smsync/1.0", false),
        ("If-None-Match", "\"abc\"", false),
    ])
    func sensitiveHeaders(name: String, value: String, sensitive: Bool) {
        #expect(HTTPRedaction.isSensitive(name: name, value: value) == sensitive)
    }

    @Test func urlsLoseCredentialsAndSecretQueryValues() throws {
        let url = try #require(
            URL(
                string:
                    "https://user:hunter2@bucket.s3.amazonaws.com/env/a.yml?X-Amz-Credential=AKIA1%2F2&X-Amz-Signature=deadbeef&X-Amz-Security-Token=tok&versionId=3&access_token=t0k"
            )
        )
        let redacted = HTTPRedaction.redact(url)
        for secret in ["hunter2", "user:", "AKIA1", "deadbeef", "=tok", "t0k"] {
            #expect(!redacted.contains(secret), "\(secret) in \(redacted)")
        }
        #expect(redacted.contains("versionId=3"))
        #expect(redacted.hasPrefix("https://bucket.s3.amazonaws.com/env/a.yml?"))
    }

    @Test func requestsShowRedactedHeaders() throws {
        let url = try #require(URL(string: "https://api.github.com/"))
        let request = HTTPRequest(url: url, headers: ["Authorization": "Bearer s3cret", "Accept": "application/json"])
        #expect(request.redactedHeaders == ["Authorization": "<redacted>", "Accept": "application/json"])
    }

    @Test func errorMessagesAreScrubbedOfHeaderSecrets() async throws {
        let url = try #require(URL(string: "https://api.example.test/echo"))
        let transport = ScriptedTransport([
            .respond(401, ["Content-Type": "application/json"], #"{"message":"Bad credentials: Bearer s3cr3t-value"}"#)
        ])
        let http = HTTPClient(policy: testPolicy(), transport: transport, sleep: SleepRecorder().sleep)
        let request = HTTPRequest(url: url, headers: ["Authorization": "Bearer s3cr3t-value"])
        let error = await #expect(throws: HTTPError.self) { try await http.fetch(request) }
        let text = try #require(error).description
        #expect(!text.contains("s3cr3t-value"))
        #expect(text.contains("Bad credentials"))
        #expect(text.contains("token"))
    }

    @Test(arguments: [
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777.0),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777.0),
        ("Sun Nov  6 08:49:37 1994", 784_111_777.0),
        ("Tue, 14 Nov 2023 22:13:27 GMT", 1_700_000_007.0),
        ("Thu, 29 Feb 2024 00:00:00 GMT", 1_709_164_800.0),
    ])
    func httpDates(text: String, epoch: Double) {
        #expect(HTTPDate.parse(text) == Date(timeIntervalSince1970: epoch))
    }

    @Test(arguments: ["", "soon", "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994"])
    func notHTTPDates(text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }

    @Test func isoDates() {
        #expect(HTTPDate.iso(fixedNow) == "2023-11-14T22:13:20Z")
        #expect(HTTPDate.iso(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(HTTPDate.iso(Date(timeIntervalSince1970: 1e300)) == "(a far-off date)")
    }

    @Test func policyFromConfiguration() throws {
        let text = """
            envs: {dir: envs}
            http: {timeout_seconds: 2.5, connect_timeout_seconds: 1, retries: 1, max_bytes: 2048, per_host: 2}
            """
        let configuration = try Configuration(text: text, file: "/tmp/smsync.yml")
        let policy = HTTPPolicy(from: configuration.http, userAgent: "smsync/1.2.3")
        #expect(policy.timeout == 2.5)
        #expect(policy.connectTimeout == 1)
        #expect(policy.retries == 1)
        #expect(policy.maxBytes == 2048)
        #expect(policy.perHost == 2)
        #expect(policy.userAgent == "smsync/1.2.3")
    }
}
