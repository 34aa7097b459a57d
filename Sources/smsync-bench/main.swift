// Benchmarks, run in a release build:
//
//   swift run -c release smsync-bench [--count N]            version rules: parse, sort, match N versions
//   swift run -c release smsync-bench --generate conda|pep440 FILE
//                                                              write N sample versions (for bench_compare.py)
//   swift run -c release smsync-bench --diff [--files 1000 --deps 200 --manifest 5000]
//                                                              diff of many env files against one large manifest
//   swift run -c release smsync-bench --workspace DIR [--files 1000 --deps 200 --manifest 5000]
//                                                              write that workspace to disk (envs/, RELEASE.md,
//                                                              smsync.yml) for whole-process runs (bench_report.py)
//   swift run -c release smsync-bench --export FILE [--freeze FILE]
//                                                              parse one live-instance export (and freeze) repeatedly
//   swift run -c release smsync-bench --repodata FILE --names-file NAMES [--quiet]
//                                                              versions of the named packages in a repodata.json
//                                                              (scripts/bench_repodata.py compares and measures)
//   swift run smsync-bench --conformance PATH... [--verbose] [--json]
//                                                              parse env files, move every pin, check each edit

import SMSync

#if canImport(Glibc)
import Glibc
#endif

/// A small deterministic generator (SplitMix64), so every run measures the same data.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

enum Sample {
    static let condaSuffixes = [
        "", "", "", "", "", "a1", "b2", "rc1", ".post1", ".dev0", "g", "_1", "+local.7", "dev1",
    ]
    static let pep440Suffixes = ["", "", "", "", "", "a1", "b2", "rc1", ".post1", ".dev0", "-1", "+local.7", "c3"]

    static func versions(_ count: Int, scheme: String, seed: UInt64 = 42) -> [String] {
        var random = SplitMix64(state: seed)
        let suffixes = scheme == "conda" ? condaSuffixes : pep440Suffixes
        var result: [String] = []
        result.reserveCapacity(count)
        for _ in 0..<count {
            let parts = [2, 3, 3, 3, 4][random.below(5)]
            var text = ""
            for index in 0..<parts {
                if index > 0 { text += "." }
                text += String(random.below(31))
            }
            text += suffixes[random.below(suffixes.count)]
            result.append(text)
        }
        return result
    }

    static let condaSpecs = [">=1.2,<2", "1.2.*", "==3.4.5", "!=2.0", ">=0.5|<0.2", "~=1.4.2", "<=10.1a1", "*"]
    static let pep440Specs = [">=1.2,<2", "==1.2.*", "==3.4.5", "!=2.0", "~=1.4.2", "<=10.1a1", ">0.5", ""]
}

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func measure(_ label: String, count: Int, _ body: () -> Int) {
    let start = now()
    let checksum = body()
    let seconds = now() - start
    let perItem = seconds / Double(max(count, 1)) * 1e9
    let line =
        label + String(repeating: " ", count: max(1, 34 - label.count)) + "\(format3(seconds)) s"
        + "  (\(format3(perItem)) ns/item, checksum \(checksum))"
    print(line)
}

func format3(_ value: Double) -> String {
    let scaled = (value * 1000).rounded() / 1000
    return String(scaled)
}

func peakMemoryMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

let arguments = Array(CommandLine.arguments.dropFirst())
var count = 1_000_000
if let index = arguments.firstIndex(of: "--count"), index + 1 < arguments.count, let value = Int(arguments[index + 1]) {
    count = value
}
if let index = arguments.firstIndex(of: "--generate"), index + 2 < arguments.count {
    let scheme = arguments[index + 1]
    let path = arguments[index + 2]
    let text = Sample.versions(count, scheme: scheme).joined(separator: "\n") + "\n"
    guard let file = fopen(path, "w") else {
        print("cannot write \(path)")
        exit(2)
    }
    fputs(text, file)
    fclose(file)
    exit(0)
}

func option(
    _ name: String, default value: Int, in arguments: [String] = Array(CommandLine.arguments.dropFirst())
) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count,
        let parsed = Int(arguments[index + 1])
    else { return value }
    return parsed
}

