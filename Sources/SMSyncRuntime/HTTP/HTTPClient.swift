import Foundation
import Logging

/// Fetches over HTTP with the policy's bounds: conditional requests, retries with exponential backoff
/// and full jitter, `Retry-After` and GitHub rate-limit headers, and at most `perHost` requests in
/// flight per host.
///
/// Retried: connection errors, timeouts, `5xx` and `429` (and a `403` that is a rate limit), up to
/// `retries` extra attempts. A request that is not idempotent (`POST`, `PATCH`: a webhook, a dispatch, a
/// pull request) is retried only when it certainly was not acted on: the connection was refused or the
/// name did not resolve (``HTTPError/notSent``), or the server refused it for a rate limit (`429`, `503`
/// with `Retry-After`, GitHub's rate-limit `403`); a timeout, a lost connection or another `5xx` may
/// have come after the server did the work, so it is not sent again. Not retried: other `4xx`, a body over the cap, a bad URL. A server that
/// asks to wait (`Retry-After`, or `x-ratelimit-remaining: 0` with `x-ratelimit-reset`) is waited for
/// when the wait is within `maxRetryWait`; otherwise the fetch stops with
/// ``HTTPError/Kind/rateLimited(until:)``. Every wait goes through the injected `sleep`.
///
/// It is itself an ``HTTPTransport`` (``send(_:)``: the final response, whatever its status), so everything that
/// sends requests takes the one seam; ``fetch(_:)`` is the variant for callers that want any status other than
/// `2xx` and `304` as an error.
public actor HTTPClient: HTTPTransport {
    public let policy: HTTPPolicy
    private let transport: any HTTPTransport
    private let sleep: @Sendable (Double) async -> Void
    private let random: @Sendable (ClosedRange<Double>) -> Double
    private let now: @Sendable () -> Date
    private let logger: Logger

    /// Attempts sent to the transport, retries included.
    public private(set) var requestCount = 0
    /// Every wait between attempts, in seconds, in order.
    public private(set) var waits: [Double] = []

    private var inFlight: [String: Int] = [:]
    private var waiting: [String: [(id: Int, continuation: CheckedContinuation<Bool, Never>)]] = [:]
    private var nextWaiter = 0

    /// - Parameters:
    ///   - sleep: waits the given number of seconds (a test passes one that records and returns).
    ///   - random: a number in the range, for the jitter of backoffs.
    ///   - now: the current time, for rate-limit resets and `Retry-After` dates.
    ///   - logger: attempts at `debug`, retries at `notice`; URLs redacted, headers never logged. Silent by default.
    public init(
        policy: HTTPPolicy,
        transport: any HTTPTransport = URLSessionTransport(),
        sleep: @escaping @Sendable (Double) async -> Void = { seconds in
            try? await Task.sleep(for: .seconds(seconds))
        },
        random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) },
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "smsync.http", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.policy = policy
        self.transport = transport
        self.sleep = sleep
        self.random = random
        self.now = now
        self.logger = logger
    }

    /// Fetches `request`, retrying as the policy allows. A `2xx` or `304` is returned; any other
    /// status, and every failure, throws.
    public func fetch(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let (prepared, response, attempts) = try await perform(request)
        let status = response.status
        guard (200..<300).contains(status) || status == 304 else {
            let retryable = status == 429 || (500..<600).contains(status)
            let note =
                retryable && !Self.isIdempotent(prepared.method)
                ? " (not sent again: a \(prepared.method.uppercased()) may already have been acted on)" : ""
            throw failure(
                .status(status), prepared, attempts, "HTTP \(status)\(Self.summary(response))\(note)", response)
        }
        return response
    }

    /// Sends `request`, retrying as the policy allows, and returns the final response whatever its status (a `404`,
    /// or the last `5xx` once retries ran out). Transport failures, a rate limit longer than the policy waits, and
    /// cancellation throw.
    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        try await perform(request).response
    }

    /// The attempts of one request: the request as sent, the final response and the number of attempts.
    private func perform(
        _ request: HTTPRequest
    ) async throws(HTTPError) -> (request: HTTPRequest, response: HTTPResponse, attempts: Int) {
        guard let scheme = request.url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = request.url.host, !host.isEmpty
        else {
            throw HTTPError(.invalidURL, url: request.url, method: request.method, message: "not an http(s) URL")
        }
        let hostKey = "\(host.lowercased()):\(request.url.port ?? (scheme == "https" ? 443 : 80))"
        let prepared = prepare(request)
        var attempt = 0
        while true {
            attempt += 1
            if Task.isCancelled {
                throw failure(.cancelled, prepared, attempt - 1, "cancelled")
            }
            guard await acquire(hostKey) else {
                throw failure(.cancelled, prepared, attempt - 1, "cancelled")
            }
            requestCount += 1
            let result: Result<HTTPResponse, HTTPError>
            do {
                result = .success(try await transport.send(prepared))
            } catch {
                result = .failure(error)
            }
            release(hostKey)
            var metadata: Logger.Metadata = [
                "smsync.method": "\(prepared.method)",
                "smsync.url": "\(HTTPRedaction.redact(prepared.url))",
                "smsync.attempt": "\(attempt)",
            ]
            let wait: Double
            let reason: String
            switch result {
            case .success(let response):
                metadata["smsync.status"] = "\(response.status)"
                metadata["smsync.bytes"] = "\(response.body.count)"
                logger.debug("fetched", metadata: metadata)
                switch try decide(response, prepared, attempt) {
                case .done: return (prepared, response, attempt)
                case .retry(let after): wait = after
                }
                reason = "HTTP \(response.status)"
            case .failure(var error):
                error.attempts = attempt
                error.scrub(prepared.secrets)
                metadata["smsync.error"] = "\(error.message)"
                logger.debug("fetch failed", metadata: metadata)
                guard error.kind == .timeout || error.kind == .connection, attempt <= policy.retries,
                    Self.isIdempotent(prepared.method) || error.notSent
                else {
                    throw error
                }
                wait = backoff(attempt)
                reason = error.message
            }
            metadata["smsync.wait"] = "\(wait)"
            metadata["smsync.reason"] = "\(reason)"
            logger.notice("retrying", metadata: metadata)
            waits.append(wait)
            await sleep(wait)
        }
    }

    private enum Decision {
        case done
        case retry(after: Double)
    }

    /// Whether a response is final or is retried after a wait; throws only for a rate limit that cannot be waited
    /// out. A status that is not retried, or whose retries ran out, is final.
    private func decide(_ response: HTTPResponse, _ request: HTTPRequest, _ attempt: Int) throws(HTTPError) -> Decision
    {
        let status = response.status
        if (200..<300).contains(status) || status == 304 {
            return .done
        }
        let retryable = status == 429 || (500..<600).contains(status)
        if let until = rateLimitReset(response) {
            let wait = max(1, (until.timeIntervalSince(now())).rounded(.up))
            if wait > policy.maxRetryWait {
                throw failure(
                    .rateLimited(until: until), request, attempt,
                    "HTTP \(status), rate limited for \(Self.seconds(wait)), longer than the longest wait "
                        + "allowed (\(Self.seconds(policy.maxRetryWait)))",
                    response
                )
            }
            guard attempt <= policy.retries else {
                throw failure(
                    .rateLimited(until: until), request, attempt,
                    "HTTP \(status), still rate limited after \(attempt) attempts",
                    response
                )
            }
            return .retry(after: wait)
        }
        // A POST or PATCH whose answer was a 5xx may already have been acted on: it is final, never sent again.
        guard retryable, Self.isIdempotent(request.method), attempt <= policy.retries else { return .done }
        return .retry(after: backoff(attempt))
    }

    /// The moment a rate-limited response allows the next request: `Retry-After` on a `429`, `503` or
    /// `403`, or GitHub's `x-ratelimit-reset` when `x-ratelimit-remaining` is `0` on a `403` or `429`.
    private func rateLimitReset(_ response: HTTPResponse) -> Date? {
        let status = response.status
        guard status == 429 || status == 403 || status == 503 else { return nil }
        if let retryAfter = response.header("retry-after")?.trimmingCharacters(in: .whitespaces) {
            if let seconds = Double(retryAfter), seconds.isFinite, seconds >= 0 {
                return now().addingTimeInterval(min(seconds, 1e9))
            }
            if let date = HTTPDate.parse(retryAfter) {
                return date
            }
        }
        if status != 503, response.header("x-ratelimit-remaining")?.trimmingCharacters(in: .whitespaces) == "0" {
            if let reset = response.header("x-ratelimit-reset").flatMap({
                Double($0.trimmingCharacters(in: .whitespaces))
            }),
                reset.isFinite, reset >= 0, reset < 1e11
            {
                return Date(timeIntervalSince1970: reset)
            }
            // No usable reset: GitHub's documented fallback is to wait a minute.
            return now().addingTimeInterval(60)
        }
        return nil
    }

    /// Exponential backoff with full jitter: a random wait below `base · 2^(attempt-1)`, capped.
    private func backoff(_ attempt: Int) -> Double {
        let ceiling = min(policy.backoffCap, policy.backoffBase * pow(2, Double(min(attempt - 1, 30))))
        guard ceiling > 0 else { return 0 }
        return min(max(random(0...ceiling), 0), ceiling)
    }

    private func prepare(_ request: HTTPRequest) -> HTTPRequest {
        var prepared = request
        prepared.denyNetworks = policy.denyNetworks
        func has(_ name: String) -> Bool { prepared.header(name) != nil }
        if !has("User-Agent") {
            prepared.headers["User-Agent"] = policy.userAgent
        }
        prepared.maxBytes = request.maxBytes ?? policy.maxBytes
        prepared.timeout = request.timeout ?? policy.timeout
        prepared.connectTimeout = request.connectTimeout ?? policy.connectTimeout
        if let validators = request.validators {
            if let etag = validators.etag, !has("If-None-Match") {
                prepared.headers["If-None-Match"] = etag
            }
            if let lastModified = validators.lastModified, !has("If-Modified-Since") {
                prepared.headers["If-Modified-Since"] = lastModified
            }
        }
        return prepared
    }

    private func failure(
        _ kind: HTTPError.Kind,
        _ request: HTTPRequest,
        _ attempts: Int,
        _ message: String,
        _ response: HTTPResponse? = nil
    ) -> HTTPError {
        var error = HTTPError(
            kind,
            url: request.url,
            method: request.method,
            attempts: attempts,
            message: message,
            response: response
        )
        error.scrub(request.secrets)
        return error
    }

    // MARK: Per-host cap

    /// Waits for a slot on `host`; false when cancelled while waiting.
    private func acquire(_ host: String) async -> Bool {
        if inFlight[host, default: 0] < policy.perHost {
            inFlight[host, default: 0] += 1
            return true
        }
        nextWaiter += 1
        let id = nextWaiter
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Cancelled before queueing: the cancellation handler has already run and found nothing.
                if Task.isCancelled {
                    continuation.resume(returning: false)
                } else {
                    waiting[host, default: []].append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id, host: host) }
        }
    }

    /// Hands the slot to the next waiter, or frees it.
    private func release(_ host: String) {
        if var queue = waiting[host], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[host] = queue
            next.continuation.resume(returning: true)
        } else {
            inFlight[host, default: 1] -= 1
        }
    }

    /// Fetches waiting for a per-host slot.
    var queuedCount: Int { waiting.values.reduce(0) { $0 + $1.count } }

    private func cancelWaiter(_ id: Int, host: String) {
        guard let index = waiting[host]?.firstIndex(where: { $0.id == id }),
            let waiter = waiting[host]?.remove(at: index)
        else { return }
        waiter.continuation.resume(returning: false)
    }

    /// Methods that may be repeated without a second effect (RFC 9110, 9.2.2).
    static func isIdempotent(_ method: String) -> Bool {
        ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"].contains(method.uppercased())
    }

    // MARK: Text

    /// `1.5 s`, `30 s`.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int64(value)) s" : "\(value) s"
    }

    /// A short, printable excerpt of an error body (GitHub's `message`, for example), or "".
    static func summary(_ response: HTTPResponse) -> String {
        let type = response.header("content-type")?.lowercased() ?? ""
        guard !response.body.isEmpty, type.contains("json") || type.hasPrefix("text/") || type.isEmpty else {
            return ""
        }
        let printable = response.text.unicodeScalars.map { scalar -> Character in
            scalar.properties.generalCategory == .control ? " " : Character(scalar)
        }
        let collapsed = String(printable).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        guard !collapsed.isEmpty else { return "" }
        return ": " + (collapsed.count > 200 ? collapsed.prefix(200) + "…" : collapsed)
    }
}
