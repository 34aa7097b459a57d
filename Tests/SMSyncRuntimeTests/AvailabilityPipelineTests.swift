import Foundation
import Testing

@testable import SMSync
@testable import SMSyncRuntime

/// Records and files held in memory; every call is logged, and a channel can be made to fail.
final class MemoryLookup: AvailabilityLookup, @unchecked Sendable {
    var records: [String: [String: [CondaRecord]]] = [:]
    var files: [String: [IndexFile]] = [:]
    var failing: [String: String] = [:]
    private let lock = NSLock()
    private var log: [String] = []

    var calls: [String] { lock.withLock { log.sorted() } }

    func condaRecords(channel: String, subdir: String, names: Set<String>) async throws -> [String: [CondaRecord]] {
        lock.withLock { log.append("\(channel) \(subdir) \(names.sorted().joined(separator: ","))") }
        if let message = failing[channel] { throw AvailabilityLookupError(message) }
        var result: [String: [CondaRecord]] = [:]
        for record in records[channel]?[subdir] ?? [] where names.contains(record.name) {
            result[record.name, default: []].append(record)
        }
        return result
    }

    func indexFiles(indexURL: String, project: String) async throws -> [IndexFile]? {
        lock.withLock { log.append("\(indexURL) \(project)") }
        if let message = failing[indexURL] { throw AvailabilityLookupError(message) }
        return files[project]
    }
}

@Suite("Availability: the pipeline step")
struct AvailabilityPipelineTests {
    static let forge = "https://conda.example/conda-forge"

    static func record(_ name: String, _ version: String, python: String = "3.10") -> CondaRecord {
        let next = "3.\((Int(python.split(separator: ".")[1]) ?? 0) + 1)"
        return CondaRecord(
            name: name, version: version, build: "py_0", depends: ["python >=\(python),<\(next).0a0"],
            subdir: "linux-64", fileName: "\(name)-\(version)-py_0.conda")
    }

    func pipeline(
        extraConfig: String = "", store: StateStore? = nil, lookup: MemoryLookup, now: Date = instant(),
        environment: [String: String] = [:]
    ) throws -> Pipeline {
        let config = try Configuration(
            text: """
                envs: {dir: envs}
                availability:
                  enabled: true
                  channel_alias: https://conda.example
                  defaults: []
                  pip_index: https://pypi.example/simple
                \(extraConfig)
                """, file: "smsync.yml")
        let first = """
            name: one
            channels: [conda-forge]
            dependencies:
              - python=3.10
              - numpy=2.1.1
              - pandas=2.2.1
              - pip:
                - requests==2.31.0
            """
        let second = """
            name: two
            channels: [conda-forge, nodefaults]
            dependencies:
              - python=3.10
              - numpy=2.1.1
              - scipy=1.14.0
            """
        let kernels = [
            LocalKernel(kernel: "conda_one", path: "envs/one.yml", file: try EnvironmentFile(text: first, path: "one")),
            LocalKernel(
                kernel: "conda_two", path: "envs/two.yml", file: try EnvironmentFile(text: second, path: "two")),
        ]
        var pipeline = Pipeline(
            workspace: Workspace(configuration: config, kernels: kernels), store: store, version: "test",
            environment: environment, now: { now })
        pipeline.availabilityLookup = lookup
        return pipeline
    }

    var releases: [SourceRelease] {
        let packages: [UpstreamPackage] = [
            .init(name: "numpy", version: "2.1.3", manager: .conda),
            .init(name: "pandas", version: "2.2.3", manager: .conda),
            .init(name: "scipy", version: "1.14.1", manager: .conda),
            .init(name: "requests", version: "2.32.3", manager: .pip),
        ]
        return [
            SourceRelease(
                config: SourceConfig(kind: .envExport, url: "x", name: "env-export"),
                release: UpstreamRelease(
                    kind: .envExport, release: nil, kernels: [UpstreamKernel(kernel: "*", packages: packages)]))
        ]
    }

