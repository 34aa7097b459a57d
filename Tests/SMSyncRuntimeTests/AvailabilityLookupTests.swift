import Crypto
import Foundation
import SMSync
import SMSyncTestSupport
import Testing

@testable import SMSyncRuntime

/// The HTTP availability lookup against a fake conda channel and a fake PEP 691 index on 127.0.0.1.
@Suite("Availability lookup over loopback", .serialized)
struct AvailabilityLookupTests {
    static let token = "Bearer chan-s3cret-7f3a9"

    func withServer(_ body: (LoopbackServer, String) async throws -> Void) async throws {
        let server = try await LoopbackServer.start()
        let cache = NSTemporaryDirectory() + "smsync-availability-\(UUID().uuidString)"
        do {
            try await body(server, cache)
        } catch {
            await server.stop()
            try? FileManager.default.removeItem(atPath: cache)
            throw error
        }
        await server.stop()
        try? FileManager.default.removeItem(atPath: cache)
    }

    func lookup(_ cache: String, token: String? = nil) -> HTTPAvailabilityLookup {
        let http = HTTPClient(
            policy: testPolicy(retries: 0, maxBytes: 64 << 10), transport: URLSessionTransport(),
            sleep: SleepRecorder().sleep)
        return HTTPAvailabilityLookup(
            http: http, cacheDirectory: cache, authorization: { url in url.contains("/private/") ? token : nil })
    }

    static func name(_ index: Int) -> String { "pkg-\(index)" }

    static func shard(_ name: String, versions: [String]) -> [UInt8] {
        let records: [(String, MiniMessagePack)] = versions.map { version in
            (
                "\(name)-\(version)-py310h0_0.conda",
                .map([
                    ("build", .string("py310h0_0")), ("build_number", .int(0)),
                    ("depends", .array([.string("python >=3.10,<3.11.0a0"), .string("python_abi 3.10.* *_cp310")])),
                    ("md5", .binary([UInt8](repeating: 3, count: 16))), ("name", .string(name)),
                    ("sha256", .binary([UInt8](repeating: 4, count: 32))), ("size", .int(1000)),
                    ("subdir", .string("linux-64")), ("version", .string(version)),
                ])
            )
        }
        return MiniMessagePack.map([("packages", .map([])), ("packages.conda", .map(records)), ("removed", .array([]))])
            .encoded
    }

    /// A sharded subdir at `/<channel>/linux-64/` with `count` packages; returns the shard hashes by name.
    @discardableResult
    static func serveSharded(
        _ server: LoopbackServer, channel: String, count: Int, etag: String, extraVersion: String? = nil
    ) async throws -> [String: String] {
        var shards: [(String, MiniMessagePack)] = []
        var hashes: [String: String] = [:]
        for index in 0..<count {
            let name = name(index)
            var versions = ["1.0.0", "1.1.0"]
            if index == 0, let extraVersion { versions.append(extraVersion) }
            let compressed = try Zstd.compress(shard(name, versions: versions))
            let hash = Array(SHA256.hash(data: compressed))
            let hex = ShardIndex.hex(hash)
            hashes[name] = hex
            shards.append((name, .binary(hash)))
            await server.resource(
                "/\(channel)/linux-64/shards/\(hex).msgpack.zst", body: compressed,
                contentType: "application/octet-stream")
        }
        let index = MiniMessagePack.map([
            ("version", .int(1)),
            (
                "info",
                .map([
                    ("base_url", .string("./")), ("shards_base_url", .string("./shards/")),
                    ("subdir", .string("linux-64")),
                ])
            ),
            ("shards", .map(shards)),
        ]).encoded
        await server.resource(
            "/\(channel)/linux-64/repodata_shards.msgpack.zst", body: try Zstd.compress(index),
            contentType: "application/octet-stream", etag: etag)
        return hashes
    }

    static func repodata(_ names: [String], version: String = "2.0.0") -> [UInt8] {
        var packages: [String] = []
        for name in names {
            packages.append(
                #""\#(name)-\#(version)-py310h1_0.conda": {"build": "py310h1_0", "build_number": 0, "depends": ["python >=3.10,<3.11.0a0"], "name": "\#(name)", "subdir": "linux-64", "version": "\#(version)"}"#
            )
        }
        let conda = packages.joined(separator: ", ")
        let text =
            #"{"info": {"subdir": "linux-64"}, "packages": {}, "packages.conda": {\#(conda)}, "repodata_version": 1}"#
        return Array(text.utf8)
    }

