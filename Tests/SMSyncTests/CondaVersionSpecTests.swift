import Testing

@testable import SMSync

/// Data copied from conda's tests/models/test_version.py (VersionSpec).
enum CondaVersionSpecTables {
    /// `test_ver_eval`: (version, spec, matches).
    static let verEval: [(String, String, Bool)] = [
        ("1.7.0", "==1.7", true), ("1.7.0", "<=1.7", true), ("1.7.0", "<1.7", false), ("1.7.0", ">=1.7", true),
        ("1.7.0", ">1.7", false), ("1.6.7", ">=1.7", false), ("2013a", ">2013b", false), ("2013k", ">2013b", true),
        ("3.0.0", ">2013b", false), ("1.0.0", ">1.0.0a", true), ("1.0.0", ">1.0.0*", true), ("1.0", "1.0*", true),
        ("1.0.0", "1.0*", true), ("1.0", "1.0.0*", true), ("1.0.1", "1.0.0*", false), ("2013a", "2013a*", true),
        ("2013a", "2013b*", false), ("2013ab", "2013a*", true), ("1.3.4", "1.2.4*", false),
        ("1.2.3+4.5.6", "1.2.3*", true), ("1.2.3+4.5.6", "1.2.3+4*", true), ("1.2.3+4.5.6", "1.2.3+5*", false),
        ("1.2.3+4.5.6", "1.2.4+5*", false),
    ]

    /// `test_ver_eval_errors`, `test_version_spec_2`, `test_invalid_version_specs`,
    /// `test_compatible_release_versions` and `test_pep_440_arbitrary_equality_operator`.
    static let invalid = [
        "><2.4.5", "!!2.4.5", "!", "(1.5", "1.5)", "1.5||1.6", "^1.5", "~", "^", "1.2+", "+1.2", "+1.2+", "++",
        "c +, 0/|0 *", "a[version=)|(", "a=)(=b", "==", "=", ">=", "<=", "~=3.3.2.*", "===3.3.2",
    ]

