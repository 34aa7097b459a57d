// Benchmarks of the version rules, run in a release build:
//
//   swift run -c release smsync-bench [--count N] [--generate conda|pep440 FILE]
//
// Without --generate it times, in process, parsing and sorting N conda versions, parsing and sorting N PEP 440
// versions, and N spec matches of each scheme, and prints one line per measurement. With --generate it writes N
// deterministic sample versions to FILE (the input `scripts/bench-compare.sh` feeds to every contender).

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

var arguments = Array(CommandLine.arguments.dropFirst())
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
