import Foundation
import SMSync

/// One HTTP response as the poller needs it.
public struct FetchResult: Sendable {
    public var status: Int
    public var body: [UInt8]
    public var etag: String?
    public var lastModified: String?

    public init(status: Int, body: [UInt8], etag: String? = nil, lastModified: String? = nil) {
        self.status = status
        self.body = body
        self.etag = etag
        self.lastModified = lastModified
    }

    public var notModified: Bool { status == 304 }
}

/// The network seam of a sync run: one GET with retries, caps and deadlines handled by the implementation.
public protocol Fetcher: Sendable {
    func get(
        _ url: URL, headers: [String: String], etag: String?, lastModified: String?, maxBytes: Int?
    ) async throws
        -> FetchResult
}

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
}

/// The state seam of the poller: validators per URL and the last good release per source.
public protocol SourceCache: Sendable {
    func cachedFetch(url: String) throws -> CachedFetch?
    func cachedRelease(source: String) throws -> UpstreamRelease?
}

/// The result of polling one source.
public struct PolledSource: Sendable {
    public var release: UpstreamRelease
    /// False when every request came back unchanged (304 or the same content digest) and the stored release
    /// was used without parsing.
    public var changed: Bool
    /// Fetches to record after success (validators and digests).
    public var fetches: [PendingFetch]
    public var requests: Int
}

/// Reads one configured source over HTTP (or from disk) with conditional requests.
public struct SourcePoller: Sendable {
    public var fetcher: any Fetcher
    public var cache: any SourceCache
    public var limits: UpstreamLimits
    public var maxArchiveBytes: Int
    public var githubAPI: URL
    public var githubToken: String?
    /// Unpacks a `.tar.gz` of the examples repository into a folder (strips the top folder).
    public var extract: @Sendable (_ archive: [UInt8], _ directory: String) throws -> Void

    public init(
        fetcher: any Fetcher, cache: any SourceCache, limits: UpstreamLimits, maxArchiveBytes: Int, githubAPI: URL,
        githubToken: String?, extract: @escaping @Sendable ([UInt8], String) throws -> Void
    ) {
        self.fetcher = fetcher
        self.cache = cache
        self.limits = limits
        self.maxArchiveBytes = maxArchiveBytes
        self.githubAPI = githubAPI
        self.githubToken = githubToken
        self.extract = extract
    }

    /// Polls `source`; every failure is an `UpstreamError` naming the source and URL.
    public func poll(_ source: SourceConfig, configuration: Configuration) async throws(UpstreamError) -> PolledSource {
        let kind = source.upstreamKind
        if configuration.localPath(of: source) != nil, source.repo == nil {
            let release = try LocalSources.read(source, configuration: configuration, limits: limits)
            let previous = try? cache.cachedRelease(source: source.name)
            let changed = previous.map { $0 != release } ?? true
            return PolledSource(release: release, changed: changed, fetches: [], requests: 0)
        }
        var session = Session(poller: self, source: source, kind: kind)
        do {
            if let release = try await session.read() {
                return PolledSource(
                    release: release, changed: true, fetches: session.fetches, requests: session.requests)
            }
            guard let stored = try? cache.cachedRelease(source: source.name) else {
                // Validators without a stored release (the state was reset): fetch again unconditionally.
                var fresh = Session(poller: self, source: source, kind: kind)
                fresh.ignoreCache = true
                guard let release = try await fresh.read() else {
                    throw UpstreamError(
                        .unreadable, source: kind, location: source.url, message: "the server sent no content")
                }
                return PolledSource(
                    release: release, changed: true, fetches: fresh.fetches, requests: session.requests + fresh.requests
                )
            }
            return PolledSource(release: stored, changed: false, fetches: session.fetches, requests: session.requests)
        } catch let error as UpstreamError {
            throw error
        } catch {
            throw UpstreamError(.unreadable, source: kind, location: source.url, message: "\(error)")
        }
    }

    /// The requests of one source in one run.
    struct Session {
        let poller: SourcePoller
        let source: SourceConfig
        let kind: UpstreamSourceKind
        var fetches: [PendingFetch] = []
        var requests = 0
        var ignoreCache = false

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

        var githubHeaders: [String: String] {
            var headers = ["Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"]
            if let token = poller.githubToken { headers["Authorization"] = "Bearer \(token)" }
            return headers
        }

