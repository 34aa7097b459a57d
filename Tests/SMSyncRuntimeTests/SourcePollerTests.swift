import Foundation
import Testing

@testable import SMSync
@testable import SMSyncRuntime

/// The poller with an injected fetcher (scripted answers per URL) and an in-memory cache.
@Suite("Sync: source poller")
struct SourcePollerTests {
    /// One scripted answer.
    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]
        var etag: String?
    }

    /// The HTTP seam answering from a script per URL (a 304 when the request's validator matches), recording
    /// each request.
    final class ScriptedFetcher: HTTPTransport, @unchecked Sendable {
        private let lock = NSLock()
        private var answers: [String: Answer] = [:]
        private(set) var log: [(url: String, etag: String?)] = []
        private(set) var requests: [HTTPRequest] = []

        func set(_ url: String, _ answer: Answer) {
            lock.withLock { answers[url] = answer }
        }

        func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
            lock.withLock {
                let url = request.url
                let etag = request.validators?.etag ?? request.header("If-None-Match")
                log.append((url.absoluteString, etag))
                requests.append(request)
                guard let answer = answers[url.absoluteString] else {
                    return HTTPResponse(url: url, status: 404, headers: [:], body: [])
                }
                if let etag, answer.etag == etag {
                    return HTTPResponse(url: url, status: 304, headers: ["ETag": etag], body: [])
                }
                return HTTPResponse(
                    url: url, status: answer.status, headers: answer.etag.map { ["ETag": $0] } ?? [:],
                    body: answer.body)
            }
        }
    }

    /// The state as the poller sees it: an HTTP cache (validators, bodies) and what sync processed.
    final class MemoryCache: SourceCache, @unchecked Sendable {
        var fetches: [String: CachedFetch] = [:]
        var bodies: [String: [UInt8]] = [:]
        var releases: [String: UpstreamRelease] = [:]
        var inputs: [String: String] = [:]

        func cachedFetch(url: String) throws -> CachedFetch? { fetches[url] }
        func cachedBody(url: String) throws -> [UInt8]? { bodies[url] }
        func cachedRelease(source: String) throws -> UpstreamRelease? { releases[source] }
        func processedInputs(source: String) throws -> String? { inputs[source] }
        func parsedRelease(source: String, fingerprint: String) throws -> UpstreamRelease? { parsed[fingerprint] }
        var parsed: [String: UpstreamRelease] = [:]

        /// What `diff` keeps: the HTTP cache only.
        func cache(_ polled: PolledSource) {
            for fetch in polled.fetches {
                fetches[fetch.url] = CachedFetch(
                    etag: fetch.etag, lastModified: fetch.lastModified, digest: fetch.digest)
                if let body = fetch.body { bodies[fetch.url] = body }
            }
            if polled.parsed, let fingerprint = polled.fingerprint { parsed[fingerprint] = polled.release }
        }

        /// What `sync` keeps: the HTTP cache and the release as processed.
        func remember(_ polled: PolledSource, source: String) {
            cache(polled)
            releases[source] = polled.release
            inputs[source] = polled.fingerprint
        }
    }

    func configuration(_ sources: String) throws -> Configuration {
        try Configuration(text: "envs: {dir: envs}\nsources:\n\(sources)", file: "/tmp/smsync.yml")
    }

    func poller(
        _ fetcher: ScriptedFetcher, _ cache: MemoryCache, githubAPI: String = "https://api.example.test"
    ) -> SourcePoller {
        SourcePoller(
            http: fetcher,
            github: Result { () throws(GitHubError) in try GitHubClient(http: fetcher, apiBase: githubAPI, token: nil)
            },
            cache: cache, limits: UpstreamLimits(), maxArchiveBytes: 1 << 20, extract: { _, _ in })
    }

    static let changelog = "# Changelog\n\n## v2.232.2 (2024-10-03)\n\n### Fixes\n\n * a fix\n"

    @Test func aNotModifiedAnswerReusesTheStoredReleaseWithoutParsing() async throws {
        let fetcher = ScriptedFetcher()
        let cache = MemoryCache()
        fetcher.set(
            "https://example.test/CHANGELOG.md",
            Answer(status: 200, body: Array(Self.changelog.utf8), etag: "\"a\""))
        let config = try configuration("  - kind: sdk-changelog\n    url: https://example.test/CHANGELOG.md\n")
        let source = try #require(config.sources.first)
        let first = try await poller(fetcher, cache).poll(source, configuration: config)
        #expect(first.changed)
        #expect(first.release.release == "2.232.2")
        cache.remember(first, source: source.name)
        let second = try await poller(fetcher, cache).poll(source, configuration: config)
        #expect(!second.changed)
        #expect(second.requests == 1)
        #expect(second.release == first.release)
        #expect(fetcher.log.last?.etag == "\"a\"")
    }

    @Test func theSameContentWithoutValidatorsIsUnchangedByDigest() async throws {
        let fetcher = ScriptedFetcher()
        let cache = MemoryCache()
        fetcher.set("https://example.test/CHANGELOG.md", Answer(status: 200, body: Array(Self.changelog.utf8)))
        let config = try configuration("  - kind: sdk-changelog\n    url: https://example.test/CHANGELOG.md\n")
        let source = try #require(config.sources.first)
        let first = try await poller(fetcher, cache).poll(source, configuration: config)
        cache.remember(first, source: source.name)
        let second = try await poller(fetcher, cache).poll(source, configuration: config)
        #expect(!second.changed)
    }

    @Test func envExportsFollowTheIndex() async throws {
        let fetcher = ScriptedFetcher()
        let cache = MemoryCache()
        let base = "https://bucket.example.test/exports/"
        fetcher.set(
            base + "environment_list.txt",
            Answer(
                status: 200, body: Array("# exported by on-start.sh\npython3 sha256:0a1b\n".utf8), etag: "\"i\""))
        fetcher.set(
            base + "python3.yml",
            Answer(
                status: 200,
                body: Array("name: python3\ndependencies:\n  - numpy=1.26.4=py_0\n  - pip:\n    - boto3==1.0.0\n".utf8))
        )
        fetcher.set(base + "python3_pip.txt", Answer(status: 200, body: Array("boto3==1.2.0\n".utf8)))
        let config = try configuration("  - kind: env-export\n    url: \(base)\n")
        let source = try #require(config.sources.first)
        let polled = try await poller(fetcher, cache).poll(source, configuration: config)
        let kernel = try #require(polled.release.kernels.first)
        #expect(kernel.kernel == "conda_python3")
        #expect(kernel.packages.first { $0.name == "boto3" }?.version == "1.2.0")
        #expect(polled.requests == 3)
        cache.remember(polled, source: source.name)
        let again = try await poller(fetcher, cache).poll(source, configuration: config)
        #expect(!again.changed)
        #expect(again.requests == 1, "only the index is asked again")
    }

    static let export = "name: python3\ndependencies:\n  - numpy=1.26.4=py_0\n  - seaborn=0.11.1=py_0\n"

    func exportsWorld(index: String) throws -> (ScriptedFetcher, Configuration, SourceConfig) {
        let fetcher = ScriptedFetcher()
        let base = "https://bucket.example.test/exports/"
        fetcher.set(base + "environment_list.txt", Answer(status: 200, body: Array(index.utf8), etag: "\"i\""))
        fetcher.set(base + "python3.yml", Answer(status: 200, body: Array(Self.export.utf8), etag: "\"e1\""))
        fetcher.set(
            base + "python3_pip.txt", Answer(status: 200, body: Array("boto3==1.2.0\n".utf8), etag: "\"p\""))
        let config = try configuration("  - kind: env-export\n    url: \(base)\n")
        return (fetcher, config, try #require(config.sources.first))
    }

    @Test func anIndexOfNamesOnlyAsksEveryExportConditionally() async throws {
        let (fetcher, config, source) = try exportsWorld(index: "python3\n")
        let cache = MemoryCache()
        let first = try await poller(fetcher, cache).poll(source, configuration: config)
        cache.remember(first, source: source.name)
        #expect(first.requests == 3)

        let quiet = try await poller(fetcher, cache).poll(source, configuration: config)
        #expect(!quiet.changed)
        #expect(quiet.requests == 3, "the index and both files of the export, each conditionally")
        #expect(quiet.fetches.allSatisfy { $0.status == 304 })
        #expect(quiet.origin == .notModified)

        // The export changes, the index does not (same bytes, same ETag).
        let changedExport = Self.export.replacingOccurrences(of: "0.11.1", with: "0.11.2")
        fetcher.set(
            "https://bucket.example.test/exports/python3.yml",
            Answer(status: 200, body: Array(changedExport.utf8), etag: "\"e2\""))
        let moved = try await poller(fetcher, cache).poll(source, configuration: config)
        #expect(moved.changed)
        #expect(moved.origin == .fetched)
        #expect(moved.release.kernels.first?.packages.first { $0.name == "seaborn" }?.version == "0.11.2")
        #expect(moved.requests == 3, "the unchanged index and freeze text are read back from the cache")
    }

    @Test func anIndexWithDigestsIsTrusted() async throws {
        let (fetcher, config, source) = try exportsWorld(
            index: "python3 sha256:\(String(repeating: "ab", count: 32))\n")
        let cache = MemoryCache()
        let first = try await poller(fetcher, cache).poll(source, configuration: config)
        cache.remember(first, source: source.name)
        let quiet = try await poller(fetcher, cache).poll(source, configuration: config)
        #expect(!quiet.changed)
        #expect(quiet.requests == 1, "only the index")
        #expect(EnvExportIndex.entries(in: "# c\npython3 0a1bff\nr  not-a-digest\n").map(\.digest) == ["0a1bff", nil])
    }

    @Test func whatDiffFetchedIsStillNewToSync() async throws {
        let (fetcher, config, source) = try exportsWorld(index: "python3\n")
        let cache = MemoryCache()
        cache.remember(try await poller(fetcher, cache).poll(source, configuration: config), source: source.name)
        let changedExport = Self.export.replacingOccurrences(of: "0.11.1", with: "0.11.2")
        fetcher.set(
            "https://bucket.example.test/exports/python3.yml",
            Answer(status: 200, body: Array(changedExport.utf8), etag: "\"e2\""))
        // A diff sees the change and fills the HTTP cache, without processing it.
        let diff = try await poller(fetcher, cache).poll(source, configuration: config)
        #expect(diff.changed)
        cache.cache(diff)
        // The next sync gets 304s only, and still sees the release as new.
        let sync = try await poller(fetcher, cache).poll(source, configuration: config)
        #expect(sync.fetches.allSatisfy { $0.status == 304 })
        #expect(sync.changed)
        #expect(sync.origin == .notModified)
        #expect(!sync.parsed, "what the diff parsed from the same inputs is reused")
        #expect(sync.release.kernels.first?.packages.first { $0.name == "seaborn" }?.version == "0.11.2")
        cache.remember(sync, source: source.name)
        #expect(try await poller(fetcher, cache).poll(source, configuration: config).changed == false)
    }

    @Test func distributionFindsTheNewestReleaseFolderThroughTheAPI() async throws {
        let fetcher = ScriptedFetcher()
        let cache = MemoryCache()
        let api = "https://api.example.test/repos/aws/sagemaker-distribution/contents/build_artifacts"
        let folders: (String) -> [UInt8] = { names in
            Array(
                ("["
                    + names.split(separator: ",").map {
                        "{\"name\": \"\($0)\", \"path\": \"x/\($0)\", \"type\": \"dir\"}"
                    }
                    .joined(separator: ",") + "]").utf8)
        }
        fetcher.set(api + "/v4", Answer(status: 200, body: folders("v4.2,v4.10,v4.9,notes"), etag: "\"l\""))
        fetcher.set(api + "/v4/v4.10", Answer(status: 200, body: folders("v4.10.0,v4.10.2,v4.10.1")))
        fetcher.set(
            api + "/v4/v4.10/v4.10.2/RELEASE.md",
            Answer(
                status: 200,
                body: Array("# Release notes: 4.10.2\n\nPackage | gpu| cpu\n---|---|---\nnumpy|2.1.0|2.1.0\n".utf8)
            ))
        let config = try configuration(
            "  - kind: distribution\n    url: https://github.com/aws/sagemaker-distribution\n"
                + "    repo: aws/sagemaker-distribution\n    branch: v4\n")
        let source = try #require(config.sources.first)
        let polled = try await poller(fetcher, cache).poll(source, configuration: config)
        #expect(polled.release.release == "4.10.2")
        // Read through the GitHub client: its headers, the default branch (no hard-coded `ref`), the raw file.
        #expect(fetcher.requests.allSatisfy { $0.url.query == nil })
        #expect(fetcher.requests.allSatisfy { $0.header("X-GitHub-Api-Version") == GitHubClient.apiVersion })
        #expect(fetcher.requests.last?.header("Accept") == "application/vnd.github.raw")
        // The listing is the conditional request: asked again, it is a 304 and nothing more is read.
        cache.remember(polled, source: source.name)
        let again = try await poller(fetcher, cache).poll(source, configuration: config)
        #expect(again.changed == false)
        #expect(again.requests == 1)
        #expect(fetcher.log.last?.etag == "\"l\"")
        #expect(polled.release.kernels.first?.packages.first { $0.name == "numpy" }?.version == "2.1.0")
        #expect(GitHubClient.newestReleaseFolder(names: ["v4.2", "v4.10", "v4.9", "latest"]) == "v4.10")
    }

    @Test func aFailedFetchNamesTheSourceAndURL() async throws {
        let fetcher = ScriptedFetcher()
        fetcher.set("https://example.test/page.html", Answer(status: 500, body: []))
        let config = try configuration("  - kind: aws-docs\n    url: https://example.test/page.html\n")
        let source = try #require(config.sources.first)
        let error = await #expect(throws: UpstreamError.self) {
            try await poller(fetcher, MemoryCache()).poll(source, configuration: config)
        }
        #expect(error?.source == .awsDocs)
        #expect(error?.description.contains("https://example.test/page.html") == true)
        #expect(error?.description.contains("500") == true)
    }
}
