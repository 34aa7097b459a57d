import Foundation
import SMSync

/// What the state remembers of a URL, for conditional requests.
public struct CachedFetch: Sendable, Hashable {
    public var etag: String?
    public var lastModified: String?
    public var digest: String?

    public init(etag: String?, lastModified: String?, digest: String?) {
        self.etag = etag
        self.lastModified = lastModified
        self.digest = digest
    }
}

/// A fetch to record once the source it belongs to has been read successfully.
public struct PendingFetch: Sendable, Hashable {
    public var url: String
    public var status: Int
    public var etag: String?
    public var lastModified: String?
    public var digest: String?
    /// The content of a 2xx answer, kept so that a later 304 (to `sync` or `diff`) can be read again.
    public var body: [UInt8]?
}

/// The state seam of the poller.
///
/// Two different things live behind it. The HTTP cache (validators and bodies per URL) is shared: `sync` and
/// `diff` both read and fill it. What a source was last *processed* from (its release and the fingerprint of its
/// inputs) is `sync`'s alone: a `diff` reads it but never moves it, so it cannot hide a change from the next sync.
public protocol SourceCache: Sendable {
    func cachedFetch(url: String) throws -> CachedFetch?
    /// The body of the last 2xx answer for `url`, when kept.
    func cachedBody(url: String) throws -> [UInt8]?
    /// The release `sync` last processed for `source`.
    func cachedRelease(source: String) throws -> UpstreamRelease?
    /// The fingerprint of the inputs `sync` last processed `source` from.
    func processedInputs(source: String) throws -> String?
    /// The release parsed before (by `sync` or `diff`) from `source`'s inputs with this fingerprint.
    func parsedRelease(source: String, fingerprint: String) throws -> UpstreamRelease?
}

/// Where a source's release came from in this run, for the report header.
public enum SourceOrigin: Sendable, Hashable {
    /// Read from a local file or folder.
    case local
    /// At least one request returned new content.
    case fetched
    /// Every request came back unchanged (304 or the same content); the cached content was used.
    case notModified
    /// No request was made (`--offline`): the release the last sync read, when it read it, in which run.
    case offline(at: Date?, runID: Int64?)
}

/// The result of polling one source.
public struct PolledSource: Sendable {
    public var release: UpstreamRelease
    /// True when the release differs from the one `sync` last processed (or none was).
    public var changed: Bool
    /// Fetches to record after success (validators, digests and bodies).
    public var fetches: [PendingFetch]
    public var requests: Int
    /// A digest over the URLs and content digests the release was read from; `sync` records it as processed.
    public var fingerprint: String?
    public var origin: SourceOrigin
    /// True when the release was parsed in this poll (worth keeping under its fingerprint).
    public var parsed: Bool = false
}

/// Reads one configured source over HTTP (or from disk) with conditional requests.
///
/// Every request goes through the one HTTP seam (``HTTPTransport``); GitHub is read through ``GitHubClient``'s
/// validated reads on that same seam, so repository, branch and path names are checked before they reach a URL.
public struct SourcePoller: Sendable {
    public var http: any HTTPTransport
    /// The GitHub client for `repo:` sources, or why there is none (a bad `GITHUB_API_URL`), reported when a
    /// source needs it.
    public var github: Result<GitHubClient, GitHubError>
    public var cache: any SourceCache
    public var limits: UpstreamLimits
    public var maxArchiveBytes: Int
    /// Unpacks a `.tar.gz` of the examples repository into a folder (strips the top folder).
    public var extract: @Sendable (_ archive: [UInt8], _ directory: String) async throws -> Void

    public init(
        http: any HTTPTransport, github: Result<GitHubClient, GitHubError>, cache: any SourceCache,
        limits: UpstreamLimits, maxArchiveBytes: Int,
        extract: @escaping @Sendable ([UInt8], String) async throws -> Void
    ) {
        self.http = http
        self.github = github
        self.cache = cache
        self.limits = limits
        self.maxArchiveBytes = maxArchiveBytes
        self.extract = extract
    }

