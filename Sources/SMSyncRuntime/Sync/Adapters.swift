import Foundation
import SMSync

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
