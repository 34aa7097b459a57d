import Foundation
import SMSync
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real transport: Foundation's `URLSession`, which on Linux is libcurl.
///
/// What it adds to `URLSession`, because libcurl's Foundation does not do it:
/// - an overall deadline per attempt (`timeoutIntervalForResource` is not enforced on Linux): the
///   transfer races a sleep, and the loser is cancelled;
/// - a size cap checked on the announced `Content-Length` and on every received (decoded) chunk, so a
///   huge body is cancelled as soon as it passes the cap and never buffered whole; the attempt settles
///   at once, later chunks are dropped as they arrive, and neither the cancel nor the session's
///   teardown waits for libcurl to finish decoding what it had already read (a gzip bomb);
/// - a check that the body is as long as its `Content-Length` (a cut connection is an error, not a
///   short file);
/// - redirects only to `http`/`https`, at most 10, and without sensitive headers when the host changes.
///
/// The connect timeout becomes the request's `timeoutInterval`, which libcurl's Foundation applies as an
/// idle timeout in whole seconds (at least 1): it fires when the connection cannot be made or the
/// server sends nothing for that long; the overall deadline bounds the rest.
///
/// The session is ephemeral: no cookies, no URL cache (conditional requests are made by ``HTTPClient``).
/// Proxies come from `http_proxy`, `https_proxy` and `no_proxy`, which libcurl reads for each transfer.
public struct URLSessionTransport: HTTPTransport {
    private let core: SessionCore

    public init() {
        core = SessionCore()
    }

    public func send(
        _ request: HTTPRequest,
        maxBytes: Int,
        timeout: Double,
        connectTimeout: Double
    ) async throws(HTTPError) -> HTTPResponse {
        guard let scheme = request.url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = request.url.host, !host.isEmpty
        else {
            throw HTTPError(.invalidURL, url: request.url, method: request.method, message: "not an http(s) URL")
        }
        if let problem = await AddressGuard.check(request.url, request.denyNetworks) {
            var error = HTTPError(
                .deniedAddress, url: request.url, method: request.method,
                message: "refused before connecting: \(problem)")
            error.notSent = true
            error.scrub(request.secrets)
            throw error
        }
        var urlRequest = URLRequest(url: request.url, cachePolicy: .reloadIgnoringLocalAndRemoteCacheData)
        // libcurl's Foundation uses this as an idle timeout (no bytes for that long, connecting
        // included), truncated to whole seconds (0.3 would become 0 and fail at once), and only when
        // set as a property: the initializer's `timeoutInterval:` argument is ignored (60 s applies).
        urlRequest.timeoutInterval = max(connectTimeout.rounded(.up), 1)
        urlRequest.httpMethod = request.method
        urlRequest.httpShouldHandleCookies = false
        for (name, value) in request.headers {
            urlRequest.setValue(value, forHTTPHeaderField: name)
        }
        if let body = request.body {
            urlRequest.httpBody = Data(body)
        }
        let core = self.core
        let sendable = SendableRequest(value: urlRequest)
        let outcome: Result<HTTPResponse, HTTPError>? = await withTaskGroup(
            of: Result<HTTPResponse, HTTPError>?.self
        ) { group in
            group.addTask {
                await core.transfer(sendable.value, request: request, maxBytes: maxBytes)
            }
            group.addTask {
                do {
                    try await Task.sleep(for: .seconds(timeout))
                } catch {
                    return nil
                }
                let message = "no complete response within \(HTTPClient.seconds(timeout))"
                return .failure(HTTPError(.timeout, url: request.url, method: request.method, message: message))
            }
            var first: Result<HTTPResponse, HTTPError>?
            for await result in group {
                if let result {
                    first = result
                    break
                }
            }
            group.cancelAll()
            return first
        }
        switch outcome {
        case .success(let response): return response
        case .failure(let error): throw error
        case nil: throw HTTPError(.cancelled, url: request.url, method: request.method, message: "cancelled")
        }
    }
}

/// `URLRequest` is a value type; on Linux it is not marked `Sendable`.
private struct SendableRequest: @unchecked Sendable {
    let value: URLRequest
}

/// The session and its delegate; the session is invalidated when the last transport copy goes away.
private final class SessionCore: Sendable {
    let session: URLSession
    let delegate: SessionDelegate

    init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.urlCache = nil
        configuration.urlCredentialStorage = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        // The per-host cap is HTTPClient's; libcurl's own limit must not be the tighter one.
        configuration.httpMaximumConnectionsPerHost = 32
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        queue.name = "smsync.http"
        delegate = SessionDelegate()
        session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
    }

    deinit {
        // `invalidateAndCancel` waits for the session's work queue, which may still be decoding what a
        // cancelled transfer had buffered (a gzip bomb): never hold up the caller for it.
        let session = SendableSession(value: session)
        DispatchQueue.global().async { session.value.invalidateAndCancel() }
    }

    func transfer(
        _ urlRequest: URLRequest, request: HTTPRequest, maxBytes: Int
    ) async -> Result<HTTPResponse, HTTPError> {
        let task = SendableTask(value: session.dataTask(with: urlRequest))
        let transfer = Transfer(request: request, maxBytes: maxBytes)
        delegate.register(task.value.taskIdentifier, transfer)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if transfer.attach(continuation) {
                    task.value.resume()
                }
            }
        } onCancel: {
            transfer.finish(.failure(transfer.error(.cancelled, "cancelled")))
            task.value.cancel()
        }
    }
}