    @Test func shardedChannelFetchesTheIndexAndOnlyTheWantedShardsThenOneConditionalRequest() async throws {
        try await withServer { server, cache in
            try await Self.serveSharded(server, channel: "forge", count: 260, etag: "\"idx-1\"")
            let channel = server.url("/forge").absoluteString
            let wanted = Set((0..<200).map(Self.name))

            let first = lookup(cache)
            let records = try await first.condaRecords(channel: channel, subdir: "linux-64", names: wanted)
            #expect(records.count == 200)
            #expect(records["pkg-7"]?.map(\.version).sorted() == ["1.0.0", "1.1.0"])
            #expect(records["pkg-7"]?.first?.depends.contains("python_abi 3.10.* *_cp310") == true)
            #expect(records["pkg-250"] == nil)
            let firstRun = await server.requests()
            #expect(firstRun.count == 201)
            #expect(firstRun.filter { $0.path.hasSuffix("repodata_shards.msgpack.zst") }.count == 1)
            // Within the run, asking again costs nothing.
            _ = try await first.condaRecords(channel: channel + "/", subdir: "linux-64", names: ["pkg-1", "pkg-2"])
            #expect(await server.requests().count == 201)

            await server.clearLog()
            let second = lookup(cache)
            let again = try await second.condaRecords(channel: channel, subdir: "linux-64", names: wanted)
            #expect(again == records)
            let rerun = await server.requests()
            #expect(rerun.count == 1)
            #expect(rerun.first?.header("if-none-match") == "\"idx-1\"")

            // A new index with one changed shard: the index and that shard only.
            try await Self.serveSharded(server, channel: "forge", count: 260, etag: "\"idx-2\"", extraVersion: "1.2.0")
            await server.clearLog()
            let third = try await lookup(cache).condaRecords(channel: channel, subdir: "linux-64", names: wanted)
            #expect(third["pkg-0"]?.map(\.version).sorted() == ["1.0.0", "1.1.0", "1.2.0"])
            #expect(await server.requests().count == 2)
        }
    }