        /// A GET that sends the stored validators; nil when the content is unchanged (304 or the same digest).
        mutating func conditional(
            _ url: URL, headers: [String: String] = [:], maxBytes: Int? = nil
        ) async throws
            -> [UInt8]?
        {
            let cached = ignoreCache ? nil : try poller.cache.cachedFetch(url: url.absoluteString)
            requests += 1
            let result = try await poller.fetcher.get(
                url, headers: headers, etag: cached?.etag, lastModified: cached?.lastModified, maxBytes: maxBytes)
            if result.notModified, let cached {
                fetches.append(
                    PendingFetch(
                        url: url.absoluteString, status: 304, etag: result.etag ?? cached.etag,
                        lastModified: result.lastModified ?? cached.lastModified, digest: cached.digest))
                return nil
            }
            guard (200..<300).contains(result.status) else {
                throw UpstreamError(
                    .unreadable, source: kind, location: url.absoluteString,
                    message: "the server answered HTTP \(result.status)")
            }
            let digest = "sha256:" + SHA256Digest.hex(result.body)
            fetches.append(
                PendingFetch(
                    url: url.absoluteString, status: result.status, etag: result.etag,
                    lastModified: result.lastModified, digest: digest))
            if let cached, cached.digest == digest { return nil }
            return result.body
        }

        /// A plain GET that must succeed; `optional` turns a 404 into nil.
        mutating func plain(
            _ url: URL, headers: [String: String] = [:], maxBytes: Int? = nil, optional: Bool = false
        )
            async throws -> [UInt8]?
        {
            requests += 1
            let result = try await poller.fetcher.get(
                url, headers: headers, etag: nil, lastModified: nil, maxBytes: maxBytes)
            if optional, result.status == 404 { return nil }
            guard (200..<300).contains(result.status) else {
                throw UpstreamError(
                    .unreadable, source: kind, location: url.absoluteString,
                    message: "the server answered HTTP \(result.status)")
            }
            return result.body
        }

        mutating func awsDocs() async throws -> UpstreamRelease? {
            let page = try url(source.url)
            guard let body = try await conditional(page) else { return nil }
            return try UpstreamReaders.awsDocs(bytes: Data(body), location: page.absoluteString, limits: poller.limits)
        }

        mutating func sdkChangelog() async throws -> UpstreamRelease? {
            let file = try url(source.url)
            guard let body = try await conditional(file) else { return nil }
            let text = try UpstreamText.decode(
                body, source: .sdkChangelog, location: file.absoluteString, maxBytes: poller.limits.maxBytesPerFile)
            return try SDKChangelogReader.read(text, location: file.absoluteString)
        }

        /// `<base>/environment_list.txt` is the one conditional request; when it changed, every listed
        /// `<env>.yml` and optional `<env>_pip.txt` is read.
        mutating func envExports() async throws -> UpstreamRelease? {
            let base = source.url.hasSuffix("/") ? source.url : source.url + "/"
            let index = try url(base + "environment_list.txt")
            guard let body = try await conditional(index) else { return nil }
            var environments = EnvExportIndex.environments(in: String(decoding: body, as: UTF8.self))
            if let kernels = source.kernels {
                let wanted = Set(kernels.map(EnvExportReader.environmentName(ofKernel:)))
                environments = environments.filter { wanted.contains($0) }
            }
            guard !environments.isEmpty else {
                throw UpstreamError(
                    .missingContent, source: .envExport, location: index.absoluteString,
                    message: "the index names no environments")
            }
            var releases: [UpstreamRelease] = []
            for environment in environments {
                try EnvExportReader.checkEnvironmentName(environment, location: index.absoluteString)
                let exportURL = try url(base + "\(environment).yml")
                let freezeURL = try url(base + "\(environment)_pip.txt")
                guard let export = try await plain(exportURL, maxBytes: poller.limits.maxBytesPerFile) else { continue }
                let freeze = try await plain(freezeURL, maxBytes: poller.limits.maxBytesPerFile, optional: true)
                releases.append(
                    try EnvExportReader.read(
                        export: export, exportLocation: exportURL.absoluteString, freeze: freeze,
                        freezeLocation: freezeURL.absoluteString, limits: poller.limits))
            }
            return EnvExportReader.combine(releases, releaseID: "sha256:" + SHA256Digest.hex(body))
        }

