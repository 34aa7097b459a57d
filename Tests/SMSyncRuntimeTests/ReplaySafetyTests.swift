import Foundation
import Testing

@testable import SMSync
@testable import SMSyncRuntime
@testable import SMSyncTestSupport

/// A webhook, a dispatch or a pull-request creation whose answer was lost must not be sent again.
@Suite("Replay safety of non-idempotent requests")
struct ReplaySafetyTests {
    let url = URL(string: "https://hooks.example.test/rebuild") ?? URL(fileURLWithPath: "/")

    func client(_ transport: any HTTPTransport, retries: Int = 2) -> HTTPClient {
        HTTPClient(
            policy: testPolicy(retries: retries), transport: transport, sleep: { _ in }, random: { $0.upperBound },
            now: { fixedNow })
    }

    @Test(arguments: ["POST", "PATCH"])
    func aPostThatMayHaveArrivedIsNotSentAgain(method: String) async throws {
        for step in [ScriptedTransport.Step.fail(.connection), .fail(.timeout), .respond(500, [:], "oops")] {
            let transport = ScriptedTransport([step, .respond(200, [:], "ok")])
            let error = await #expect(throws: HTTPError.self) {
                try await client(transport).fetch(HTTPRequest(url: url, method: method, body: Array("{}".utf8)))
            }
            #expect(transport.sent.count == 1, "\(step)")
            #expect(error?.attempts == 1)
        }
        // The same failures are retried for a GET.
        let transport = ScriptedTransport([.fail(.connection), .respond(500, [:], ""), .respond(200, [:], "ok")])
        #expect(try await client(transport).fetch(HTTPRequest(url: url)).text == "ok")
        #expect(transport.sent.count == 3)
    }

    @Test func aPostRefusedForARateLimitIsSentAgain() async throws {
        let transport = ScriptedTransport([
            .respond(429, ["Retry-After": "1"], ""), .respond(503, ["Retry-After": "1"], ""), .respond(200, [:], "ok"),
        ])
        let response = try await client(transport).fetch(HTTPRequest(url: url, method: "POST"))
        #expect(response.text == "ok")
        #expect(transport.sent.count == 3)
        let plain503 = ScriptedTransport([.respond(503, [:], ""), .respond(200, [:], "ok")])
        let error = await #expect(throws: HTTPError.self) {
            try await client(plain503).fetch(HTTPRequest(url: url, method: "POST"))
        }
        #expect(error?.message.contains("not sent again") == true)
        #expect(plain503.sent.count == 1)
    }

    @Test func aPostToARefusedConnectionIsSentAgain() async throws {
        // A port that was just listening and is closed now: connection refused, certainly not sent.
        let server = try await LoopbackServer.start()
        let closed = server.url("/hook")
        await server.stop()
        let http = client(URLSessionTransport(), retries: 2)
        let error = await #expect(throws: HTTPError.self) {
            try await http.fetch(HTTPRequest(url: closed, method: "POST", body: Array("{}".utf8)))
        }
        #expect(error?.notSent == true, "\(error?.message ?? "")")
        #expect(await http.requestCount == 3)
    }

    @Test func theDeliveryIDIsStableAcrossRetriesOfOneEvent() async throws {
        let server = try await ScriptedServer.start { request in
            let count = await DeliveryAttempts.shared.next()
            return count == 1 ? TestReply(status: 429, headers: ["Retry-After": "0"]) : .text(200, "ok")
        }
        defer { Task { await server.stop() } }
        let http = HTTPClient(
            policy: testPolicy(retries: 2), transport: URLSessionTransport(), sleep: { _ in }, random: { $0.upperBound }
        )
        let runner = TriggerRunner(
            environment: [:], http: http, commandTimeout: 10, userAgent: "smsync/test")
        let changes = [TriggerChange(kernel: "conda_python3", package: "numpy", manager: "conda", from: "1", to: "2")]
        let first = RebuildEvent(runID: "run-1", kernels: ["conda_python3"], changes: changes, changedFiles: [])
        let target = RebuildTarget(
            kernels: nil, action: .webhook(url: server.base + "/hook", secretEnv: nil), name: "h")
        _ = try await runner.fire(target, event: first)
        // A later run retrying the same event.
        var later = first
        later.runID = "run-2"
        _ = try await runner.fire(target, event: later)
        let ids = await server.requests.map { $0.headers["x-smsync-delivery"] ?? "" }
        #expect(ids.count == 3)
        #expect(Set(ids).count == 1, "\(ids)")
        #expect(ids[0].count == 36 && ids[0].split(separator: "-").count == 5)
        // Another change is another event.
        var other = first
        other.changes[0].to = "3"
        #expect(other.deliveryID(target: "h") != first.deliveryID(target: "h"))
        #expect(first.deliveryID(target: "other") != first.deliveryID(target: "h"))
    }
}

private actor DeliveryAttempts {
    static let shared = DeliveryAttempts()
    private var value = 0
    func next() -> Int {
        value += 1
        return value
    }
}