    @Test func aShardThatDoesNotMatchItsHashIsRefusedAndNotCached() async throws {
        try await withServer { server, cache in
            let hashes = try await Self.serveSharded(server, channel: "forge", count: 2, etag: "\"i\"")
            let hex = try #require(hashes["pkg-1"])
            await server.resource(
                "/forge/linux-64/shards/\(hex).msgpack.zst",
                body: try Zstd.compress(Self.shard("pkg-1", versions: ["6.6.6"])))
            let channel = server.url("/forge").absoluteString
            await #expect(throws: AvailabilityFetchError.self) {
                try await lookup(cache).condaRecords(channel: channel, subdir: "linux-64", names: ["pkg-1"])
            }
            #expect(!FileManager.default.fileExists(atPath: cache + "/availability/shards/\(hex).msgpack.zst"))
            let fine = try await lookup(cache).condaRecords(channel: channel, subdir: "linux-64", names: ["pkg-0"])
            #expect(fine["pkg-0"]?.count == 2)
        }
    }

    @Test func plainZstdRepodataIsScannedAndRerunCostsOneConditionalRequest() async throws {
        try await withServer { server, cache in
            let names = (0..<300).map(Self.name)
            await server.resource(
                "/plain/linux-64/repodata.json.zst", body: try Zstd.compress(Self.repodata(names)),
                contentType: "application/octet-stream", etag: "\"zst-1\"")
            let channel = server.url("/plain").absoluteString
            let wanted = Set(names.prefix(200))
            let records = try await lookup(cache).condaRecords(channel: channel, subdir: "linux-64", names: wanted)
            #expect(records.count == 200)
            #expect(records["pkg-3"]?.first?.version == "2.0.0")
            let paths = await server.requests().map(\.path)
            #expect(paths == ["/plain/linux-64/repodata_shards.msgpack.zst", "/plain/linux-64/repodata.json.zst"])

            await server.clearLog()
            let rerun = lookup(cache)
            #expect(try await rerun.condaRecords(channel: channel, subdir: "linux-64", names: wanted) == records)
            // Names not scanned for yet come from the same file, without a request.
            #expect(try await rerun.condaRecords(channel: channel, subdir: "linux-64", names: ["pkg-250"]).count == 1)
            let requests = await server.requests()
            #expect(requests.map(\.path) == ["/plain/linux-64/repodata.json.zst"])
            #expect(requests.first?.header("if-none-match") == "\"zst-1\"")

            // The file changes: the new body is used.
            await server.resource(
                "/plain/linux-64/repodata.json.zst", body: try Zstd.compress(Self.repodata(names, version: "3.0.0")),
                contentType: "application/octet-stream", etag: "\"zst-2\"")
            let changed = try await lookup(cache).condaRecords(channel: channel, subdir: "linux-64", names: ["pkg-3"])
            #expect(changed["pkg-3"]?.first?.version == "3.0.0")
        }
    }

    @Test func plainJSONRepodataAndAMissingSubdir() async throws {
        try await withServer { server, cache in
            await server.resource(
                "/json/noarch/repodata.json", body: Self.repodata(["rich", "typing_extensions"]),
                contentType: "application/json", lastModified: "Tue, 14 Nov 2023 22:00:00 GMT")
            let channel = server.url("/json").absoluteString
            let records = try await lookup(cache).condaRecords(channel: channel, subdir: "noarch", names: ["rich"])
            #expect(records["rich"]?.first?.fileName == "rich-2.0.0-py310h1_0.conda")
            #expect(await server.requests().count == 3)

            await server.clearLog()
            _ = try await lookup(cache).condaRecords(channel: channel, subdir: "noarch", names: ["rich"])
            let rerun = await server.requests()
            #expect(rerun.map(\.path) == ["/json/noarch/repodata.json"])
            #expect(rerun.first?.header("if-modified-since") == "Tue, 14 Nov 2023 22:00:00 GMT")

            // A subdir the channel does not have: no records.
            let aarch = try await lookup(cache).condaRecords(channel: channel, subdir: "linux-aarch64", names: ["rich"])
            #expect(aarch.isEmpty)
            await #expect(throws: AvailabilityFetchError.self) {
                try await lookup(cache).condaRecords(channel: channel, subdir: "../etc", names: ["rich"])
            }
            await #expect(throws: AvailabilityFetchError.self) {
                try await lookup(cache).condaRecords(channel: "file:///etc", subdir: "noarch", names: ["rich"])
            }
        }
    }

    @Test func aZstdBombIsRefusedAtTheRepodataCap() async throws {
        try await withServer { server, cache in
            let bomb = try Zstd.compress([UInt8](repeating: 0x20, count: 8 << 20), level: 19)
            await server.resource(
                "/bomb/linux-64/repodata.json.zst", body: bomb, contentType: "application/octet-stream")
            let http = HTTPClient(
                policy: testPolicy(retries: 0), transport: URLSessionTransport(), sleep: SleepRecorder().sleep)
            let lookup = HTTPAvailabilityLookup(
                http: http, cacheDirectory: cache, limits: AvailabilityLimits(repodataMaxBytes: 1 << 20))
            do {
                _ = try await lookup.condaRecords(
                    channel: server.url("/bomb").absoluteString, subdir: "linux-64", names: ["a"])
                Issue.record("an 8 MB repodata passed a 1 MB cap")
            } catch {
                #expect("\(error)".contains("cap of 1048576"))
            }
        }
    }

    @Test func aPrivateChannelTakesItsTokenWhichNeverAppearsInErrors() async throws {
        try await withServer { server, cache in
            let body = try Zstd.compress(Self.repodata(["internal-lib"]))
            await server.route("GET", "/private/linux-64/repodata.json.zst") { request in
                request.header("authorization") == Self.token
                    ? .init(status: 200, headers: ["Content-Type": "application/octet-stream"], body: body)
                    : .text("unauthorized: \(request.header("authorization") ?? "none")", status: 401)
            }
            await server.route("GET", "/private/linux-64/repodata_shards.msgpack.zst") { request in
                request.header("authorization") == Self.token ? .status(404) : .status(401)
            }
            let channel = server.url("/private").absoluteString
            let records = try await lookup(cache, token: Self.token)
                .condaRecords(channel: channel, subdir: "linux-64", names: ["internal-lib"])
            #expect(records["internal-lib"]?.count == 1)
            #expect(await server.requests().allSatisfy { $0.header("authorization") == Self.token })

            // A wrong token: the error says what failed and shows neither token.
            let wrong = "Bearer wrong-t0ken-55"
            do {
                _ = try await lookup(cache + "-2", token: wrong)
                    .condaRecords(channel: channel, subdir: "linux-64", names: ["internal-lib"])
                Issue.record("a wrong token was accepted")
            } catch {
                let text = "\(error)"
                #expect(text.contains("401"))
                #expect(!text.contains("wrong-t0ken-55"))
                #expect(!text.contains("s3cret"))
            }
            // The cache holds no token either.
            let files = try FileManager.default.subpathsOfDirectory(atPath: cache + "/availability")
            for file in files where file.hasSuffix(".json") {
                let text = try String(contentsOfFile: cache + "/availability/" + file, encoding: .utf8)
                #expect(!text.contains("s3cret"))
            }
            try? FileManager.default.removeItem(atPath: cache + "-2")
        }
    }

    @Test func pep691PagesAreAskedForAsJSONAndCached() async throws {
        try await withServer { server, cache in
            let page = Array(
                #"{"meta": {"api-version": "1.1"}, "name": "numpy", "files": [{"filename": "numpy-2.1.3.tar.gz", "hashes": {"sha256": "aa"}, "requires-python": ">=3.10", "yanked": false}, {"filename": "numpy-2.1.2-py3-none-any.whl", "hashes": {}, "yanked": "bad build"}]}"#
                    .utf8)
            // The loopback server matches paths without their trailing `/`; the target shows what was sent.
            await server.resource(
                "/simple/numpy", body: page, contentType: "application/vnd.pypi.simple.v1+json", etag: "\"np\"")
            await server.resource("/simple/html-only", body: Array("<html></html>".utf8), contentType: "text/html")
            let index = server.url("/simple").absoluteString
            let files = try #require(try await lookup(cache).indexFiles(indexURL: index, project: "NumPy"))
            #expect(files.map(\.filename) == ["numpy-2.1.3.tar.gz", "numpy-2.1.2-py3-none-any.whl"])
            #expect(files[0].requiresPython == ">=3.10" && files[0].hashes == ["sha256": "aa"])
            #expect(files[1].yanked && files[1].yankedReason == "bad build")
            let request = try #require(await server.requests("/simple/numpy").first)
            #expect(request.target == "/simple/numpy/")
            #expect(request.header("accept") == "application/vnd.pypi.simple.v1+json")

            await server.clearLog()
            let again = lookup(cache)
            #expect(try await again.indexFiles(indexURL: index + "/", project: "numpy") == files)
            #expect(try await again.indexFiles(indexURL: index, project: "numpy") == files)
            #expect(await server.requests().map { $0.header("if-none-match") } == ["\"np\""])

            #expect(try await again.indexFiles(indexURL: index, project: "not-there") == nil)
            await #expect(throws: AvailabilityFetchError.self) {
                try await again.indexFiles(indexURL: index, project: "../../etc/passwd")
            }
            do {
                _ = try await again.indexFiles(indexURL: index, project: "html-only")
                Issue.record("an HTML page was accepted")
            } catch {
                #expect("\(error)".contains("not PEP 691 JSON"))
            }
        }
    }

    @Test func shardsBaseURLResolvesAgainstTheIndex() throws {
        let index = "https://example.org/forge/linux-64/repodata_shards.msgpack.zst"
        #expect(
            try HTTPAvailabilityLookup.resolve("./shards/", against: index)
                == "https://example.org/forge/linux-64/shards/")
        #expect(
            try HTTPAvailabilityLookup.resolve("shards", against: index) == "https://example.org/forge/linux-64/shards/"
        )
        #expect(try HTTPAvailabilityLookup.resolve("../../cdn/", against: index) == "https://example.org/cdn/")
        #expect(
            try HTTPAvailabilityLookup.resolve("https://cdn.example.org/s", against: index)
                == "https://cdn.example.org/s/")
        #expect(throws: AvailabilityFetchError.self) {
            try HTTPAvailabilityLookup.resolve("file:///etc/", against: index)
        }
    }

    @Test func defaultCacheDirectory() {
        let xdg = HTTPAvailabilityLookup.defaultCacheDirectory(environment: ["XDG_CACHE_HOME": "/x/c", "HOME": "/h"])
        #expect(xdg == "/x/c/smsync")
        let home = HTTPAvailabilityLookup.defaultCacheDirectory(environment: ["XDG_CACHE_HOME": "rel", "HOME": "/h"])
        #expect(home == "/h/.cache/smsync")
        #expect(HTTPAvailabilityLookup.defaultCacheDirectory(environment: [:]) == nil)
    }
}