    /// Polls `source`; every failure is an `UpstreamError` naming the source and URL.
    public func poll(_ source: SourceConfig, configuration: Configuration) async throws(UpstreamError) -> PolledSource {
        let kind = source.upstreamKind
        let processed = try? cache.cachedRelease(source: source.name)
        if configuration.localPath(of: source) != nil, source.repo == nil {
            let release = try LocalSources.read(source, configuration: configuration, limits: limits)
            let changed = processed.map { $0 != release } ?? true
            return PolledSource(
                release: release, changed: changed, fetches: [], requests: 0, fingerprint: nil, origin: .local)
        }
        var session = Session(poller: self, source: source, kind: kind)
        if processed != nil { session.processedInputs = try? cache.processedInputs(source: source.name) }
        session.processedRelease = processed
        do {
            let origin: SourceOrigin
            let release: UpstreamRelease
            var parsed = false
            if let read = try await session.read() {
                release = read
                parsed = true
                origin = session.fresh ? .fetched : .notModified
            } else if let known = session.known {
                release = known
                origin = session.fresh ? .fetched : .notModified
            } else if let processed {
                release = processed
                origin = .notModified
            } else {
                // Unchanged, yet nothing was processed before (the state was reset): read afresh.
                var again = Session(poller: self, source: source, kind: kind)
                again.ignoreCache = true
                guard let read = try await again.read() else {
                    throw UpstreamError(
                        .unreadable, source: kind, location: source.url, message: "the server sent no content")
                }
                again.requests += session.requests
                session = again
                release = read
                parsed = true
                origin = .fetched
            }
            return PolledSource(
                release: release, changed: processed.map { $0 != release } ?? true, fetches: session.fetches,
                requests: session.requests, fingerprint: session.fingerprint, origin: origin, parsed: parsed)
        } catch let error as UpstreamError {
            throw error
        } catch {
            throw UpstreamError(.unreadable, source: kind, location: source.url, message: "\(error)")
        }
    }

    /// How one input is asked for: the URL it is cached under, and a request given the validators to send (nil
    /// for an unconditional one). An answer of nil is a `404` the caller allowed.
    struct Request: Sendable {
        var url: URL
        var send: @Sendable (HTTPValidators?) async throws -> HTTPResponse?
    }

    /// One response body: new, or known by its digest (a 304, or the same content again) and read from the cache
    /// only when a reader needs it.
    struct Input {
        var request: Request
        var url: URL { request.url }
        var digest: String
        var bytes: [UInt8]?
    }

    /// The requests of one source in one run.
    struct Session {
        let poller: SourcePoller
        let source: SourceConfig
        let kind: UpstreamSourceKind
        var fetches: [PendingFetch] = []
        var requests = 0
        var ignoreCache = false
        /// What sync last processed; a checkpoint that matches it ends the read early.
        var processedInputs: String?
        var processedRelease: UpstreamRelease?
        /// The URLs and content digests read so far, in order.
        var inputs: [(url: String, digest: String)] = []
        /// The fingerprint at the source's checkpoint (see ``unchanged()``).
        var fingerprint: String?
        /// Whether any request returned new content.
        var fresh = false
        /// The release parsed before from the same inputs (by a diff, or a sync), found at the checkpoint.
        var known: UpstreamRelease?

        init(poller: SourcePoller, source: SourceConfig, kind: UpstreamSourceKind) {
            self.poller = poller
            self.source = source
            self.kind = kind
        }

        /// Reads the source by its kind; nil when everything came back unchanged.
        mutating func read() async throws -> UpstreamRelease? {
            switch kind {
            case .awsDocs: try await awsDocs()
            case .sdkChangelog: try await sdkChangelog()
            case .envExport: try await envExports()
            case .distribution: try await distribution()
            case .examples: try await examples()
            }
        }

        func url(_ text: String) throws(UpstreamError) -> URL {
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
                scheme == "http" || scheme == "https"
            else {
                throw UpstreamError(.unreadable, source: kind, location: text, message: "not an http(s) URL")
            }
            return url
        }

        var github: GitHubClient {
            get throws(GitHubError) { try poller.github.get() }
        }

        /// A GET of `url` through the HTTP seam; `optional` makes a `404` nil, any other status outside `2xx` and
        /// `304` an error naming the URL.
        func request(_ url: URL, maxBytes: Int? = nil, optional: Bool = false) -> Request {
            let http = poller.http
            let kind = self.kind
            return Request(url: url) { validators in
                let response = try await http.send(HTTPRequest(url: url, validators: validators, maxBytes: maxBytes))
                if optional, response.status == 404 { return nil }
                guard (200..<300).contains(response.status) || response.status == 304 else {
                    throw UpstreamError(
                        .unreadable, source: kind, location: url.absoluteString,
                        message: "the server answered HTTP \(response.status)")
                }
                return response
            }
        }

