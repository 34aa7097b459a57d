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
//   swift run -c release smsync-bench --phases DIR             where the time of `smsync diff --format json` goes on
//                                                              a --workspace folder: wall and CPU time of each step
//   swift run -c release smsync-bench --generate pep440-mixed FILE
//                                                              N PEP 440 versions of every form (releases short and
//                                                              long, pre/post/dev, epochs, local versions)

import Foundation
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

    /// PEP 440 versions of every form packaging reads, in its spellings: releases from one to six numbers (leading
    /// zeros, a `v`), pre-releases (`a1`, `-rc.2`, `alpha`, `c`, `preview`), post-releases (`.post1`, `-1`, `r3`),
    /// dev releases, epochs, local versions, and their combinations.
    static func mixedPEP440(_ count: Int, seed: UInt64 = 440) -> [String] {
        var random = SplitMix64(state: seed)
        let pre = ["a1", "b2", "rc1", "-rc.2", "alpha3", "beta", "c4", "pre1", "preview2", "RC1", ".a0", "_b1"]
        let post = [".post1", "-1", "post2", ".r3", "-post.4", ".rev5", "_post"]
        let dev = [".dev0", "dev3", "-dev.2", ".dev"]
        let local = ["+local.7", "+cu118", "+ubuntu-1", "+abc.5.def", "+1"]
        var result: [String] = []
        result.reserveCapacity(count)
        for _ in 0..<count {
            var text = ""
            if random.below(10) == 0 { text += "v" }
            if random.below(12) == 0 { text += "\(random.below(3))!" }
            let parts = [1, 2, 2, 3, 3, 3, 4, 5, 6][random.below(9)]
            for index in 0..<parts {
                if index > 0 { text += "." }
                let width = random.below(20) == 0 ? 4 : 2
                text += (random.below(25) == 0 ? "0" : "") + String(random.below(width == 4 ? 2030 : 31))
            }
            if random.below(4) == 0 { text += pre[random.below(pre.count)] }
            if random.below(6) == 0 { text += post[random.below(post.count)] }
            if random.below(6) == 0 { text += dev[random.below(dev.count)] }
            if random.below(8) == 0 { text += local[random.below(local.count)] }
            result.append(text)
        }
        return result
    }

    static func versions(_ count: Int, scheme: String, seed: UInt64 = 42) -> [String] {
        if scheme == "pep440-mixed" { return mixedPEP440(count) }
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

/// CPU seconds (user and system) this process has used.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// The steps of `smsync diff --format json` on a `--workspace` folder, timed one by one in this process: reading
/// the configuration, reading and parsing the env files (on every core, as the command does), reading the
/// release, the drift, rendering the JSON, and rendering it again into /dev/null.
enum Phases {
    static func run(_ directory: String) -> Int32 {
        var rows: [(String, Double, Double)] = []
        var wall = now()
        var cpu = cpuSeconds()
        func lap(_ label: String) {
            let (w, c) = (now(), cpuSeconds())
            rows.append((label, w - wall, c - cpu))
            (wall, cpu) = (w, c)
        }
        let configPath = directory + "/smsync.yml"
        let configText = String(decoding: readFile(configPath), as: UTF8.self)
        guard let configuration = try? Configuration(text: configText, file: configPath),
            let envs = configuration.envsDirectory, let source = configuration.sources.first
        else {
            print("\(configPath) is not a --workspace configuration")
            return 2
        }
        lap("config: read + check")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: envs)) ?? []).sorted().filter {
            $0.hasSuffix(".yml")
        }
        let contents = names.map { (path: envs + "/" + $0, bytes: readFile(envs + "/" + $0)) }
        lap("env files: read \(names.count)")
        let files = ParallelMap.map(contents) { try? EnvironmentFile(bytes: $0.bytes, path: $0.path) }
        lap("env files: parse (every core)")
        var kernels: [LocalKernel] = []
        for (entry, file) in zip(contents, files) {
            guard let file else {
                print("\(entry.path) does not read")
                return 3
            }
            kernels.append(LocalKernel(kernel: "conda_" + (file.name ?? entry.path), path: entry.path, file: file))
        }
        let releasePath = configuration.localPath(of: source) ?? directory + "/" + source.url
        let releaseText = String(decoding: readFile(releasePath), as: UTF8.self)
        guard let release = try? DistributionReader.read([DistributionFile(location: releasePath, text: releaseText)])
        else {
            print("\(releasePath) does not read")
            return 3
        }
        lap("upstream: read + parse")
        let report = DriftEngine(configuration: configuration).diff(
            local: kernels, releases: [SourceRelease(config: source, release: release)])
        lap("drift (every core)")
        let counter = ByteCounter()
        var output = ByteOutput { counter.count += $0.count }
        report.writeJSON(to: &output)
        output.flush()
        lap("render json (\(counter.count / 1_000_000) MB, kept nowhere)")
        guard let null = fopen("/dev/null", "w") else { return 2 }
        var written = ByteOutput { chunk in _ = fwrite(chunk.baseAddress, 1, chunk.count, null) }
        report.writeJSON(to: &written)
        written.flush()
        fclose(null)
        lap("render json + write to /dev/null")
        let total = rows.reduce(0) { $0 + $1.1 }
        print("phases of `smsync diff --format json` in process (\(kernels.count) files):")
        for (label, seconds, cpu) in rows {
            print(
                "  " + label + String(repeating: " ", count: max(1, 42 - label.count))
                    + "\(format3(seconds)) s wall  \(format3(cpu)) s CPU")
        }
        print("  total" + String(repeating: " ", count: 37) + "\(format3(total)) s wall")
        print("peak memory: \(format3(peakMemoryMiB())) MiB")
        return 0
    }
}

final class ByteCounter {
    var count = 0
}

if let index = arguments.firstIndex(of: "--phases"), index + 1 < arguments.count {
    exit(Phases.run(arguments[index + 1]))
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