    /// `test_match`: every spec is matched against version 1.7.1; `str(spec)` must equal the text.
    static let match: [(String, Bool)] = [
        ("1.7.*", true), ("1.7.1", true), ("1.7.0", false), ("1.7", false), ("1.5.*", false), (">=1.5", true),
        ("!=1.5", true), ("!=1.7.1", false), ("==1.7.1", true), ("==1.7", false), ("==1.7.2", false),
        ("==1.7.1.0", true), ("1.7.*|1.8.*", true), (">1.7,<1.8", true), (">1.7.1,<1.8", false),
        ("^1.7.1$", true), (#"^1\.7\.1$"#, true), (#"^1\.7\.[0-9]+$"#, true), (#"^1\.8.*$"#, false),
        (#"^1\.[5-8]\.1$"#, true), (#"^[^1].*$"#, false), (#"^[0-9+]+\.[0-9+]+\.[0-9]+$"#, true), ("^$", false),
        ("^.*$", true), ("1.7.*|^0.*$", true), ("1.6.*|^0.*$", false), ("1.6.*|^0.*$|1.7.1", true),
        ("^0.*$|1.7.1", true), (#"1.6.*|^.*\.7\.1$|0.7.1"#, true), ("*", true), ("1.*.1", true),
        ("1.5.*|>1.7,<1.8", true), ("1.5.*|>1.7,<1.7.1", false),
    ]

    /// `test_local_identifier`: each version matches itself as a spec.
    static let localIdentifier = ["1.7.0", "1.7.0.post123", "1.7.0.post123.gabcdef9", "1.7.0.post123+gabcdef9"]

    /// `test_not_eq_star`, `test_compound_versions`, `test_compatible_release_versions`:
    /// (spec, version, matches).
    static let cases: [(String, String, Bool)] = [
        ("=3.3", "3.3.1", true), ("=3.3", "3.3", true), ("=3.3", "3.4", false),
        ("3.3.*", "3.3.1", true), ("3.3.*", "3.3", true), ("3.3.*", "3.4", false),
        ("=3.3.*", "3.3.1", true), ("=3.3.*", "3.3", true), ("=3.3.*", "3.4", false),
        ("!=3.3.*", "3.3.1", false), ("!=3.3.*", "3.4", true), ("!=3.3.*", "3.4.1", true),
        ("!=3.3", "3.3.1", true), ("!=3.3", "3.3.0.0", false), ("!=3.3.*", "3.3.0.0", false),
        (">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", "2.6.8", false),
        (">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", "2.7.2", true),
        (">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", "3.3", false),
        (">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", "3.3.4", false),
        (">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", "3.4", true),
        (">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*", "3.4a", true),
        ("~=1.10", "1.11.0", true), ("~=1.10.0", "1.11.0", false), ("~=3.3.2", "3.4.0", false),
        ("~=3.3.2", "3.3.1", false), ("~=3.3.2", "3.3.2.0", true), ("~=3.3.2", "3.3.3", true),
        ("~=3.3.2|==2.2", "2.2.0", true), ("~=3.3.2|==2.2", "3.3.3", true), ("~=3.3.2|==2.2", "2.2.1", false),
    ]
}

@Suite("CondaVersionSpec: conda test_version.py")
struct CondaVersionSpecCondaTests {
    @Test("test_ver_eval", arguments: CondaVersionSpecTables.verEval)
    func verEval(version: String, spec: String, expected: Bool) throws {
        #expect(try CondaVersionSpec(spec).matches(CondaVersion(version)) == expected)
    }

    @Test("invalid specs are rejected", arguments: CondaVersionSpecTables.invalid)
    func invalid(spec: String) {
        #expect(throws: VersionError.self) { try CondaVersionSpec(spec) }
    }

    @Test("test_match against 1.7.1", arguments: CondaVersionSpecTables.match)
    func match(spec: String, expected: Bool) throws {
        let s = try CondaVersionSpec(spec)
        #expect(s.matches(try CondaVersion("1.7.1")) == expected)
        #expect(s.normalized == spec)
        #expect(s.text == spec)
    }

    @Test("test_local_identifier", arguments: CondaVersionSpecTables.localIdentifier)
    func localIdentifier(version: String) throws {
        #expect(try CondaVersionSpec(version).matches(CondaVersion(version)))
    }

    @Test("not_eq_star, compound, compatible release", arguments: CondaVersionSpecTables.cases)
    func cases(spec: String, version: String, expected: Bool) throws {
        #expect(try CondaVersionSpec(spec).matches(CondaVersion(version)) == expected)
    }

    @Test("test_version_spec_1: exactness, equality, hash")
    func versionSpec1() throws {
        let v1 = try CondaVersionSpec("1.7.1")
        let v2 = try CondaVersionSpec("1.7.1*")
        let v3 = try CondaVersionSpec("1.7.1")
        #expect(v1.isExact)
        #expect(!v2.isExact)
        #expect(v1 == v3)
        #expect(v1 != v2)
        #expect(v1.hashValue == v3.hashValue)
        #expect(v1.hashValue != v2.hashValue)
    }

    @Test("test_version_spec_2: normalized nesting")
    func versionSpec2() throws {
        let v1 = try CondaVersionSpec("( (1.5|((1.6|1.7), 1.8), 1.9 |2.0))|2.1")
        #expect(v1.normalized == "1.5|1.6|1.7,1.8,1.9|2.0|2.1")
    }

    @Test("test_version_spec_3 and _4: 1.7.1* equals 1.7.1.*")
    func versionSpec3and4() throws {
        let v1 = try CondaVersionSpec("1.7.1*")
        let v2 = try CondaVersionSpec("1.7.1.*")
        #expect(!v1.isExact && !v2.isExact)
        #expect(v1 == v2)
        #expect(v1.hashValue == v2.hashValue)
        let w1 = try CondaVersionSpec("1.7.1*,1.8.1*")
        let w2 = try CondaVersionSpec("1.7.1.*,1.8.1.*")
        let w3 = try CondaVersionSpec("1.7.1*,1.8.1.*")
        #expect(!w1.isExact)
        #expect(w1 == w2 && w2 == w3)
        #expect(w1.hashValue == w3.hashValue)
    }

    @Test("treeify docstring examples group as conda does")
    func treeify() throws {
        // (1.2.3|4.5.6),<=7.8.9 : and of (or), so 4.5.6 is excluded by nothing but 7.9 by <=7.8.9
        let s = try CondaVersionSpec("(1.2.3|4.5.6),<=7.8.9")
        #expect(s.matches(try CondaVersion("4.5.6")))
        #expect(!s.matches(try CondaVersion("1.2.4")))
        // 1.2.3,4.5.6|<=7.8.9 : , binds tighter than |
        let t = try CondaVersionSpec("1.2.3,4.5.6|<=7.8.9")
        #expect(t.matches(try CondaVersion("7.0")))
        #expect(!t.matches(try CondaVersion("8.0")))
        #expect(t.normalized == "1.2.3,4.5.6|<=7.8.9")
    }
}

@Suite("CondaVersionSpec: details")
struct CondaVersionSpecDetailTests {
    @Test(
        "matching details",
        arguments: [
            (">=1.0.1", "1.0.1a", false), (">=1.0.1_", "1.0.1_", true), (">=1.0.1", "1.0.1_", false),
            ("1.2", "1.2.0", true), ("1.2", "1.2.1", false), ("=1.2", "1.20", false), ("1.2.*", "1.2rc1", true),
            ("=1.2*", "1.2.3", false), ("=1.2*", "1.2*", true), (">=1.2.*", "1.2", true), ("<1.2.*", "1.1", true),
            ("==1.2.*", "1.2", true), ("*.7.*", "1.7.1", true), ("*.7.*", "1.8.1", false), ("1.*", "2.1", false),
            ("!=1.2.*", "1.3", true), ("1.2.*,!=1.2.3", "1.2.3", false),
            ("1.2.*,!=1.2.3", "1.2.4", true), (" >=1.0 ", "1.0", true), ("1.8.1*", "1.8.1rc1", true),
            ("~=2.0", "2.5", true), ("~=2.0", "3.0", false), ("~=1!2.0", "1!2.3", true), ("~=1!2.0", "2.3", false),
            ("1.0+abc*", "1.0+abc.1", true), ("1.0+abc*", "1.0+abd", false), ("^1\\.0.*$", "1.0.5", true),
            ("1.0.*|(>=2,<3)", "2.5", true), ("(1.0.*|>=2),<3", "3.5", false),
        ])
    func matching(spec: String, version: String, expected: Bool) throws {
        #expect(try CondaVersionSpec(spec).matches(CondaVersion(version)) == expected, "\(spec) ~ \(version)")
    }

    @Test(
        "rejections name the problem",
        arguments: [
            ("", "empty"), (">= 1.0", "invalid operator"), ("=>1.0", "invalid operator"), ("~=1", "'~='"),
            (">=1..0", "invalid version"), ("(1.5)(1.6)", "after a complete expression"), ("1.5)", "unbalanced"),
            ("1.0$", "regex"), ("^(1$", "regular expression"),
        ])
    func rejection(spec: String, part: String) {
        do {
            _ = try CondaVersionSpec(spec)
            Issue.record("accepted \(spec)")
        } catch {
            #expect(error.scheme == .conda)
            #expect(error.reason.contains(part), "\(error.reason)")
        }
    }

    @Test(
        "clauses of and-only specs",
        arguments: [
            (">=1.16,<2", [">=|1.16|2..<6", "<|2|8..<9"]),
            ("1.2.*", ["|1.2.*|0..<5"]),
            (" >=1.0 , !=1.5 ", [">=|1.0|3..<6", "!=|1.5|11..<14"]),
            ("==1.7", ["==|1.7|2..<5"]),
            ("~=1.4", ["~=|1.4|2..<5"]),
            ("*", ["|*|0..<1"]),
        ])
    func clauses(spec: String, expected: [String]) throws {
        let clauses = try #require(try CondaVersionSpec(spec).clauses)
        #expect(clauses.map { "\($0.operator)|\($0.version)|\($0.versionRange)" } == expected)
    }

    @Test("no clauses for or, groups and regexes", arguments: ["1|2", "(1,2)", "^1.*$", ">=1,(<2|>3)"])
    func noClauses(spec: String) throws {
        #expect(try CondaVersionSpec(spec).clauses == nil)
    }
}
