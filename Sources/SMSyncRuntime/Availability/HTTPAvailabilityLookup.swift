import Crypto
import Foundation
import SMSync

/// Size and time bounds of the availability fetches.
public struct AvailabilityLimits: Sendable, Hashable {
    /// The largest `repodata.json` (served plain, or after decompressing `repodata.json.zst`), and the largest
    /// `repodata.json.zst` body. conda-forge's linux-64 file is about 250 MB.
    public var repodataMaxBytes: Int
    /// The largest shard index after decompression (conda-forge linux-64's is well under 10 MB).
    public var shardIndexMaxBytes: Int
    /// The largest shard, compressed or decompressed.
    public var shardMaxBytes: Int
    /// The largest PEP 691 project page.
    public var pageMaxBytes: Int
    /// The deadline of one repodata download, in seconds.
    public var repodataTimeoutSeconds: Double
    /// How long a subdir found without a shard index is served from `repodata.json` before the shard index is
    /// asked for again, in seconds.
    public var shardRecheckSeconds: Double

    public init(
        repodataMaxBytes: Int = 320 << 20,
        shardIndexMaxBytes: Int = 64 << 20,
        shardMaxBytes: Int = 32 << 20,
        pageMaxBytes: Int = 32 << 20,
        repodataTimeoutSeconds: Double = 600,
        shardRecheckSeconds: Double = 86_400
    ) {
        self.repodataMaxBytes = repodataMaxBytes
        self.shardIndexMaxBytes = shardIndexMaxBytes
        self.shardMaxBytes = shardMaxBytes
        self.pageMaxBytes = pageMaxBytes
        self.repodataTimeoutSeconds = repodataTimeoutSeconds
        self.shardRecheckSeconds = shardRecheckSeconds
    }
}

