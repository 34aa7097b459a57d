import Testing

@testable import SMSync

private func v(_ s: String) throws -> CondaVersion { try CondaVersion(s) }

/// conda's fill rule: components equal when equal after dropping trailing "0" subcomponents, and
/// lists equal when equal after dropping trailing empty components.
private func condaNormalized(_ comps: [[String]]) -> [[String]] {
    var out = comps.map { c -> [String] in
        var c = c
        while c.last == "0" { c.removeLast() }
        return c
    }
    while out.last?.isEmpty == true { out.removeLast() }
    return out
}

@Suite("CondaVersion: conda test_version.py")
struct CondaVersionOrderTests {
    @Test("parses into conda's component lists", arguments: CondaVersionTables.versionOrder)
    func parsesLikeConda(text: String, expected: [[String]]) throws {
        let version = try v(text)
        #expect(version.condaComponents.main == expected)
        #expect(version.condaComponents.local.isEmpty)
        #expect(version.normalized == text.lowercased().replacingDash())
    }

    @Test("test_version_order list is sorted, equal entries exactly where conda's lists are equal")
    func versionOrderSorted() throws {
        let table = CondaVersionTables.versionOrder
        let parsed = try table.map { try v($0.0) }
        for i in parsed.indices {
            for j in parsed.indices where i < j {
                let same = condaNormalized(table[i].1) == condaNormalized(table[j].1)
                if same {
                    #expect(parsed[i] == parsed[j], "\(table[i].0) == \(table[j].0)")
                    #expect(parsed[i].hashValue == parsed[j].hashValue)
                    #expect(CondaVersion.compare(parsed[i], parsed[j]) == 0)
                } else {
                    #expect(parsed[i] < parsed[j], "\(table[i].0) < \(table[j].0)")
                    #expect(!(parsed[j] < parsed[i]))
                    #expect(parsed[i] != parsed[j])
                }
            }
        }
        var generator = SplitMix(seed: 7)
        let resorted = parsed.shuffled(using: &generator).sorted()
        for (a, b) in zip(resorted, parsed) { #expect(a == b, "\(a) == \(b)") }
    }

    @Test(
        "ascending lists",
        arguments: [
            ("openssl", CondaVersionTables.openssl), ("pep440", CondaVersionTables.pep440),
            ("hexrd", CondaVersionTables.hexrd),
        ])
    func ascending(name: String, list: [String]) throws {
        let parsed = try list.map(v)
        for i in parsed.indices {
            for j in parsed.indices where i < j {
                #expect(parsed[i] < parsed[j], "\(name): \(list[i]) < \(list[j])")
            }
        }
        var generator = SplitMix(seed: 42)
        #expect(parsed.shuffled(using: &generator).sorted().map(\.text) == list)
    }

    @Test("VersionOrder docstring order")
    func docstringOrder() throws {
        var previous: CondaVersion?
        for entry in CondaVersionTables.docstringOrder {
            let isEqual = entry.hasPrefix("==")
            let version = try v(isEqual ? String(entry.dropFirst(2)) : entry)
            if let previous {
                if isEqual {
                    #expect(previous == version, "\(previous) == \(version)")
                } else {
                    #expect(previous < version, "\(previous) < \(version)")
                }
            }
            previous = version
        }
    }

    @Test("invalid versions are rejected", arguments: CondaVersionTables.invalid)
    func invalid(text: String) {
        #expect(throws: VersionError.self) { try CondaVersion(text) }
    }

    @Test("equal pairs", arguments: CondaVersionTables.equal)
    func equal(a: String, b: String) throws {
        #expect(try v(a) == v(b))
        #expect(try v(a).hashValue == v(b).hashValue)
    }

    @Test("unequal pairs", arguments: CondaVersionTables.unequal)
    func unequal(a: String, b: String) throws {
        #expect(try v(a) != v(b))
    }

    @Test("startswith", arguments: CondaVersionTables.startsWith)
    func startsWith(version: String, prefix: String, expected: Bool) throws {
        #expect(CondaStartsWith(try v(prefix)).matches(try v(version)) == expected)
    }
}

@Suite("CondaVersion: parsing details")
struct CondaVersionParsingTests {
    @Test(
        "rejections name the problem",
        arguments: [
            ("", "empty"), ("1..2", "empty version component"), (".1", "empty version component"),
            ("1.", "empty version component"), ("1+", "empty version component"), ("1!2!3", "epoch separator"),
            ("x!1", "epoch must be an integer"), ("1+2+3", "local version separator"),
            ("+1", "missing version"), ("1.0-1_2", "invalid character"), ("1.0 1", "invalid character"),
            ("1,0", "invalid character"), ("é1", "invalid character"), ("1!", "empty"),
        ])
    func rejection(text: String, reasonPart: String) {
        do {
            _ = try CondaVersion(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.scheme == .conda)
            #expect(error.input == text)
            #expect(error.reason.contains(reasonPart), "\(error.reason)")
        }
    }

    @Test(
        "parsed components",
        arguments: [
            ("1.0-1", [["0"], ["1"], ["0"], ["1"]], [[String]]()),
            ("1-", [["0"], ["1", "_"]], []),
            ("_", [["0"], ["0", "_"]], []),
            ("1__", [["0"], ["1"], ["0", "_"]], []),
            ("1.a_", [["0"], ["1"], ["0", "a_"]], []),
            ("1.0+a_b.3", [["0"], ["1"], ["0"]], [["0", "a"], ["0", "b"], ["3"]]),
            ("007!1", [["7"], ["1"]], []),
            ("1*a**", [["0"], ["1", "*", "a", "**"]], []),
            ("1.0postdev", [["0"], ["1"], ["0", "postdev"]], []),
            ("\u{212A}2", [["0"], ["0", "k", "2"]], []),
            ("  1.2\t", [["0"], ["1"], ["2"]], []),
            ("\u{00A0}1.2\u{3000}", [["0"], ["1"], ["2"]], []),
        ])
    func components(text: String, main: [[String]], local: [[String]]) throws {
        let version = try v(text)
        #expect(version.condaComponents.main == main)
        #expect(version.condaComponents.local == local)
    }

