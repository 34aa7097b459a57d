import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The HTTP seam the GitHub client and the rebuild triggers depend on.
///
/// One call is one logical request; an implementation handles retries, deadlines, proxies and size caps.
/// Response header names come back as the server sent them: look them up with ``WebResponseHeaders``.
public protocol WebClient: Sendable {
    /// One request with retries and caps already handled by the implementation. `headers` may carry Authorization.
    func send(
        method: String, url: URL, headers: [String: String], body: [UInt8]?, maxBytes: Int?
    ) async throws -> (
        status: Int, headers: [String: String], body: [UInt8]
    )
}

/// Case-insensitive lookup in response headers.
public enum WebResponseHeaders {
    /// The value of header `name`, compared without regard to case; nil when absent.
    public static func value(_ name: String, in headers: [String: String]) -> String? {
        if let exact = headers[name] { return exact }
        let wanted = name.lowercased()
        return headers.first { $0.key.lowercased() == wanted }?.value
    }
}

/// A request that did not produce a response: unreachable host, deadline passed, or a body above the cap.
public struct WebClientError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable {
        case timedOut = "timed out"
        case tooLarge = "response too large"
        case transport = "transport error"
        case invalidResponse = "invalid response"
    }

    public var code: Code
    public var method: String
    /// The URL requested (never carries credentials: tokens travel in headers).
    public var url: String
    public var message: String

    public init(_ code: Code, method: String, url: String, message: String) {
        self.code = code
        self.method = method
        self.url = url
        self.message = message
    }

    public var description: String { "\(method) \(url): \(code.rawValue): \(message)" }
}

/// A plain `URLSession` client: one attempt per call, an overall deadline, a size cap checked on the body.
///
/// No retries, no cache, no cookies. It exists so that the GitHub client and the triggers can run against real
/// servers before the fetcher with retries and per-host limits is plugged in.
public struct URLSessionWebClient: WebClient {
    /// Seconds one request may take, from start to the last byte.
    public var timeoutSeconds: Double

    /// A client whose requests each end after `timeoutSeconds`.
    public init(timeoutSeconds: Double = 30) {
        self.timeoutSeconds = timeoutSeconds
    }

    public func send(
        method: String, url: URL, headers: [String: String], body: [UInt8]?, maxBytes: Int?
    ) async throws -> (status: Int, headers: [String: String], body: [UInt8]) {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeoutSeconds)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body) }
        let prepared = request
        let timeout = timeoutSeconds.isFinite && timeoutSeconds > 0 ? min(timeoutSeconds, 86_400) : 30
        let shownURL = url.absoluteString
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await withThrowingTaskGroup(of: (Data, URLResponse).self) { group in
                group.addTask { try await Self.perform(prepared, timeout: timeout) }
                group.addTask {
                    try await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
                    throw WebClientError(
                        .timedOut, method: method, url: shownURL, message: "no complete response within \(timeout) s")
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else {
                    throw WebClientError(.transport, method: method, url: shownURL, message: "no result")
                }
                return first
            }
        } catch let error as WebClientError {
            throw error
        } catch let error as URLError where error.code == .timedOut {
            throw WebClientError(.timedOut, method: method, url: shownURL, message: "no response within \(timeout) s")
        } catch {
            throw WebClientError(.transport, method: method, url: shownURL, message: error.localizedDescription)
        }
        guard let http = response as? HTTPURLResponse else {
            throw WebClientError(.invalidResponse, method: method, url: shownURL, message: "not an HTTP response")
        }
        if let maxBytes, data.count > maxBytes {
            throw WebClientError(
                .tooLarge, method: method, url: shownURL,
                message: "the body has \(data.count) bytes, more than the limit of \(maxBytes)")
        }
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let name = key as? String { fields[name] = "\(value)" }
        }
        return (http.statusCode, fields, Array(data))
    }

    /// One data task on a fresh session without cache or cookies, invalidated afterwards.
    private static func perform(_ request: URLRequest, timeout: Double) async throws -> (Data, URLResponse) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: configuration)
        defer { session.invalidateAndCancel() }
        return try await session.data(for: request)
    }
}