/// The availability lookup over HTTP, with an on-disk cache (``AvailabilityCache``).
///
/// Conda: a subdir's CEP-16 shard index (`repodata_shards.msgpack.zst`) when the channel has one, then only the
/// shards of the wanted names (content-addressed: verified against their SHA-256 and cached for good); otherwise
/// `repodata.json.zst`, else `repodata.json`, decompressed to the cache, memory-mapped and scanned for the wanted
/// records only (``RepodataScanner``). Which of the three a subdir serves is remembered, so a rerun with nothing
/// new costs one conditional request per channel and subdir. PEP 691: `<index>/<project>/` as
/// `application/vnd.pypi.simple.v1+json`, conditional as well.
///
/// Within one lookup object (one run) each subdir and each project page is fetched at most once.
public actor HTTPAvailabilityLookup: AvailabilityLookup {
    private let http: any HTTPTransport
    private let cache: AvailabilityCache
    private let authorization: @Sendable (String) -> String?
    private let limits: AvailabilityLimits
    private let now: @Sendable () -> Date

    private enum Source: Sendable {
        case sharded(index: ShardIndex, shardsBase: String, subdir: String)
        case plain(path: String, subdir: String)
        case missing
    }

    private var sources: [String: Task<Source, any Error>] = [:]
    private var shardRecords: [String: Task<[CondaRecord], any Error>] = [:]
    private var mapped: [String: MappedFile] = [:]
    /// Per plain subdir: the names scanned for, and what was found.
    private var scanned: [String: (names: Set<String>, records: [String: [CondaRecord]])] = [:]
    private var pages: [String: Task<[IndexFile]?, any Error>] = [:]

    /// - Parameters:
    ///   - http: the transport (an ``HTTPClient`` in production: retries, the per-host cap, `deny_networks`).
    ///   - cacheDirectory: the cache folder (``defaultCacheDirectory(environment:)``, or one beside the state
    ///     database); `availability/` is created inside it.
    ///   - authorization: the `Authorization` header value for a request URL (a channel's, a shard's or an index
    ///     page's), or nil to send none. Its values never appear in errors.
    public init(
        http: any HTTPTransport,
        cacheDirectory: String,
        authorization: @escaping @Sendable (_ url: String) -> String? = { _ in nil },
        limits: AvailabilityLimits = AvailabilityLimits(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.http = http
        self.cache = AvailabilityCache(directory: cacheDirectory)
        self.authorization = authorization
        self.limits = limits
        self.now = now
    }

    /// `$XDG_CACHE_HOME/smsync` when that is an absolute path, else `$HOME/.cache/smsync`; nil without either.
    public static func defaultCacheDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String? {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            return xdg + "/smsync"
        }
        if let home = environment["HOME"], home.hasPrefix("/") {
            return home + "/.cache/smsync"
        }
        return nil
    }

    // MARK: Conda

    public func condaRecords(
        channel: String, subdir: String, names: Set<String>
    ) async throws -> [String: [CondaRecord]] {
        let base = try Self.subdirURL(channel: channel, subdir: subdir)
        let task: Task<Source, any Error>
        if let existing = sources[base] {
            task = existing
        } else {
            task = Task { try await self.resolve(base: base, subdir: subdir) }
            sources[base] = task
        }
        let source: Source
        do {
            source = try await task.value
        } catch {
            sources[base] = nil
            throw error
        }
        let wanted = Set(names.map { $0.lowercased() })
        switch source {
        case .missing:
            return [:]
        case .sharded(let index, let shardsBase, let subdir):
            return try await shardedRecords(index, shardsBase: shardsBase, subdir: subdir, names: wanted)
        case .plain(let path, let subdir):
            return try plainRecords(base: base, path: path, subdir: subdir, names: wanted)
        }
    }

    /// `<channel>/<subdir>/`, with the channel an http(s) URL and the subdir a plain name.
    static func subdirURL(channel: String, subdir: String) throws(AvailabilityFetchError) -> String {
        var trimmed = channel
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", url.host?.isEmpty == false
        else {
            throw AvailabilityFetchError("the channel `\(Self.redact(channel))` is not an http(s) URL")
        }
        let subdirBytes = Array(subdir.utf8)
        guard let first = subdirBytes.first, first != 0x2e,
            subdirBytes.allSatisfy({ byte in
                (0x30...0x39).contains(byte) || (0x61...0x7a).contains(byte) || (0x41...0x5a).contains(byte)
                    || byte == 0x2d || byte == 0x5f || byte == 0x2e
            })
        else {
            throw AvailabilityFetchError("`\(subdir)` is not a conda subdir name")
        }
        return "\(trimmed)/\(subdir)/"
    }

    static func redact(_ text: String) -> String {
        URL(string: text).map { HTTPRedaction.redact($0) } ?? "<unparseable URL>"
    }

    private func resolve(base: String, subdir: String) async throws -> Source {
        try cache.prepare()
        let layoutPath = cache.layoutPath(base)
        let layout = cache.read(AvailabilityCache.Layout.self, layoutPath)
        let recheck = layout.map { now().timeIntervalSince1970 - $0.checked >= limits.shardRecheckSeconds } ?? true
        let askShards = layout == nil || layout?.kind == .sharded || recheck

        if askShards {
            let indexURL = base + "repodata_shards.msgpack.zst"
            if let path = try await fetch(indexURL, maxBytes: limits.shardIndexMaxBytes, kind: .stored) {
                let compressed = try cache.readBytes(path, limit: limits.shardIndexMaxBytes)
                let index: ShardIndex
                do {
                    index = try ShardIndex(
                        messagePack: try Zstd.decompress(compressed, maxBytes: limits.shardIndexMaxBytes))
                } catch let error as ZstdError {
                    throw AvailabilityFetchError("\(Self.redact(indexURL)): \(error.message)")
                } catch {
                    throw AvailabilityFetchError("\(Self.redact(indexURL)): \(error)")
                }
                try saveLayout(.sharded, layoutPath)
                let shardsBase = try Self.resolve(index.shardsBaseURL ?? "./shards/", against: indexURL)
                return .sharded(index: index, shardsBase: shardsBase, subdir: index.subdir ?? subdir)
            }
        }
        var kinds: [AvailabilityCache.Layout.Kind] = [.zst, .json]
        if !recheck, layout?.kind == .json { kinds = [.json] }
        for kind in kinds {
            let url = base + (kind == .zst ? "repodata.json.zst" : "repodata.json")
            let fetched = try await fetch(
                url, maxBytes: limits.repodataMaxBytes, kind: kind == .zst ? .decompressed : .stored,
                timeout: limits.repodataTimeoutSeconds)
            if let path = fetched {
                if layout?.kind != kind || askShards { try saveLayout(kind, layoutPath) }
                return .plain(path: path, subdir: subdir)
            }
        }
        try saveLayout(.missing, layoutPath)
        return .missing
    }

    private func saveLayout(_ kind: AvailabilityCache.Layout.Kind, _ path: String) throws(AvailabilityFetchError) {
        try cache.write(AvailabilityCache.Layout(kind: kind, checked: now().timeIntervalSince1970), path)
    }

    /// `reference` (absolute, or relative to `base`) as an absolute URL ending in `/`.
    static func resolve(_ reference: String, against base: String) throws(AvailabilityFetchError) -> String {
        guard let baseURL = URL(string: base), let resolved = URL(string: reference, relativeTo: baseURL)?.absoluteURL,
            let scheme = resolved.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else {
            throw AvailabilityFetchError(
                "\(redact(base)): `shards_base_url` \(reference.debugDescription) is not a URL")
        }
        let text = resolved.absoluteString
        return text.hasSuffix("/") ? text : text + "/"
    }

    private func shardedRecords(
        _ index: ShardIndex, shardsBase: String, subdir: String, names: Set<String>
    ) async throws -> [String: [CondaRecord]] {
        var tasks: [(String, Task<[CondaRecord], any Error>)] = []
        for name in names.sorted() {
            guard let hash = index.shards[name] else { continue }
            let hex = ShardIndex.hex(hash)
            if let task = shardRecords[hex] {
                tasks.append((name, task))
                continue
            }
            let task = Task {
                try await self.shard(hex: hex, hash: hash, url: shardsBase + hex + ".msgpack.zst", subdir: subdir)
            }
            shardRecords[hex] = task
            tasks.append((name, task))
        }
        var found: [String: [CondaRecord]] = [:]
        for (name, task) in tasks {
            let records: [CondaRecord]
            do {
                records = try await task.value
            } catch {
                if let hex = index.shardHash(name) { shardRecords[hex] = nil }
                throw error
            }
            let matching = records.filter { $0.name == name }
            if !matching.isEmpty { found[name] = matching }
        }
        return found
    }

    /// The records of one shard: from the cache when a file with that hash is there (and still matches it),
    /// else downloaded, verified and stored.
    private func shard(hex: String, hash: [UInt8], url: String, subdir: String) async throws -> [CondaRecord] {
        guard let path = cache.shardPath(hex) else { throw AvailabilityFetchError("bad shard hash \(hex)") }
        var compressed: [UInt8]?
        if cache.exists(path), let bytes = try? cache.readBytes(path, limit: limits.shardMaxBytes),
            Array(SHA256.hash(data: bytes)) == hash
        {
            compressed = bytes
        }
        if compressed == nil {
            let response = try await send(url, maxBytes: limits.shardMaxBytes, validators: nil, accept: nil)
            guard (200..<300).contains(response.status) else {
                throw AvailabilityFetchError("\(Self.redact(url)): HTTP \(response.status) for a shard the index lists")
            }
            guard Array(SHA256.hash(data: response.body)) == hash else {
                throw AvailabilityFetchError("\(Self.redact(url)): the shard does not match its SHA-256")
            }
            try cache.writeBytes(response.body, path)
            compressed = response.body
        }
        do {
            let decoded = try Zstd.decompress(compressed ?? [], maxBytes: limits.shardMaxBytes)
            return try RepodataShard.records(messagePack: decoded, fallbackSubdir: subdir)
        } catch let error as ZstdError {
            throw AvailabilityFetchError("\(Self.redact(url)): \(error.message)")
        } catch {
            throw AvailabilityFetchError("\(Self.redact(url)): \(error)")
        }
    }

    private func plainRecords(
        base: String, path: String, subdir: String, names: Set<String>
    ) throws -> [String: [CondaRecord]] {
        var state = scanned[base] ?? (names: [], records: [:])
        let missing = names.subtracting(state.names)
        if !missing.isEmpty {
            let file: MappedFile
            if let existing = mapped[base] {
                file = existing
            } else {
                file = try MappedFile(path: path)
                mapped[base] = file
            }
            do {
                let found = try RepodataScanner(names: missing).scan(file.bytes, fallbackSubdir: subdir) {
                    file.release(below: $0)
                }
                state.records.merge(found) { _, new in new }
                state.names.formUnion(missing)
                scanned[base] = state
            } catch {
                throw AvailabilityFetchError("\(Self.redact(base)): \(error)")
            }
        }
        return state.records.filter { names.contains($0.key) }
    }

    // MARK: PEP 691

    public func indexFiles(indexURL: String, project: String) async throws -> [IndexFile]? {
        guard let name = SimpleIndex.normalize(project) else {
            throw AvailabilityFetchError("\(project.debugDescription) is not a valid project name")
        }
        var base = indexURL
        while base.hasSuffix("/") { base.removeLast() }
        guard let parsed = URL(string: base), let scheme = parsed.scheme?.lowercased(),
            scheme == "http" || scheme == "https", parsed.host?.isEmpty == false
        else {
            throw AvailabilityFetchError("the package index `\(Self.redact(indexURL))` is not an http(s) URL")
        }
        let url = "\(base)/\(name)/"
        if let task = pages[url] { return try await task.value }
        let task = Task { try await self.page(url) }
        pages[url] = task
        do {
            return try await task.value
        } catch {
            pages[url] = nil
            throw error
        }
    }

    private func page(_ url: String) async throws -> [IndexFile]? {
        try cache.prepare()
        guard let path = try await fetch(url, maxBytes: limits.pageMaxBytes, kind: .page) else { return nil }
        let body = try cache.readBytes(path, limit: limits.pageMaxBytes)
        do {
            return try SimpleIndex.files(json: body)
        } catch {
            throw AvailabilityFetchError("\(Self.redact(url)): \(error.message)")
        }
    }

    // MARK: HTTP and cache

    private enum BodyKind {
        /// Stored as served.
        case stored
        /// A zstd body, stored decompressed.
        case decompressed
        /// A PEP 691 page: asked for as JSON, refused when the index answers with something else.
        case page
    }

    private func send(
        _ url: String, maxBytes: Int, validators: HTTPValidators?, accept: String?, timeout: Double? = nil
    ) async throws -> HTTPResponse {
        guard let parsed = URL(string: url) else { throw AvailabilityFetchError("not a URL: \(Self.redact(url))") }
        var headers: [String: String] = [:]
        if let accept { headers["Accept"] = accept }
        if let value = authorization(url) { headers["Authorization"] = value }
        let request = HTTPRequest(
            url: parsed, headers: headers, validators: validators, maxBytes: maxBytes, timeout: timeout)
        do {
            return try await http.send(request)
        } catch {
            throw AvailabilityFetchError(error.description)
        }
    }

    /// Fetches `url` into the cache, conditionally when a body and validators are cached: the path of the cached
    /// body (fresh or confirmed by a `304`), or nil for a `404` or `410`.
    private func fetch(
        _ url: String, maxBytes: Int, kind: BodyKind, timeout: Double? = nil
    ) async throws -> String? {
        let bodyPath = cache.bodyPath(url)
        let metaPath = cache.metaPath(url)
        let meta = cache.exists(bodyPath) ? cache.read(AvailabilityCache.Meta.self, metaPath) : nil
        let accept = kind == .page ? "application/vnd.pypi.simple.v1+json" : nil
        let response = try await send(
            url, maxBytes: maxBytes, validators: meta?.validators, accept: accept, timeout: timeout)
        if response.status == 304, meta != nil {
            return bodyPath
        }
        if response.status == 404 || response.status == 410 {
            return nil
        }
        guard (200..<300).contains(response.status) else {
            throw AvailabilityFetchError("\(Self.redact(url)): HTTP \(response.status)")
        }
        let contentType = response.header("content-type")
        if kind == .page {
            let type = contentType?.lowercased() ?? ""
            guard type.contains("json") else {
                throw AvailabilityFetchError(
                    "\(Self.redact(url)): the index answered with `\(type)`, not PEP 691 JSON "
                        + "(application/vnd.pypi.simple.v1+json)")
            }
        }
        switch kind {
        case .stored, .page:
            try cache.writeBytes(response.body, bodyPath)
        case .decompressed:
            let file = try StreamedFile(replacing: bodyPath)
            let cap = limits.repodataMaxBytes
            let failure = response.body.withUnsafeBytes { raw -> ZstdError? in
                do throws(ZstdError) {
                    try Zstd.decompress(raw, maxBytes: cap) { chunk in file.write(chunk) }
                    return nil
                } catch {
                    return error
                }
            }
            if let failure {
                file.discard()
                throw AvailabilityFetchError("\(Self.redact(url)): \(failure.message)")
            }
            try file.commit()
        }
        let newMeta = AvailabilityCache.Meta(
            url: Self.redact(url), etag: response.validators.etag, lastModified: response.validators.lastModified,
            contentType: contentType, fetched: now().timeIntervalSince1970)
        try cache.write(newMeta, metaPath)
        return bodyPath
    }
}