    @Test("text is kept as given, without surrounding whitespace")
    func text() throws {
        #expect(try v(" 1.2-RC1 ").text == "1.2-RC1")
        #expect(try v(" 1.2-RC1 ").normalized == "1.2_rc1")
        #expect(try v("\u{00A0}1.2").text == "1.2")
    }

    @Test(
        "ordering details",
        arguments: [
            ("1.0", "1.0.0", 0), ("1.0+0", "1.0", 0), ("1.0+a", "1.0", -1), ("1.0+1", "1.0", 1),
            ("1!0.1", "9999", 1), ("0!1", "1", 0), ("1.0-1", "1.0_1", 0), ("1.0.A", "1.0.a", 0),
            ("1.1*", "1.1dev", -1), ("1.1dev", "1.1_", -1), ("1.1_", "1.1a", -1),
            ("99999999999999999999999", "99999999999999999999998", 1),
            ("99999999999999999999999", "18446744073709551615", 1), ("18446744073709551615", "9", 1),
            ("1.000000000000000000000000001", "1.1", 0), ("1.0.0.0.0.0.0.0.0.0.0.0.1", "1", 1),
            ("1.0.0.0.0.0.0.0.0.0.0.0.0", "1", 0), ("2.0.0.0.0.0.0.0.0.0.0.0.0a", "2", -1),
            ("1.2.3.4.5.6.7.8.9.10.11.12.13", "1.2.3.4.5.6.7.8.9.10.11.12.14", -1),
            ("1.1.post1", "1.1.post", 1), ("1.1.post", "1.1.1", -1), ("1.1post", "1.1.1", 1),
            ("1.1.0a", "1.1.a", 0), ("1.1a0", "1.1a", 0), ("1.1.0", "1.1.0+0.0", 0),
            ("1.1.dev1", "1.1.0dev1", 0), ("1.0.1a", "1.0.1", -1), ("1.0.1_", "1.0.1a", -1),
            ("1.2.3+local.7", "1.2.3+local.8", -1), ("1.2.3+local.7", "1.2.4", -1),
            ("20220101.1", "2022.1", 1), ("abc", "abd", -1), ("abc", "0", -1),
            ("a.b.c.d.e.f.g.h.i", "a.b.c.d.e.f.g.h.j", -1),
        ])
    func order(a: String, b: String, expected: Int) throws {
        let x = try v(a)
        let y = try v(b)
        #expect(CondaVersion.compare(x, y).signum() == expected, "\(a) vs \(b)")
        #expect(CondaVersion.compare(y, x).signum() == -expected)
        #expect((x == y) == (expected == 0))
        if expected == 0 { #expect(x.hashValue == y.hashValue) }
    }

    @Test(
        "numericRelease",
        arguments: [
            ("1.19.5", [1, 19, 5]), ("1.0.1g", [1, 0, 1]), ("2.0rc1", [2, 0]), ("1.2.post1", [1, 2]),
            ("1!2.3+4", [2, 3]), ("2023_01_02", [2023, 1, 2]), ("dev", nil), ("1.*", [1]),
            ("99999999999999999999", nil), ("3.10", [3, 10]),
        ] as [(String, [Int]?)])
    func numericRelease(text: String, expected: [Int]?) throws {
        #expect(try v(text).numericRelease == expected)
    }

    @Test(
        "isPrerelease",
        arguments: [
            ("1.0rc1", true), ("2.0.dev3", true), ("1.0a", true), ("1.1_", true), ("1.0.1g", true),
            ("1.0", false), ("1.0.post1", false), ("1!2.0", false), ("1.0+local", false),
            ("1.2.3.4.5.6.7.8.9.10.11.12.13rc1", true),
        ])
    func isPrerelease(text: String, expected: Bool) throws {
        #expect(try v(text).isPrerelease == expected)
    }

    @Test("a Set and a Dictionary treat conda-equal versions as one")
    func hashing() throws {
        let set: Set<CondaVersion> = [
            try v("1.0"), try v("1.0.0"), try v("1.0+0"), try v("1.0.0.0.0.0.0.0.0.0.0.0.0.0"),
        ]
        #expect(set.count == 1)
    }
}

extension String {
    fileprivate func replacingDash() -> String {
        contains("_") ? self : String(map { $0 == "-" ? "_" : $0 })
    }
}

/// A small deterministic generator for shuffles in tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("CondaVersion: differential data from conda's VersionOrder")
struct CondaVersionDifferentialTests {
    @Test("compare and startswith agree with conda", arguments: CondaVersionDifferentialData.pairs)
    func pair(a: String, b: String, sign: Int, startsWith: Bool) throws {
        let x = try CondaVersion(a)
        let y = try CondaVersion(b)
        #expect(CondaVersion.compare(x, y).signum() == sign)
        #expect((x == y) == (sign == 0))
        if sign == 0 { #expect(x.hashValue == y.hashValue) }
        #expect(CondaStartsWith(y).matches(x) == startsWith)
    }
}