    func change(_ report: DriftReport, _ kernel: String, _ package: String) throws -> DriftChange {
        let drift = try #require(report.kernels.first { $0.kernel == kernel })
        return try #require(drift.changes.first { $0.package == package })
    }

    @Test func lookupsAreBatchedPerChannelSubdir() async throws {
        let lookup = MemoryLookup()
        lookup.records = [
            Self.forge: [
                "linux-64": [
                    Self.record("numpy", "2.1.3"), Self.record("pandas", "2.2.3", python: "3.11"),
                    Self.record("scipy", "1.14.1"),
                ]
            ]
        ]
        lookup.files = ["requests": [IndexFile(filename: "requests-2.32.3-py3-none-any.whl")]]
        let pipeline = try pipeline(lookup: lookup)
        let run = await pipeline.checkAvailability(pipeline.drift(releases))
        #expect(
            lookup.calls == [
                "\(Self.forge) linux-64 numpy,pandas,scipy", "\(Self.forge) noarch numpy,pandas,scipy",
                "https://pypi.example/simple requests",
            ])
        #expect(run.failures.isEmpty)
        #expect(try change(run.report, "conda_one", "numpy").action == .update)
        #expect(try change(run.report, "conda_one", "numpy").availability?.source?.channel == "conda-forge")
        let pandas = try change(run.report, "conda_one", "pandas")
        #expect(pandas.action == .unavailable)
        #expect(pandas.reason?.contains("builds need python >=3.11,<3.12.0a0") == true, "\(pandas.reason ?? "")")
        #expect(try change(run.report, "conda_one", "requests").action == .update)
        #expect(run.report.summary.unavailable == 1)
        #expect(
            try pipeline.plan(run.report).files.flatMap(\.edits).map(\.package).sorted() == [
                "numpy", "numpy", "requests", "scipy",
            ])
    }

    @Test func aFailedLookupHoldsTheUpdateAndIsReportedWithoutTheSecret() async throws {
        let lookup = MemoryLookup()
        lookup.failing = [Self.forge: "HTTP 401 for token s3cr3t-token"]
        lookup.files = ["requests": [IndexFile(filename: "requests-2.32.3-py3-none-any.whl")]]
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath, secrets: ["s3cr3t-token"])
        let pipeline = try pipeline(
            extraConfig: "  channels:\n    - url: https://conda.example/conda-forge\n      token_env: FORGE_TOKEN\n",
            store: store, lookup: lookup, environment: ["FORGE_TOKEN": "s3cr3t-token"])
        #expect(Pipeline.secretNames(pipeline.configuration).contains("FORGE_TOKEN"))
        let run = await pipeline.checkAvailability(pipeline.drift(releases))
        let numpy = try change(run.report, "conda_one", "numpy")
        #expect(numpy.action == .unavailable)
        #expect(numpy.availability?.failed == true)
        #expect(numpy.reason?.hasPrefix("could not check: conda-forge linux-64: HTTP 401") == true)
        #expect(numpy.reason?.contains("s3cr3t") == false, "\(numpy.reason ?? "")")
        #expect(run.failures.count == 4)
        #expect(try change(run.report, "conda_one", "requests").action == .update, "the index answered")
        #expect(try store.availabilityHolds().isEmpty, "a failed check is not a sighting")
    }

    @Test func firstSeenIsKeptUntilTheVersionIsAvailable() async throws {
        let lookup = MemoryLookup()
        lookup.records = [Self.forge: ["linux-64": [Self.record("numpy", "2.1.3", python: "3.12")]]]
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        let day = 86_400
        for (offset, expected) in [(0, "2026-01-01"), (3 * day, "2026-01-01")] {
            let pipeline = try pipeline(
                extraConfig: "  check: {pip: false}\n", store: store, lookup: lookup, now: instant(offset))
            let run = await pipeline.checkAvailability(pipeline.drift(releases))
            let numpy = try change(run.report, "conda_two", "numpy")
            #expect(numpy.action == .unavailable)
            #expect(numpy.availability?.since == expected)
            #expect(try change(run.report, "conda_one", "requests").availability?.status == .unchecked)
        }
        #expect(try store.availabilityHolds().map(\.package).sorted() == ["numpy", "numpy", "pandas", "scipy"])
        #expect(try store.availabilityHolds().allSatisfy { $0.firstSeenUnavailable == instant() })
        lookup.records = [Self.forge: ["linux-64": [Self.record("numpy", "2.1.3")]]]
        let pipeline = try pipeline(
            extraConfig: "  check: {pip: false}\n", store: store, lookup: lookup, now: instant(5 * day))
        let run = await pipeline.checkAvailability(pipeline.drift(releases))
        #expect(try change(run.report, "conda_two", "numpy").action == .update)
        #expect(try store.availabilityHolds().map(\.package).sorted() == ["pandas", "scipy"])
    }

    @Test func offlineLeavesNetworkChannelsUnchecked() async throws {
        let lookup = MemoryLookup()
        let pipeline = try pipeline(lookup: lookup)
        let run = await pipeline.checkAvailability(pipeline.drift(releases), offline: true)
        #expect(lookup.calls.isEmpty)
        #expect(run.failures.isEmpty)
        let numpy = try change(run.report, "conda_one", "numpy")
        #expect(numpy.action == .update)
        #expect(numpy.availability?.status == .unchecked)
        #expect(numpy.availability?.reason?.hasPrefix("offline: not checked") == true)
    }

    @Test func offWhenNotEnabled() async throws {
        let lookup = MemoryLookup()
        var pipeline = try pipeline(lookup: lookup)
        pipeline.workspace.configuration.availability.enabled = false
        let run = await pipeline.checkAvailability(pipeline.drift(releases))
        #expect(lookup.calls.isEmpty)
        #expect(!run.report.availabilityChecked)
    }

    @Test func theFactoryRoutesFileURLsLocallyAndHTTPURLsOverHTTP() async throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let channel = folder.url.appendingPathComponent("ch/linux-64")
        try FileManager.default.createDirectory(at: channel, withIntermediateDirectories: true)
        try Data(
            """
            {"packages": {}, "packages.conda": {"numpy-2.1.3-py_0.conda": {"name": "numpy", "version": "2.1.3",
              "build": "py_0", "build_number": 3, "depends": ["python >=3.10"], "noarch": "python"}}}
            """.utf8
        ).write(to: channel.appendingPathComponent("repodata.json"))
        let config = try Configuration(text: "envs: {dir: envs}\n", file: "smsync.yml")
        let lookup = try makeAvailabilityLookup(
            configuration: config, http: HTTPClient(policy: HTTPPolicy(from: config.http, userAgent: "t")),
            cacheDirectory: folder.path("cache"), secrets: Secrets(environment: [:]))
        let records = try await lookup.condaRecords(
            channel: "file://\(folder.url.appendingPathComponent("ch").path)", subdir: "linux-64", names: ["numpy"])
        #expect(records["numpy"]?.first?.buildNumber == 3)
        #expect(records["numpy"]?.first?.noarch == "python")
        #expect(records["numpy"]?.first?.subdir == "linux-64")
        // An http index goes to the HTTP lookup: a closed loopback port is a fetch error, not a routing refusal.
        await #expect(throws: AvailabilityFetchError.self) {
            _ = try await lookup.indexFiles(indexURL: "http://127.0.0.1:9/simple", project: "numpy")
        }
        await #expect(throws: AvailabilityLookupError.self) {
            _ = try await lookup.condaRecords(
                channel: "file://\(folder.path("ch"))", subdir: "../x", names: ["numpy"])
        }
    }
}