func readFile(_ path: String) -> [UInt8] {
    guard let file = fopen(path, "rb") else {
        print("cannot read \(path)")
        exit(2)
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let read = fread(&buffer, 1, buffer.count, file)
        if read <= 0 { break }
        bytes += buffer[0..<read]
    }
    return bytes
}

if let index = arguments.firstIndex(of: "--repodata"), index + 1 < arguments.count,
    let namesIndex = arguments.firstIndex(of: "--names-file"), namesIndex + 1 < arguments.count
{
    exit(
        RepodataRun.main(
            repodata: arguments[index + 1], namesFile: arguments[namesIndex + 1], quiet: arguments.contains("--quiet")))
}

if let index = arguments.firstIndex(of: "--conformance") {
    var rest = arguments
    rest.remove(at: index)
    exit(ConformanceRun.main(rest))
}

if let index = arguments.firstIndex(of: "--export"), index + 1 < arguments.count {
    let exportPath = arguments[index + 1]
    let export = readFile(exportPath)
    var freeze: [UInt8]?
    if let freezeIndex = arguments.firstIndex(of: "--freeze"), freezeIndex + 1 < arguments.count {
        freeze = readFile(arguments[freezeIndex + 1])
    }
    let rounds = option("--rounds", default: 200)
    var packages = 0
    let start = now()
    for _ in 0..<rounds {
        guard let release = try? EnvExportReader.read(export: export, exportLocation: exportPath, freeze: freeze) else {
            print("\(exportPath) does not read as an export")
            exit(3)
        }
        packages = release.kernels.first?.packages.count ?? 0
    }
    let each = (now() - start) / Double(rounds)
    print(
        "env-export: \(exportPath) (\(export.count) bytes, \(packages) packages): \(format3(each * 1000)) ms per parse")
    exit(0)
}

/// The generated workspace of the `--diff` and `--workspace` benchmarks: `files` env files of `dependencies` pins each
/// (every fifth under `- pip:`), against a release of `manifestSize` conda packages.
enum BenchWorkspace {
    static func release(manifestSize: Int, random: inout SplitMix64) -> [(name: String, version: String)] {
        (0..<manifestSize).map { index in
            ("package-\(index)", "\(random.below(5)).\(random.below(30)).\(random.below(20))")
        }
    }

    static func envFile(_ file: Int, dependencies: Int, manifestSize: Int, random: inout SplitMix64) -> String {
        var text = "name: env\(file)\nchannels:\n  - conda-forge\ndependencies:\n"
        var pip = "  - pip:\n"
        for dependency in 0..<dependencies {
            let name = "package-\(random.below(manifestSize))-\(dependency % 3 == 0 ? "x" : "")"
            let cleaned = name.hasSuffix("-") ? String(name.dropLast()) : name
            let version = "\(random.below(5)).\(random.below(30)).\(random.below(20))"
            if dependency % 5 == 4 {
                pip += "      - \(cleaned)==\(version)\n"
            } else {
                text += "  - \(cleaned)=\(version)\n"
            }
        }
        return text + pip
    }
}

func writeText(_ text: String, to path: String) {
    guard let file = fopen(path, "w") else {
        print("cannot write \(path)")
        exit(2)
    }
    fputs(text, file)
    fclose(file)
}

if let index = arguments.firstIndex(of: "--workspace"), index + 1 < arguments.count {
    let directory = arguments[index + 1]
    let files = option("--files", default: 1000)
    let dependencies = option("--deps", default: 200)
    let manifestSize = option("--manifest", default: 5000)
    var random = SplitMix64(state: 7)
    let packages = BenchWorkspace.release(manifestSize: manifestSize, random: &random)
    mkdir(directory, 0o755)
    mkdir(directory + "/envs", 0o755)
    var release = "# Release notes: 9.9.9\n\nPackage | gpu| cpu\n---|---|---\n"
    for package in packages { release += "\(package.name)|\(package.version)|\(package.version)\n" }
    writeText(release, to: directory + "/RELEASE.md")
    for file in 0..<files {
        let text = BenchWorkspace.envFile(
            file, dependencies: dependencies, manifestSize: manifestSize, random: &random)
        let number = String(file)
        writeText(
            text, to: directory + "/envs/env\(String(repeating: "0", count: max(0, 4 - number.count)) + number).yml")
    }
    writeText(
        """
        envs:
          dir: envs
        sources:
          - kind: distribution
            url: RELEASE.md
        policy:
          update: [major, minor, patch]
          downgrade: false

        """, to: directory + "/smsync.yml")
    print("workspace: \(files) env files x \(dependencies) dependencies, \(manifestSize) packages in \(directory)")
    exit(0)
}