        /// With `repo:`, the newest release folder under `build_artifacts/<branch or v4>` through the GitHub API
        /// (the folder listing is the conditional request); otherwise `url` is a RELEASE.md to read.
        mutating func distribution() async throws -> UpstreamRelease? {
            let variant = DistributionVariant(rawValue: source.variant ?? "cpu") ?? .cpu
            guard let repo = source.repo else {
                let file = try url(source.url)
                guard let body = try await conditional(file) else { return nil }
                let text = try UpstreamText.decode(
                    body, source: .distribution, location: file.absoluteString, maxBytes: poller.limits.maxBytesPerFile)
                return try DistributionReader.read(
                    [DistributionFile(location: file.absoluteString, text: text)], variant: variant)
            }
            let major = source.branch ?? "v4"
            let listing = try contentsURL(repo: repo, path: "build_artifacts/\(major)")
            guard let body = try await conditional(listing, headers: githubHeaders) else { return nil }
            guard let minor = Self.newestFolder(in: body) else {
                throw UpstreamError(
                    .missingContent, source: .distribution, location: listing.absoluteString,
                    message: "no release folders under build_artifacts/\(major)")
            }
            let minorURL = try contentsURL(repo: repo, path: "build_artifacts/\(major)/\(minor)")
            guard let minorBody = try await plain(minorURL, headers: githubHeaders),
                let patch = Self.newestFolder(in: minorBody)
            else {
                throw UpstreamError(
                    .missingContent, source: .distribution, location: minorURL.absoluteString,
                    message: "no release folders under build_artifacts/\(major)/\(minor)")
            }
            let folder = "build_artifacts/\(major)/\(minor)/\(patch)"
            var headers = githubHeaders
            headers["Accept"] = "application/vnd.github.raw"
            var files: [DistributionFile] = []
            for name in ["RELEASE.md", "CHANGELOG-\(variant.rawValue).md", "\(variant.rawValue).env.out"] {
                let fileURL = try contentsURL(repo: repo, path: "\(folder)/\(name)")
                guard let bytes = try await plain(fileURL, headers: headers, optional: name != "RELEASE.md") else {
                    continue
                }
                let text = try UpstreamText.decode(
                    bytes, source: .distribution, location: "\(repo)/\(folder)/\(name)",
                    maxBytes: poller.limits.maxBytesPerFile)
                files.append(DistributionFile(location: "\(repo)/\(folder)/\(name)", text: text))
            }
            return try DistributionReader.read(files, variant: variant)
        }

        /// The head commit of a branch (the conditional request); the archive is downloaded and scanned only
        /// when the commit is new.
        mutating func examples() async throws -> UpstreamRelease? {
            guard let repo = source.repo else {
                throw UpstreamError(
                    .unreadable, source: .examples, location: source.url,
                    message: "an examples source over HTTP needs `repo: owner/name` (read through the GitHub API)")
            }
            let branch = source.branch ?? "default"
            let commitURL = try githubURL("repos/\(repo)/commits/\(branch)")
            guard let body = try await conditional(commitURL, headers: githubHeaders) else { return nil }
            guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
                let sha = object["sha"] as? String, sha.count >= 7, sha.count <= 64, sha.allSatisfy(\.isHexDigit)
            else {
                throw UpstreamError(
                    .malformed, source: .examples, location: commitURL.absoluteString,
                    message: "the commits API answer has no commit sha")
            }
            if !ignoreCache, let stored = try? poller.cache.cachedRelease(source: source.name),
                stored.examples?.commit == sha
            {
                return nil
            }
            let archiveURL = try githubURL("repos/\(repo)/tarball/\(sha)")
            guard let archive = try await plain(archiveURL, headers: githubHeaders, maxBytes: poller.maxArchiveBytes)
            else { return nil }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-examples-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try poller.extract(archive, folder)
            } catch {
                throw UpstreamError(
                    .malformed, source: .examples, location: archiveURL.absoluteString,
                    message: "cannot unpack the archive: \(error)")
            }
            var release = try ExamplesTree.scan(root: folder, commit: sha, limits: poller.limits)
            release.notes = release.notes.map { $0.replacingOccurrences(of: folder + "/", with: "") }
            return release
        }

        func githubURL(_ path: String) throws(UpstreamError) -> URL {
            let base =
                poller.githubAPI.absoluteString.hasSuffix("/")
                ? String(poller.githubAPI.absoluteString.dropLast()) : poller.githubAPI.absoluteString
            return try url("\(base)/\(path)")
        }

        func contentsURL(repo: String, path: String) throws(UpstreamError) -> URL {
            try githubURL("repos/\(repo)/contents/\(path)?ref=main")
        }

        /// The newest `vX.Y[.Z]` folder in a GitHub contents listing.
        static func newestFolder(in body: [UInt8]) -> String? {
            guard let entries = try? JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]] else {
                return nil
            }
            let names = entries.compactMap { entry -> String? in
                guard entry["type"] as? String == "dir", let name = entry["name"] as? String else { return nil }
                return name
            }
            return GitHubClient.newestReleaseFolder(names: names)
        }
    }
}
