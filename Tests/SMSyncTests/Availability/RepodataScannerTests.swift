import Foundation
import SMSync
import SMSyncTestSupport
import Testing

@Suite("repodata.json scanner, shards and PEP 691 pages")
struct RepodataScannerTests {
    func scan(_ bytes: [UInt8], _ names: Set<String>, fallback: String = "") throws -> [String: [CondaRecord]] {
        try bytes.withUnsafeBytes { raw in try RepodataScanner(names: names).scan(raw, fallbackSubdir: fallback) }
    }

    var fixture: [UInt8] {
        get throws { try TestPaths.bytes(TestPaths.fixture("availability/repodata_linux64.json")) }
    }

    @Test func findsOnlyTheWantedNamesInBothMaps() throws {
        let found = try scan(try fixture, ["numpy", "rich", "absent"])
        #expect(Set(found.keys) == ["numpy", "rich"])
        let numpy = try #require(found["numpy"])
        #expect(
            numpy.map(\.fileName).sorted() == [
                "numpy-1.26.4-py310hb13e2d6_0.tar.bz2", "numpy-2.1.3-py310hd6e36ab_0.conda",
                "numpy-2.1.3-py312h58c1407_0.conda",
            ])
        let modern = try #require(numpy.first { $0.fileName == "numpy-2.1.3-py310hd6e36ab_0.conda" })
        #expect(
            modern
                == CondaRecord(
                    name: "numpy", version: "2.1.3", build: "py310hd6e36ab_0", buildNumber: 0,
                    depends: [
                        "__glibc >=2.17,<3.0.a0", "libblas >=3.9.0,<4.0a0", "libgcc >=13", "python >=3.10,<3.11.0a0",
                        "python_abi 3.10.* *_cp310",
                    ],
                    subdir: "linux-64", noarch: nil, fileName: "numpy-2.1.3-py310hd6e36ab_0.conda"))
        // A record without `subdir` takes the file's info.subdir.
        #expect(numpy.first { $0.build == "py312h58c1407_0" }?.subdir == "linux-64")
        #expect(found["rich"]?.first?.noarch == "python")
    }

    @Test func namesWithDashesAndEscapedKeys() throws {
        let found = try scan(try fixture, ["ca-certificates", "numpy-base", "weird-name", "python"])
        #expect(found["ca-certificates"]?.map(\.version) == ["2024.2.2"])
        #expect(found["numpy-base"]?.map(\.version) == ["1.0.0"])
        #expect(found["weird-name"]?.first?.depends == ["python >=3.8"])
        #expect(found["weird-name"]?.first?.fileName == "weird-name-1.0-0.conda")
        #expect(found["python"]?.map(\.build) == ["hd12c33a_0_cpython"])
        #expect(found["numpy"] == nil)
    }

    @Test func consumedOffsetsGrowAndStayBehindTheScan() throws {
        let bytes = try fixture
        var offsets: [Int] = []
        let found = try bytes.withUnsafeBytes { raw in
            try RepodataScanner(names: ["python"], consumedStep: 200).scan(raw) { offsets.append($0) }
        }
        #expect(found["python"]?.count == 1)
        #expect(offsets.count >= 5)
        #expect(offsets == offsets.sorted())
        #expect(offsets.allSatisfy { $0 > 0 && $0 < bytes.count })
    }

    @Test func fallbackSubdirAndEmptyMaps() throws {
        let text = #"{"packages": {}, "packages.conda": {"a-1-0.conda": {"name": "a", "version": "1", "build": "0"}}}"#
        let found = try scan(Array(text.utf8), ["a"], fallback: "noarch")
        #expect(found["a"]?.first?.subdir == "noarch")
        #expect(try scan(Array("{}".utf8), ["a"]).isEmpty)
    }

    @Test func malformedRepodataThrowsWithAnOffset() {
        let cases = [
            "", "[]", #"{"packages": []}"#, #"{"packages": {"a-1-0.conda": {"name": "a""#,
            #"{"packages": {"a-1-0.conda": {"name": "a", "version": 1, "build": "0"}}}"#,
            #"{"packages": {"a-1-0.conda": {"name": "a", "version": "1", "build": "0", "depends": "x"}}}"#,
            #"{"packages": {"x-1-0.conda": {"name": "x"}} "#, #"{"packages" {}}"#,
        ]
        for text in cases {
            #expect(throws: AvailabilityDataError.self, "\(text)") { try scan(Array(text.utf8), ["a"]) }
        }
        do {
            _ = try scan(
                Array(#"{"packages": {"a-1-0.conda": {"name": "a", "version": 1, "build": "0"}}}"#.utf8), ["a"])
        } catch {
            #expect("\(error)".contains("a-1-0.conda"))
            #expect("\(error)".contains("version"))
        }
    }

    /// Every truncation and thousands of byte mutations of the fixture: each scans or throws, none traps.
    @Test func fuzzedRepodataNeverTraps() throws {
        let base = try fixture
        var random = TestRandom(seed: 42)
        var outcomes = 0
        for cut in stride(from: 0, to: base.count, by: 7) {
            _ = try? scan(Array(base.prefix(cut)), ["numpy", "rich"])
            outcomes += 1
        }
        let alphabet = Array(#"{}[]":,\ ab-0"#.utf8)
        for _ in 0..<3000 {
            var bytes = base
            for _ in 0..<(1 + random.below(3)) {
                let at = random.below(bytes.count)
                bytes[at] = random.below(2) == 0 ? alphabet[random.below(alphabet.count)] : UInt8(random.below(256))
            }
            _ = try? scan(bytes, ["numpy", "rich", "weird-name"])
            outcomes += 1
        }
        #expect(outcomes > 3000)
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: AvailabilityDataError.self) {
            try scan(Array((#"{"other": "# + deep).utf8), ["a"])
        }
    }

    @Test func shardIndexAndShardDecode() throws {
        let hash = [UInt8](repeating: 0xab, count: 32)
        let index = try ShardIndex(messagePack: MiniMessagePackBridge.index(["numpy": hash]))
        #expect(index.shardHash("numpy") == String(repeating: "ab", count: 32))
        #expect(index.shardsBaseURL == "./shards/")
        #expect(index.shardHash("scipy") == nil)
        let shard = MiniMessagePackBridge.shard(
            packages: [
                ("numpy-1.26.4-py310h0_0.tar.bz2", "1.26.4", "py310h0_0"),
                ("numpy-1.0-py310h0_0.tar.bz2", "1.0", "py310h0_0"),
            ],
            conda: [("numpy-2.1.3-py310h0_0.conda", "2.1.3", "py310h0_0")],
            removed: ["numpy-1.0-py310h0_0.tar.bz2"])
        let records = try RepodataShard.records(messagePack: shard, fallbackSubdir: "linux-64")
        #expect(records.map(\.version) == ["1.26.4", "2.1.3"])
        #expect(records.first?.depends == ["python >=3.10,<3.11.0a0"])
        #expect(records.first?.buildNumber == 3)
        #expect(records.allSatisfy { $0.subdir == "linux-64" })

        #expect(throws: AvailabilityDataError.self) {
            try ShardIndex(messagePack: MiniMessagePackBridge.index(["numpy": [1, 2, 3]]))
        }
        #expect(throws: AvailabilityDataError.self) { try ShardIndex(messagePack: [0xc1]) }
        #expect(throws: AvailabilityDataError.self) {
            try RepodataShard.records(messagePack: [0x90], fallbackSubdir: "x")
        }
    }

    @Test func pep691PageDecodes() throws {
        let files = try SimpleIndex.files(
            json: try TestPaths.bytes(TestPaths.fixture("availability/pep691_project.json")))
        #expect(files.count == 4)
        #expect(
            files[0]
                == IndexFile(
                    filename: "numpy-2.1.3.tar.gz", requiresPython: ">=3.10", yanked: false,
                    hashes: ["sha256": "aa08e04e08aaf974d4458def539dece0d28146d866a39da5639596f4921fd761"]))
        #expect(files[2].yanked)
        #expect(files[2].yankedReason == "broken metadata — use 2.1.3")
        #expect(files[2].requiresPython == nil)
        #expect(files[3].yanked && files[3].yankedReason == nil)
        #expect(throws: AvailabilityDataError.self) { try SimpleIndex.files(json: Array("<html></html>".utf8)) }
        #expect(throws: AvailabilityDataError.self) {
            try SimpleIndex.files(json: Array(#"{"files": [{"yanked": 1}]}"#.utf8))
        }
    }

    @Test func projectNamesNormalise() {
        #expect(SimpleIndex.normalize("Friendly-Bard") == "friendly-bard")
        #expect(SimpleIndex.normalize("friendly.bard") == "friendly-bard")
        #expect(SimpleIndex.normalize("FRIENDLY__.-bard") == "friendly-bard")
        #expect(SimpleIndex.normalize("sagemaker_studio") == "sagemaker-studio")
        #expect(SimpleIndex.normalize("../etc") == nil)
        #expect(SimpleIndex.normalize("a/b") == nil)
        #expect(SimpleIndex.normalize("-a") == nil)
        #expect(SimpleIndex.normalize("") == nil)
        #expect(SimpleIndex.normalize("numpy ") == nil)
    }
}

/// Shard indexes and shards in CEP-16's shape, for the tests.
enum MiniMessagePackBridge {
    static func index(_ shards: [String: [UInt8]]) -> [UInt8] {
        MiniMessagePack.map([
            ("version", .int(1)),
            (
                "info",
                .map([
                    ("base_url", .string("./")), ("shards_base_url", .string("./shards/")),
                    ("subdir", .string("linux-64")),
                    ("created_at", .string("2024-07-22T00:00:00Z")),
                ])
            ),
            ("shards", .map(shards.sorted { $0.key < $1.key }.map { ($0.key, .binary($0.value)) })),
        ]).encoded
    }

    static func shard(
        packages: [(String, String, String)], conda: [(String, String, String)], removed: [String]
    ) -> [UInt8] {
        func records(_ list: [(String, String, String)]) -> MiniMessagePack {
            .map(
                list.map { file, version, build in
                    (
                        file,
                        .map([
                            ("build", .string(build)), ("build_number", .int(3)),
                            ("depends", .array([.string("python >=3.10,<3.11.0a0")])),
                            ("license", .string("BSD-3-Clause")),
                            ("md5", .binary([UInt8](repeating: 1, count: 16))), ("name", .string("numpy")),
                            ("sha256", .binary([UInt8](repeating: 2, count: 32))), ("size", .int(7_009_070)),
                            ("timestamp", .int(1_707_225_380_409)), ("version", .string(version)),
                        ])
                    )
                })
        }
        return MiniMessagePack.map([
            ("packages", records(packages)), ("packages.conda", records(conda)),
            ("removed", .array(removed.map { .string($0) })),
        ]).encoded
    }
}