        /// A read through the GitHub client; `optional` makes a `404` nil.
        func request(
            _ read: GitHubClient.Read, maxBytes: Int? = nil, optional: Bool = false
        ) throws(GitHubError) -> Request {
            let github = try self.github
            return Request(url: try github.url(of: read)) { validators in
                try await github.get(read, validators: validators, maxBytes: maxBytes, allowMissing: optional)
            }
        }

        /// The checkpoint of a source: fixes the fingerprint of the inputs read so far and says whether these
        /// inputs were read before: processed by sync (its release stands), or parsed by an earlier diff or sync
        /// (``known``). Then nothing more is fetched or parsed.
        mutating func unchanged() -> Bool {
            let lines = inputs.map { "\($0.url) \($0.digest)" }.joined(separator: "\n")
            let fingerprint = "sha256:" + SHA256Digest.hex(Array(lines.utf8))
            self.fingerprint = fingerprint
            guard !ignoreCache else { return false }
            if processedRelease != nil, processedInputs == fingerprint { return true }
            known = try? poller.cache.parsedRelease(source: source.name, fingerprint: fingerprint)
            return known != nil
        }

        /// A GET that sends the stored validators. The answer is new content, or the cached content's digest when
        /// the server says 304; nil is a `404` the request allows.
        mutating func conditional(_ request: Request) async throws -> Input? {
            let url = request.url
            let cached = ignoreCache ? nil : try poller.cache.cachedFetch(url: url.absoluteString)
            let validators = cached.map { HTTPValidators(etag: $0.etag, lastModified: $0.lastModified) }
            requests += 1
            guard let result = try await request.send(validators.flatMap { $0.isEmpty ? nil : $0 }) else {
                return nil
            }
            if result.notModified, let cached, let digest = cached.digest {
                fetches.append(
                    PendingFetch(
                        url: url.absoluteString, status: 304, etag: result.validators.etag ?? cached.etag,
                        lastModified: result.validators.lastModified ?? cached.lastModified, digest: digest))
                inputs.append((url.absoluteString, digest))
                return Input(request: request, digest: digest, bytes: nil)
            }
            let body = try Self.success(result, url: url, kind: kind)
            let digest = "sha256:" + SHA256Digest.hex(body)
            fetches.append(
                PendingFetch(
                    url: url.absoluteString, status: result.status, etag: result.validators.etag,
                    lastModified: result.validators.lastModified, digest: digest, body: body))
            inputs.append((url.absoluteString, digest))
            if cached?.digest != digest { fresh = true }
            return Input(request: request, digest: digest, bytes: body)
        }

        /// The body of a `2xx`; a `304` nothing was cached for is an error.
        static func success(
            _ response: HTTPResponse, url: URL, kind: UpstreamSourceKind
        ) throws(UpstreamError) -> [UInt8] {
            guard (200..<300).contains(response.status) else {
                throw UpstreamError(
                    .unreadable, source: kind, location: url.absoluteString,
                    message: "the server answered HTTP \(response.status)")
            }
            return response.body
        }

        /// The bytes of an input: as received, else from the body cache, else fetched again without validators
        /// (a cache that lost the body, or a state written before bodies were kept).
        mutating func bytes(_ input: Input) async throws -> [UInt8] {
            if let bytes = input.bytes { return bytes }
            if let cached = try? poller.cache.cachedBody(url: input.url.absoluteString),
                "sha256:" + SHA256Digest.hex(cached) == input.digest
            {
                return cached
            }
            requests += 1
            guard let result = try await input.request.send(nil) else {
                throw UpstreamError(
                    .unreadable, source: kind, location: input.url.absoluteString,
                    message: "the server answered HTTP 404")
            }
            let body = try Self.success(result, url: input.url, kind: kind)
            let digest = "sha256:" + SHA256Digest.hex(body)
            fetches.append(
                PendingFetch(
                    url: input.url.absoluteString, status: result.status, etag: result.validators.etag,
                    lastModified: result.validators.lastModified, digest: digest, body: body))
            if digest != input.digest {
                fresh = true
                if let index = inputs.firstIndex(where: { $0.url == input.url.absoluteString }) {
                    inputs[index].digest = digest
                }
            }
            return body
        }