if arguments.contains("--diff") {
    let files = option("--files", default: 1000)
    let dependencies = option("--deps", default: 200)
    let manifestSize = option("--manifest", default: 5000)
    var random = SplitMix64(state: 7)
    let upstreamPackages = BenchWorkspace.release(manifestSize: manifestSize, random: &random).map {
        UpstreamPackage(name: $0.name, version: $0.version, manager: .conda)
    }
    let release = UpstreamRelease(
        kind: .distribution, release: "9.9.9", kernels: [UpstreamKernel(kernel: "*", packages: upstreamPackages)])
    let source = SourceConfig(kind: .distribution, url: "bench", kernels: nil, name: "distribution")
    var kernels: [LocalKernel] = []
    let buildStart = now()
    for file in 0..<files {
        let text = BenchWorkspace.envFile(
            file, dependencies: dependencies, manifestSize: manifestSize, random: &random)
        guard let environment = try? EnvironmentFile(text: text, path: "env\(file).yml") else {
            print("generated file \(file) does not read")
            exit(3)
        }
        kernels.append(LocalKernel(kernel: "conda_env\(file)", path: "env\(file).yml", file: environment))
    }
    print("diff: parsed \(files) env files x \(dependencies) dependencies in \(format3(now() - buildStart)) s")
    let engine = DriftEngine(policy: Policy(update: [.major, .minor, .patch], ignore: [], downgrade: false))
    let start = now()
    let report = engine.diff(local: kernels, releases: [SourceRelease(config: source, release: release)])
    let seconds = now() - start
    let summary = report.summary
    print(
        "diff: \(files) files x \(dependencies) deps against \(manifestSize) packages: \(format3(seconds)) s "
            + "(\(summary.updates) updates, \(summary.held) held, \(summary.blocked) blocked, \(summary.same) same)")
    print("peak memory: \(format3(peakMemoryMiB())) MiB")
    exit(0)
}

print("smsync-bench: \(count) items per measurement")
let condaTexts = Sample.versions(count, scheme: "conda")
let pep440Texts = Sample.versions(count, scheme: "pep440")

var condaVersions: [CondaVersion] = []
measure("conda: parse", count: count) {
    condaVersions = condaTexts.compactMap { try? CondaVersion($0) }
    return condaVersions.count
}
measure("conda: sort", count: count) {
    condaVersions.sort()
    return condaVersions.count
}
let condaSpecs = Sample.condaSpecs.compactMap { try? CondaVersionSpec($0) }
measure("conda: spec matches", count: count) {
    var hits = 0
    for (index, version) in condaVersions.enumerated() where condaSpecs[index % condaSpecs.count].matches(version) {
        hits += 1
    }
    return hits
}

var pep440Versions: [PEP440Version] = []
measure("pep440: parse", count: count) {
    pep440Versions = pep440Texts.compactMap { try? PEP440Version($0) }
    return pep440Versions.count
}
measure("pep440: normalise (description)", count: count) {
    pep440Versions.reduce(0) { $0 &+ $1.description.utf8.count }
}
measure("pep440: sort", count: count) {
    pep440Versions.sort()
    return pep440Versions.count
}
let pep440Specs = Sample.pep440Specs.compactMap { try? PEP440SpecifierSet($0) }
measure("pep440: specifier-set matches", count: count) {
    var hits = 0
    for (index, version) in pep440Versions.enumerated() where pep440Specs[index % pep440Specs.count].contains(version) {
        hits += 1
    }
    return hits
}
print("peak memory: \(format3(peakMemoryMiB())) MiB")
