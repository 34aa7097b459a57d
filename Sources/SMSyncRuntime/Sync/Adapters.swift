import Foundation
import SMSync

/// The poller's `Fetcher` over the HTTP client: statuses other than 2xx and 304 come back as results (the poller
/// decides what a 404 means), transport failures throw.
public struct HTTPClientFetcher: Fetcher {
    public let client: HTTPClient

    public init(client: HTTPClient) {
        self.client = client
    }

    public func get(
        _ url: URL, headers: [String: String], etag: String?, lastModified: String?, maxBytes: Int?
    )
        async throws -> FetchResult
    {
        let validators =
            etag == nil && lastModified == nil ? nil : HTTPValidators(etag: etag, lastModified: lastModified)
        do {
            let response = try await client.fetch(
                HTTPRequest(url: url, headers: headers, validators: validators, maxBytes: maxBytes))
            return FetchResult(
                status: response.status, body: response.body, etag: response.validators.etag,
                lastModified: response.validators.lastModified)
        } catch {
            if case .status(let status) = error.kind, let response = error.response {
                return FetchResult(status: status, body: response.body)
            }
            throw error
        }
    }
}

/// The GitHub client's and the triggers' `WebClient` over the HTTP client (retries, caps, deadlines).
public struct HTTPClientWebClient: WebClient {
    public let client: HTTPClient

    public init(client: HTTPClient) {
        self.client = client
    }

    public func send(
        method: String, url: URL, headers: [String: String], body: [UInt8]?, maxBytes: Int?
    )
        async throws -> (status: Int, headers: [String: String], body: [UInt8])
    {
        do {
            let response = try await client.fetch(
                HTTPRequest(url: url, method: method, headers: headers, body: body, maxBytes: maxBytes))
            return (response.status, response.headers, response.body)
        } catch {
            if case .status = error.kind, let response = error.response {
                return (response.status, response.headers, response.body)
            }
            throw error
        }
    }
}

/// The poller's `SourceCache` over the state database.
public struct StateSourceCache: SourceCache {
    public let store: StateStore

    public init(store: StateStore) {
        self.store = store
    }

    public func cachedFetch(url: String) throws -> CachedFetch? {
        guard let record = try store.lastFetch(url: url) else { return nil }
        return CachedFetch(etag: record.etag, lastModified: record.lastModified, digest: record.digest)
    }

    public func cachedBody(url: String) throws -> [UInt8]? {
        try store.cachedBody(url: url)?.body
    }

    public func cachedRelease(source: String) throws -> UpstreamRelease? {
        guard let stored = try store.lastRelease(source: source) else { return nil }
        return try store.decodeRelease(stored)
    }

    public func processedInputs(source: String) throws -> String? {
        try store.sourceInputs(source: source)
    }

    public func parsedRelease(source: String, fingerprint: String) throws -> UpstreamRelease? {
        try store.sourceRead(source: source, fingerprint: fingerprint)
    }
}