        /// A plain GET that must succeed; nil is a `404` the request allows.
        mutating func plain(_ request: Request) async throws -> [UInt8]? {
            requests += 1
            guard let result = try await request.send(nil) else { return nil }
            return try Self.success(result, url: request.url, kind: kind)
        }

        mutating func awsDocs() async throws -> UpstreamRelease? {
            let page = try url(source.url)
            guard let input = try await conditional(request(page)), !unchanged() else { return nil }
            return try UpstreamReaders.awsDocs(
                bytes: Data(try await bytes(input)), location: page.absoluteString, limits: poller.limits)
        }

        mutating func sdkChangelog() async throws -> UpstreamRelease? {
            let file = try url(source.url)
            guard let input = try await conditional(request(file)), !unchanged() else { return nil }
            let text = try UpstreamText.decode(
                try await bytes(input), source: .sdkChangelog, location: file.absoluteString,
                maxBytes: poller.limits.maxBytesPerFile)
            return try SDKChangelogReader.read(text, location: file.absoluteString)
        }

        /// `<base>/environment_list.txt` lists the environments. An index whose every line carries a content digest
        /// (`<env> <sha256>`) changes whenever an export does, so it is trusted: unchanged, it is the only request.
        /// An index of names only says nothing about the exports' content, so every listed `<env>.yml` and
        /// `<env>_pip.txt` is asked conditionally too (each a 304 when unchanged): no export change is missed.
        mutating func envExports() async throws -> UpstreamRelease? {
            let base = source.url.hasSuffix("/") ? source.url : source.url + "/"
            let indexURL = try url(base + "environment_list.txt")
            guard let index = try await conditional(request(indexURL, maxBytes: poller.limits.maxBytesPerFile)) else {
                return nil
            }
            var entries = EnvExportIndex.entries(in: String(decoding: try await bytes(index), as: UTF8.self))
            if let kernels = source.kernels {
                let wanted = Set(kernels.map(EnvExportReader.environmentName(ofKernel:)))
                entries = entries.filter { wanted.contains($0.name) }
            }
            guard !entries.isEmpty else {
                throw UpstreamError(
                    .missingContent, source: .envExport, location: indexURL.absoluteString,
                    message: "the index names no environments")
            }
            let trusted = entries.allSatisfy { $0.digest != nil }
            if trusted, unchanged() { return nil }
            var exports: [(export: Input, freeze: Input?, freezeURL: URL)] = []
            for entry in entries {
                try EnvExportReader.checkEnvironmentName(entry.name, location: indexURL.absoluteString)
                let exportURL = try url(base + "\(entry.name).yml")
                let freezeURL = try url(base + "\(entry.name)_pip.txt")
                guard let export = try await conditional(request(exportURL, maxBytes: poller.limits.maxBytesPerFile))
                else {
                    continue
                }
                let freeze = try await conditional(
                    request(freezeURL, maxBytes: poller.limits.maxBytesPerFile, optional: true))
                exports.append((export, freeze, freezeURL))
            }
            if !trusted, unchanged() { return nil }
            var releases: [UpstreamRelease] = []
            for item in exports {
                let export = try await bytes(item.export)
                var freeze: [UInt8]?
                if let input = item.freeze { freeze = try await bytes(input) }
                releases.append(
                    try EnvExportReader.read(
                        export: export, exportLocation: item.export.url.absoluteString, freeze: freeze,
                        freezeLocation: item.freezeURL.absoluteString, limits: poller.limits))
            }
            let contents = exports.map { "\($0.export.digest) \($0.freeze?.digest ?? "-")" }.joined(separator: "\n")
            let releaseID = trusted ? index.digest : "sha256:" + SHA256Digest.hex(Array(contents.utf8))
            return EnvExportReader.combine(releases, releaseID: releaseID)
        }

