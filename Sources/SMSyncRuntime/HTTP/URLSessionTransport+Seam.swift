import Foundation

extension URLSessionTransport {
    /// One attempt with the request's bounds, or the defaults of ``HTTPPolicy`` where it leaves them open.
    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        try await send(
            request,
            maxBytes: request.maxBytes ?? HTTPPolicy.defaultMaxBytes,
            timeout: request.timeout ?? HTTPPolicy.defaultTimeout,
            connectTimeout: request.connectTimeout ?? HTTPPolicy.defaultConnectTimeout
        )
    }
}