/// `URLSession` is thread-safe; on Linux it is not marked `Sendable`.
private struct SendableSession: @unchecked Sendable {
    let value: URLSession
}

/// `URLSessionTask` is thread-safe; on Linux it is not marked `Sendable`.
private struct SendableTask: @unchecked Sendable {
    let value: URLSessionTask
}

/// Routes delegate callbacks to the transfer of each task.
private final class SessionDelegate: NSObject, URLSessionDataDelegate, Sendable {
    private let transfers = Mutex<[Int: Transfer]>([:])

    func register(_ identifier: Int, _ transfer: Transfer) {
        transfers.withLock { $0[identifier] = transfer }
    }

    private func transfer(_ task: URLSessionTask) -> Transfer? {
        transfers.withLock { $0[task.taskIdentifier] }
    }

    func urlSession(
        _ session: URLSession,
        dataTask: URLSessionDataTask,
        didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        guard let transfer = transfer(dataTask), transfer.received(response) else {
            completionHandler(.cancel)
            Self.cancel(dataTask)
            return
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let transfer = transfer(dataTask) else { return }
        if !transfer.append(data), transfer.claimCancel() {
            Self.cancel(dataTask)
        }
    }

    /// Cancels off the delegate queue. libcurl decodes a whole socket read in one go (a gzip bomb gives
    /// gigabytes) and Foundation queues every decoded chunk here; `cancel()` waits for that work queue,
    /// so calling it here would stop the draining and let every chunk pile up in memory. Chunks that
    /// still arrive are dropped at once by the settled transfer.
    private static func cancel(_ task: URLSessionTask) {
        let sendable = SendableTask(value: task)
        DispatchQueue.global().async { sendable.value.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let transfer = transfers.withLock { $0.removeValue(forKey: task.taskIdentifier) }
        transfer?.complete(error: error)
    }

    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        // libcurl's Foundation turns a `Location` with another scheme (`file:///etc/passwd`) into a
        // path on the same server; refuse it from the header itself.
        let location = response.value(forHTTPHeaderField: "Location").flatMap { URL(string: $0) }
        let locationScheme = location?.scheme?.lowercased()
        guard let transfer = transfer(task), let next = request.url,
            let scheme = next.scheme?.lowercased(), scheme == "http" || scheme == "https",
            locationScheme == nil || locationScheme == "http" || locationScheme == "https",
            transfer.redirected()
        else {
            // The redirect response itself is delivered; HTTPClient reports its status.
            completionHandler(nil)
            return
        }
        if let problem = AddressGuard.violation(next, transfer.denyNetworks) {
            let target = HTTPRedaction.redact(next)
            transfer.finish(
                .failure(
                    transfer.error(
                        .deniedAddress, "the redirect to \(target) was refused before connecting: \(problem)")))
            completionHandler(nil)
            if transfer.claimCancel() { Self.cancel(task) }
            return
        }
        var redirected = request
        let previous = response.url ?? task.originalRequest?.url
        let sameOrigin =
            previous?.host?.lowercased() == next.host?.lowercased() && previous?.port == next.port
            && previous?.scheme?.lowercased() == scheme
        if !sameOrigin {
            for (name, value) in request.allHTTPHeaderFields ?? [:]
            where HTTPRedaction.isSensitive(name: name, value: value) {
                redirected.setValue(nil, forHTTPHeaderField: name)
            }
        }
        completionHandler(redirected)
    }
}

/// The state of one attempt: the response head, the body so far, and the one continuation to resume.
private final class Transfer: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>?
        var outcome: Result<HTTPResponse, HTTPError>?
        var response: HTTPURLResponse?
        var body: [UInt8] = []
        var redirects = 0
        var cancelClaimed = false
    }

    static let maxRedirects = 10

    let url: URL
    let method: String
    let maxBytes: Int
    let secrets: [String]
    let denyNetworks: [IPNetwork]
    private let state = Mutex(State())

    init(request: HTTPRequest, maxBytes: Int) {
        url = request.url
        method = request.method
        self.maxBytes = maxBytes
        secrets = request.secrets
        denyNetworks = request.denyNetworks
    }

    func error(_ kind: HTTPError.Kind, _ message: String) -> HTTPError {
        var error = HTTPError(kind, url: url, method: method, message: message)
        error.scrub(secrets)
        return error
    }

    /// Stores the continuation; false when the outcome is already known (it was resumed at once).
    func attach(_ continuation: CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>) -> Bool {
        let outcome = state.withLock { state -> Result<HTTPResponse, HTTPError>? in
            if let outcome = state.outcome { return outcome }
            state.continuation = continuation
            return nil
        }
        guard let outcome else { return true }
        continuation.resume(returning: outcome)
        return false
    }

    /// Settles the attempt; only the first outcome counts.
    func finish(_ outcome: Result<HTTPResponse, HTTPError>) {
        let continuation = state.withLock { state -> CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            state.body = []
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: outcome)
    }

    /// True the first time only: the task is cancelled once, however many chunks still arrive.
    func claimCancel() -> Bool {
        state.withLock { state in
            defer { state.cancelClaimed = true }
            return !state.cancelClaimed
        }
    }

    func redirected() -> Bool {
        state.withLock { state in
            state.redirects += 1
            return state.redirects <= Self.maxRedirects
        }
    }

    /// Records the response head; false (and the attempt settled as too large) when the announced
    /// length is over the cap.
    func received(_ response: URLResponse) -> Bool {
        let http = response as? HTTPURLResponse
        let announced = response.expectedContentLength
        if announced > maxBytes {
            finish(.failure(error(.tooLarge, "the server announced \(announced) bytes, over the cap of \(maxBytes)")))
            return false
        }
        return state.withLock { state in
            guard state.outcome == nil else { return false }
            state.response = http
            return true
        }
    }

    /// Adds a chunk of the body; false (and the attempt settled as too large) once it passes the cap.
    func append(_ data: Data) -> Bool {
        let over = state.withLock { state -> Bool? in
            guard state.outcome == nil else { return nil }
            if state.body.count + data.count > maxBytes { return true }
            state.body.append(contentsOf: data)
            return false
        }
        switch over {
        case nil:
            return false
        case true?:
            finish(.failure(error(.tooLarge, "the body passed the cap of \(maxBytes) bytes")))
            return false
        case false?:
            return true
        }
    }

    func complete(error failure: (any Error)?) {
        if let failure {
            finish(.failure(translate(failure)))
            return
        }
        let (response, body) = state.withLock { ($0.response, $0.body) }
        guard let response else {
            finish(.failure(error(.connection, "the server sent no HTTP response")))
            return
        }
        var headers: [String: String] = [:]
        for (name, value) in response.allHeaderFields {
            if let name = name as? String, let value = value as? String {
                headers[name.lowercased()] = value
            }
        }
        let encoding = headers["content-encoding"]?.lowercased() ?? "identity"
        let expected = response.expectedContentLength
        let bodyExpected =
            method.uppercased() != "HEAD" && response.statusCode != 204 && response.statusCode != 304
            && !(100..<200).contains(response.statusCode)
        if bodyExpected, encoding == "identity", expected > 0, body.count < expected {
            finish(.failure(error(.connection, "the body was cut short: \(body.count) of \(expected) bytes arrived")))
            return
        }
        finish(
            .success(HTTPResponse(url: response.url ?? url, status: response.statusCode, headers: headers, body: body)))
    }

    /// libcurl's own words for a failure Foundation has no code for (they arrive as the localized
    /// description, `Out of memory` for a response header over libcurl's 100 KB limit), with the code.
    static func cause(of failure: URLError) -> String {
        let code = failure.code.rawValue
        let text = (failure as NSError).localizedDescription.trimmingCharacters(in: .whitespacesAndNewlines)
        let printable = String(text.unicodeScalars.filter { $0.properties.generalCategory != .control }.prefix(200))
        guard !printable.isEmpty, !printable.contains("The operation could not be completed") else {
            return "the transfer failed; libcurl gave no reason (URL error \(code))"
        }
        var cause = "the transfer failed: libcurl says \(printable.debugDescription) (URL error \(code))"
        if printable == "Out of memory" {
            cause += "; libcurl says this when a response header is over its 100 KB limit"
        }
        return cause
    }

    private func translate(_ failure: any Error) -> HTTPError {
        guard let urlError = failure as? URLError else {
            return error(.connection, "\(failure)")
        }
        switch urlError.code {
        case .timedOut:
            return error(.timeout, "nothing arrived for longer than `http.connect_timeout_seconds`")
        case .cancelled:
            return error(.cancelled, "cancelled")
        case .cannotConnectToHost:
            var refused = error(.connection, "could not connect (connection refused)")
            refused.notSent = true
            return refused
        case .cannotFindHost, .dnsLookupFailed:
            var unresolved = error(.connection, "the host name could not be resolved")
            unresolved.notSent = true
            return unresolved
        case .networkConnectionLost:
            return error(.connection, "the connection was lost before the response was complete")
        case .notConnectedToInternet:
            return error(.connection, "no network")
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
            .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            return error(.connection, "the TLS connection failed (\(urlError.code.rawValue))")
        case .httpTooManyRedirects, .redirectToNonExistentLocation:
            return error(.connection, "too many redirects")
        default:
            return error(.connection, Self.cause(of: urlError))
        }
    }
}