        /// With `repo:`, the newest release folder under `build_artifacts/<branch or v4>` through the GitHub API
        /// (the folder listing is the conditional request); otherwise `url` is a RELEASE.md to read.
        mutating func distribution() async throws -> UpstreamRelease? {
            let variant = DistributionVariant(rawValue: source.variant ?? "cpu") ?? .cpu
            guard let repo = source.repo else {
                let file = try url(source.url)
                guard let input = try await conditional(request(file)), !unchanged() else { return nil }
                let text = try UpstreamText.decode(
                    try await bytes(input), source: .distribution, location: file.absoluteString,
                    maxBytes: poller.limits.maxBytesPerFile)
                return try DistributionReader.read(
                    [DistributionFile(location: file.absoluteString, text: text)], variant: variant)
            }
            // `branch:` names the major folder here (`v4`); the files are read on the default branch.
            let major = source.branch ?? "v4"
            let listingPath = "build_artifacts/\(major)"
            let listing = try request(.directory(repo: repo, path: listingPath, ref: nil))
            guard let input = try await conditional(listing), !unchanged() else { return nil }
            guard let minor = Self.newestFolder(in: try await bytes(input)) else {
                throw UpstreamError(
                    .missingContent, source: .distribution, location: listing.url.absoluteString,
                    message: "no release folders under \(listingPath)")
            }
            let minorPath = "\(listingPath)/\(minor)"
            let minorListing = try request(.directory(repo: repo, path: minorPath, ref: nil))
            guard let minorBody = try await plain(minorListing),
                let patch = Self.newestFolder(in: minorBody)
            else {
                throw UpstreamError(
                    .missingContent, source: .distribution, location: minorListing.url.absoluteString,
                    message: "no release folders under \(minorPath)")
            }
            let folder = "\(minorPath)/\(patch)"
            var files: [DistributionFile] = []
            for name in ["RELEASE.md", "CHANGELOG-\(variant.rawValue).md", "\(variant.rawValue).env.out"] {
                let file = try request(
                    .file(repo: repo, path: "\(folder)/\(name)", ref: nil), maxBytes: poller.limits.maxBytesPerFile,
                    optional: name != "RELEASE.md")
                guard let bytes = try await plain(file) else { continue }
                let text = try UpstreamText.decode(
                    bytes, source: .distribution, location: "\(repo)/\(folder)/\(name)",
                    maxBytes: poller.limits.maxBytesPerFile)
                files.append(DistributionFile(location: "\(repo)/\(folder)/\(name)", text: text))
            }
            return try DistributionReader.read(files, variant: variant)
        }

        /// The head commit of a branch (the conditional request); the archive is downloaded and scanned only
        /// when the commit is not the one sync last processed.
        mutating func examples() async throws -> UpstreamRelease? {
            guard let repo = source.repo else {
                throw UpstreamError(
                    .unreadable, source: .examples, location: source.url,
                    message: "an examples source over HTTP needs `repo: owner/name` (read through the GitHub API)")
            }
            let branch = source.branch ?? "default"
            let commit = try request(.commit(repo: repo, ref: branch))
            guard let input = try await conditional(commit), !unchanged() else {
                return nil
            }
            let body = try await bytes(input)
            let sha: String
            do {
                sha = try GitHubClient.commitSHA(
                    in: body, endpoint: try github.endpoint(of: .commit(repo: repo, ref: branch)))
            } catch {
                throw UpstreamError(
                    .malformed, source: .examples, location: commit.url.absoluteString,
                    message: "the commits API answer has no commit sha: \(error.message)")
            }
            if !ignoreCache, let stored = processedRelease, stored.examples?.commit == sha { return nil }
            let archive = try request(.tarball(repo: repo, ref: sha), maxBytes: poller.maxArchiveBytes)
            let archiveURL = archive.url
            guard let archive = try await plain(archive) else { return nil }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-examples-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try await poller.extract(archive, folder)
            } catch {
                throw UpstreamError(
                    .malformed, source: .examples, location: archiveURL.absoluteString,
                    message: "cannot unpack the archive: \(error)")
            }
            var release = try ExamplesTree.scan(root: folder, commit: sha, limits: poller.limits)
            release.notes = release.notes.map { $0.replacingOccurrences(of: folder + "/", with: "") }
            return release
        }

        /// The newest `vX.Y[.Z]` folder in a GitHub contents listing.
        static func newestFolder(in body: [UInt8]) -> String? {
            guard let entries = GitHubClient.entries(in: body) else { return nil }
            return GitHubClient.newestReleaseFolder(names: entries.filter { $0.type == "dir" }.map(\.name))
        }
    }
}
