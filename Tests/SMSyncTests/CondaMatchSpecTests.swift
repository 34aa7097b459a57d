import Testing

@testable import SMSync

/// One expected parse: the fields conda's `_parse_spec_str` returns (version after `_sanitize_version_str`).
struct ExpectedMatchSpec: Sendable, CustomTestStringConvertible {
    var spec: String
    var name: String
    var channel: String? = nil
    var subdir: String? = nil
    var version: String? = nil
    var build: String? = nil
    var other: [String: String] = [:]

    var testDescription: String { spec }
}

/// Data copied from conda's tests/models/test_match_spec.py.
enum CondaMatchSpecTables {
    /// `test_match_1`: specs matched against the record numpy-1.7.1-py27_0.
    static let matchNumpy171: [(String, Bool)] = [
        ("numpy 1.7*", true), ("numpy 1.7.1", true), ("numpy 1.7", false), ("numpy 1.5*", false),
        ("numpy >=1.5", true), ("numpy >=1.5,<2", true), ("numpy >=1.8,<1.9", false), ("numpy >1.5,<2,!=1.7.1", false),
        ("numpy >1.8,<2|==1.7", false), ("numpy >1.8,<2|>=1.7.1", true), ("numpy >=1.8|1.7*", true),
        ("numpy ==1.7", false), ("numpy >=1.5,>1.6", true), ("numpy ==1.7.1", true), ("numpy ==1.7.1.0", true),
        ("numpy==1.7.1.0.0", true), ("numpy >=1,*.7.*", true), ("numpy *.7.*,>=1", true), ("numpy >=1,*.8.*", false),
        ("numpy >=2,*.7.*", false), ("numpy 1.6*|1.7*", true), ("numpy 1.6*|1.8*", false), ("numpy 1.6.2|1.7*", true),
        ("numpy 1.6.2|1.7.1", true), ("numpy 1.6.2|1.7.0", false), ("numpy 1.7.1 py27_0", true),
        ("numpy 1.7.1 py26_0", false), ("numpy >1.7.1a", true), ("python", false),
    ]

    /// The other `test_match_1` assertions, `test_openssl_match` and `test_build_glob_merge`'s single specs:
    /// (spec, package name, version, build, matches).
    static let matchRecords: [(String, String, String, String, Bool)] = [
        ("numpy >=1.0.1", "numpy", "1.0.1a", "0", false),
        ("numpy >=1.0.1.vc11", "numpy", "1.0.1a.vc11", "0", false),
        ("numpy >=1.0.1*.vc11", "numpy", "1.0.1a.vc11", "0", true),
        ("numpy <1.0.1", "numpy", "1.0.1.vc11", "0", true),
        ("numpy <1.0.1", "numpy", "1.0.1a.vc11", "0", true),
        ("numpy >=1.0.1.vc11", "numpy", "1.0.1a", "0", false),
        ("numpy >=1.0.1a", "numpy", "1.0.1z", "0", true),
        ("numpy >=1.0.1a py27*", "numpy", "1.0.1z", "py27_1", true),
        ("blas * openblas_0", "blas", "1.0", "openblas_0", true),
        ("openssl>=1.0.1_", "openssl", "1.0.1_", "4", true),
        ("openssl>=1.0.1", "openssl", "1.0.1_", "4", false),
        ("numpy<2", "numpy", "1.11.0", "py34_7", true),
        ("numpy[version=<2]", "numpy", "1.11.0", "py34_7", true),
        ("numpy>2", "numpy", "1.11.0", "py34_7", false),
        ("numpy[version='>2']", "numpy", "1.11.0", "py34_7", false),
        ("numpy ~=1.10", "numpy", "1.11.0", "py34_7", true),
        ("numpy~=1.10", "numpy", "1.11.0", "py34_7", true),
        ("my_pkg=1.17.*", "my_pkg", "1.17.3", "red_habc123_3", true),
        ("my_pkg=1.17.*=red_*", "my_pkg", "1.17.3", "red_habc123_3", true),
        ("my_pkg=1.17.*=red_*", "my_pkg", "1.17.3", "blue_hdef1234_3", false),
        ("my_pkg=1.17.*=blue_hdef1234_*", "my_pkg", "1.17.3", "blue_hdef1234_3", true),
        ("my_pkg=1.17.*=red_habc123_3", "my_pkg", "1.17.3", "red_habc123_3", true),
        ("my_pkg=1.17.*=*red*", "my_pkg", "1.17.3", "blue_hdef1234_3", false),
        ("my_pkg=1.17.*=*_3", "my_pkg", "1.17.3", "blue_hdef1234_3", true),
        ("my_pkg=1.17.*=*_habc123_3", "my_pkg", "1.17.3", "blue_hdef1234_3", false),
        ("python=3.5*", "python", "3.5.3", "1", true),
        ("python=3.5*", "python", "3.6.0", "0", false),
    ]

    /// `_parse_spec_str` tables (no_brackets, with_brackets, star_name, parse_equal_equal, parse_hard,
    /// parse_channel_subdir, parse_build_number_brackets) and the parse results behind `test_simple`,
    /// `test_pip_style`, `test_comment`, `test_conda_style`, `test_pip_style2`.
    static let parse: [ExpectedMatchSpec] = [
        .init(spec: "numpy", name: "numpy"),
        .init(spec: "numpy=", name: "numpy"),
        .init(spec: "defaults::numpy", name: "numpy", channel: "defaults"),
        .init(spec: "defaults::numpy=1.8", name: "numpy", channel: "defaults", version: "1.8*"),
        .init(spec: "defaults::numpy =1.8", name: "numpy", channel: "defaults", version: "1.8*"),
        .init(spec: "defaults::numpy=1.8=py27_0", name: "numpy", channel: "defaults", version: "1.8", build: "py27_0"),
        .init(spec: "defaults::numpy 1.8 py27_0", name: "numpy", channel: "defaults", version: "1.8", build: "py27_0"),
        .init(spec: "defaults::numpy[channel=anaconda]", name: "numpy", channel: "anaconda"),
        .init(
            spec: "defaults::numpy 1.8 py27_0[channel=anaconda]", name: "numpy", channel: "anaconda", version: "1.8",
            build: "py27_0"),
        .init(
            spec: "defaults::numpy=1.8=py27_0 [channel=anaconda,version=1.9, build=3]", name: "numpy",
            channel: "anaconda", version: "1.9", build: "3"),
        .init(
            spec: "defaults::numpy=1.8=py27_0 [channel='anaconda',version=\">=1.8,<2|1.9\", build='3']",
            name: "numpy", channel: "anaconda", version: ">=1.8,<2|1.9", build: "3"),
        .init(
            spec: "tensorflow[name=* version=* md5=253b922ecdb5a30884875948b8904983]", name: "tensorflow",
            version: "*", other: ["md5": "253b922ecdb5a30884875948b8904983"]),
        .init(spec: "tensorflow[name=pytorch]", name: "tensorflow"),
        .init(
            spec:
                "defaults::numpy=1.8=py27_0 [name=\"pytorch\" channel='anaconda',version=\">=1.8,<2|1.9\", build='3']",
            name: "numpy", channel: "anaconda", version: ">=1.8,<2|1.9", build: "3"),
        .init(spec: "* 2.7.4", name: "*", version: "2.7.4"),
        .init(spec: "* >=1.3 2", name: "*", version: ">=1.3", build: "2"),
        .init(spec: "numpy==1.7", name: "numpy", version: "1.7"),
        .init(spec: "numpy ==1.7", name: "numpy", version: "1.7"),
        .init(spec: "numpy=1.7", name: "numpy", version: "1.7*"),
        .init(spec: "numpy =1.7", name: "numpy", version: "1.7*"),
        .init(spec: "numpy !=1.7", name: "numpy", version: "!=1.7"),
        .init(spec: "numpy~=1.7.1", name: "numpy", version: "~=1.7.1"),
        .init(spec: "numpy>1.8,<2|==1.7", name: "numpy", version: ">1.8,<2|==1.7"),
        .init(
            spec: "numpy >1.8,<2|==1.7,!=1.9,~=1.7.1 py34_0", name: "numpy", version: ">1.8,<2|==1.7,!=1.9,~=1.7.1",
            build: "py34_0"),
        .init(spec: "*>1.8,<2|==1.7", name: "*", version: ">1.8,<2|==1.7"),
        .init(spec: "* >1.8,<2|==1.7", name: "*", version: ">1.8,<2|==1.7"),
        .init(spec: "* 1 *", name: "*", version: "1", build: "*"),
        .init(spec: "* * openblas_0", name: "*", version: "*", build: "openblas_0"),
        .init(spec: "* * *", name: "*", version: "*", build: "*"),
        .init(spec: "* *", name: "*", version: "*"),
        .init(spec: "conda-forge::foo>=1.0", name: "foo", channel: "conda-forge", version: ">=1.0"),
        .init(
            spec: "conda-forge/linux-32::foo>=1.0", name: "foo", channel: "conda-forge", subdir: "linux-32",
            version: ">=1.0"),
        .init(spec: "*/linux-32::foo>=1.0", name: "foo", channel: "*", subdir: "linux-32", version: ">=1.0"),
        .init(spec: "python[build_number=3]", name: "python", other: ["build_number": "3"]),
        .init(spec: "python[build_number='>3']", name: "python", other: ["build_number": ">3"]),
        .init(spec: "python[build_number='>=3']", name: "python", other: ["build_number": ">=3"]),
        .init(spec: "python[build_number='<3']", name: "python", other: ["build_number": "<3"]),
        .init(spec: "python[build_number='<=3']", name: "python", other: ["build_number": "<=3"]),
        .init(spec: "python=2.6*", name: "python", version: "2.6*"),
        .init(spec: "ipython==0.13.0", name: "ipython", version: "0.13.0"),
        .init(spec: "foo=1.3.0=3", name: "foo", version: "1.3.0", build: "3"),
        .init(spec: "zope.int>=1.3,<3.0", name: "zope.int", version: ">=1.3,<3.0"),
        .init(spec: "numpy >=1.9", name: "numpy", version: ">=1.9"),
        .init(spec: "foo # comment", name: "foo"),
        .init(spec: "foo ## comment", name: "foo"),
        .init(spec: "foo=1.0=2", name: "foo", version: "1.0", build: "2"),
        .init(spec: "foo >= 1.0", name: "foo", version: ">=1.0"),
        .init(spec: "foo > 1.0", name: "foo", version: ">1.0"),
        .init(spec: "foo != 1.0", name: "foo", version: "!=1.0"),
        .init(spec: "foo <1.0", name: "foo", version: "<1.0"),
        .init(spec: "FOO-Bar >=1.0", name: "FOO-Bar", version: ">=1.0"),
        .init(spec: "foo >=1.0 , < 2.0", name: "foo", version: ">=1.0,<2.0"),
        .init(spec: "numpy=1.7=py3*_2", name: "numpy", version: "1.7", build: "py3*_2"),
        .init(spec: "numpy=1.7.*=py3*_2", name: "numpy", version: "1.7.*", build: "py3*_2"),
        .init(spec: "numpy[version='1.7|1.8']", name: "numpy", version: "1.7|1.8"),
        .init(spec: "numpy[version=\"1.7,1.8\"]", name: "numpy", version: "1.7,1.8"),
        .init(spec: "numpy[version=1.10 build=py38_0]", name: "numpy", version: "1.10", build: "py38_0"),
        .init(spec: "numpy!=1.10 py38_0", name: "numpy", version: "!=1.10", build: "py38_0"),
        .init(spec: "numpy!=1.10=py38_0", name: "numpy", version: "!=1.10", build: "py38_0"),
        .init(spec: "numpy >1.7,!=1.10 py38_0", name: "numpy", version: ">1.7,!=1.10", build: "py38_0"),
        .init(spec: "numpy=1.10.*,!=1.10.2", name: "numpy", version: "=1.10.*,!=1.10.2"),
        .init(spec: "numpy ~=1.10.1 py38_0", name: "numpy", version: "~=1.10.1", build: "py38_0"),
        .init(spec: "openssl=1.1.1_", name: "openssl", version: "1.1.1_*"),
        .init(spec: "numpy[version=\"=2\"]", name: "numpy", version: "2*"),
        .init(spec: "awscli==2.15.37=wghq", name: "awscli", version: "2.15.37", build: "wghq"),
        .init(spec: "numpy[channel=defaults,subdir=osx-64]", name: "numpy", channel: "defaults", subdir: "osx-64"),
        .init(
            spec: "numpy[channel=conda-forge,subdir=noarch]", name: "numpy", channel: "conda-forge", subdir: "noarch"),
        .init(spec: "*/win-32::numpy[subdir=\"osx-64\"]", name: "numpy", channel: "*", subdir: "osx-64"),
        .init(spec: "pytorch=*=cuda*", name: "pytorch", version: "*", build: "cuda*"),
        .init(spec: "python 3.8.* *_cpython", name: "python", version: "3.8.*", build: "*_cpython"),
        .init(spec: "mamba * [build=*py310*]", name: "mamba", version: "*", build: "*py310*"),
        .init(spec: "python ==2.7.*.*|>=3.6", name: "python", version: "2.7.*.*|>=3.6"),
    ]

    /// `test_exact_values` / `is_exact()` of the version: (spec, exact).
    static let exactVersion: [(String, Bool)] = [
        ("numpy=1.7", false), ("numpy==1.7", true), ("numpy[version=1.7]", true), ("numpy=1.7=py3*_2", true),
        ("numpy=1.7.*=py37_2", false), ("zlib 1.2.7 0", true),
    ]

    /// `_parse_version_plus_build` docstring: (input, version, build).
    static let versionPlusBuild: [(String, String, String?)] = [
        ("=1.2.3 0", "=1.2.3", "0"), ("1.2.3=0", "1.2.3", "0"), (">=1.0 , < 2.0 py34_0", ">=1.0,<2.0", "py34_0"),
        (">=1.0 , < 2.0 =py34_0", ">=1.0,<2.0", "py34_0"), ("=1.2.3 ", "=1.2.3", nil),
        (">1.8,<2|==1.7", ">1.8,<2|==1.7", nil), ("* openblas_0", "*", "openblas_0"), ("* *", "*", "*"),
    ]

    /// Rejected by conda: `test_invalid_match_spec`, `test_parse_errors`, `test_matchspec_errors`,
    /// `test_bad_brackets`, `test_catch_invalid_regexes`, `test_invalid_version_reports_spec`,
    /// `test_extra_specs`, `test_extras_flags_empty_value_raises`, `test_flags_specs`.
    static let invalid = [
        "!xyz 1.3", "blas [optional", "blas [test=]", "blas[invalid=\"1\"]", "package[build=]",
        "package[build=value, build=again]", "package[build]", "package[build=0][version=2]", "pkg[build=0,junk]",
        "*/lin(ux-65::f/o>=>1y", "^(aaaa$", "pkg 4.2.2<6.0.0", "pkg>=0.10.0,<1.0.0<py312|>=0.13.0,<1.0.0>=py312",
        "package[a]", "package[a,b]", "pkg[extras=]", "pkg[flags=]", "package[extras=[a]", "package[extras=[a, b]",
        "package[extras=[[a, b]", "numpy==", "numpy<=", "numpy>=", "numpy= ",
    ]

    /// `test_parse_ecosystem_corpus`: specs from rattler, conda-libmamba-solver and conda's own tests.
    static let corpus = [
        "blas *.* mkl", "foo=1.0=py27_0", "foo==1.0=py27_0", "python 3.8.* *_cpython", "pytorch=*=cuda*",
        "x264 >=1!164.3095,<1!165", "conda-forge::foo[version=1.0.*]",
        "conda-forge::foo[version=1.0.*, build_number=\">6\"]",
        "python ==2.7.*.*|>=3.6", "python=3.9", "python=*",
        "conda-forge/linux-32::python[version=3.9, subdir=linux-64]",
        "conda-forge/linux-32::python ==3.9[subdir=linux-64, build_number=\"0\"]", "python ==3.9[channel=conda-forge]",
        "python ==3.9[channel=conda-forge/linux-64]", "rust ~=1.2.3", "numpy>=2.*.*",
        "bird_tool_utils_python =0.*,>=0.4.1",
        "* >=1.0", "tensorflow 2.6.*", "tensorflow 2.6.0.*", "mamba[build=*py310_1]", "mamba[build=*py310*]",
        "mamba * [build=*py310*]", "foo >=1.0 py37_0", "foo >=1.0 py37*", "foo 1.0.* py38*", "foo * py37_1",
        "foo ==1.0",
        "foo >=2.0", "foo >=1.0", "activate_deactivate_package=*=*0", "numpy=*=*py38*",
        "conda-forge::libblas=*=*openblas",
        "ca-certificates=*=*_0", "python ==3.7.3", "pandas ==1.2.5 py37h295c915_0", "scipy ==1.7.3 py37hf2a6cf1_0",
        "ca-certificates =2022.9.24", "ca-certificates >=2022.9.24", "ca-certificates >2022.9.24",
        "ca-certificates<2022.9.24,>2020", "ca-certificates<=2022.9.24,>2020", "ca-certificates !=2022.9.24,>2020",
        "ca-certificates[build='*_0']", "ca-certificates[version='>=2022.9.24']", "pytorch::pytorch=1.12",
    ]
}

@Suite("CondaMatchSpec: conda test_match_spec.py")
struct CondaMatchSpecCondaTests {
    @Test("test_match_1 against numpy-1.7.1-py27_0", arguments: CondaMatchSpecTables.matchNumpy171)
    func matchNumpy(spec: String, expected: Bool) throws {
        let ms = try CondaMatchSpec.parse(spec)
        #expect(ms.matches(name: "numpy", version: try CondaVersion("1.7.1"), build: "py27_0") == expected)
    }

    @Test("record matches", arguments: CondaMatchSpecTables.matchRecords)
    func matchRecords(spec: String, name: String, version: String, build: String, expected: Bool) throws {
        let ms = try CondaMatchSpec.parse(spec)
        #expect(ms.matches(name: name, version: try CondaVersion(version), build: build) == expected)
    }

    @Test("_parse_spec_str results", arguments: CondaMatchSpecTables.parse)
    func parse(expected: ExpectedMatchSpec) throws {
        let ms = try CondaMatchSpec.parse(expected.spec)
        #expect(ms.name == expected.name)
        #expect(ms.channel == expected.channel)
        #expect(ms.subdir == expected.subdir)
        #expect(ms.version?.text == expected.version)
        #expect(ms.build == expected.build)
        #expect(ms.otherKeys == expected.other)
    }

    @Test("exact versions", arguments: CondaMatchSpecTables.exactVersion)
    func exact(spec: String, isExact: Bool) throws {
        #expect(try CondaMatchSpec.parse(spec).version?.isExact == isExact)
    }

    @Test("_parse_version_plus_build", arguments: CondaMatchSpecTables.versionPlusBuild)
    func versionPlusBuild(input: String, version: String, build: String?) {
        let piece = CondaMatchSpec.Piece(bytes: Array(input.utf8), offsets: Array(0..<input.utf8.count))
        let (v, b) = CondaMatchSpec.splitVersionBuild(piece)
        #expect(String(decoding: v.bytes.filter { $0 != 0x20 }, as: UTF8.self) == version)
        let builtText = b.map { String(decoding: piece.slice($0.build).trimmed().bytes, as: UTF8.self) }
        #expect(builtText == build)
    }

    @Test("invalid specs are rejected", arguments: CondaMatchSpecTables.invalid)
    func invalid(spec: String) {
        #expect(throws: VersionError.self) { try CondaMatchSpec.parse(spec) }
    }

    @Test("ecosystem corpus parses", arguments: CondaMatchSpecTables.corpus)
    func corpus(spec: String) throws {
        let ms = try CondaMatchSpec.parse(spec)
        #expect(!ms.name.isEmpty)
    }
}

@Suite("CondaMatchSpec: forms and ranges")
struct CondaMatchSpecFormTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var spec: String
        var form: CondaMatchSpec.Form
        var versionText: String?
        var versionRange: Range<Int>?
        var build: String?
        var buildRange: Range<Int>?
        var testDescription: String { spec }
    }

    static let cases: [Case] = [
        .init(spec: "numpy", form: .nameOnly),
        .init(spec: "numpy  # pinned", form: .nameOnly),
        .init(spec: "numpy=1.2", form: .equals, versionText: "=1.2", versionRange: 5..<9),
        .init(
            spec: "numpy=1.2=py36_0", form: .equals, versionText: "=1.2", versionRange: 5..<9, build: "py36_0",
            buildRange: 9..<16),
        .init(
            spec: "numpy 1.2 py36_0", form: .spaced, versionText: "1.2", versionRange: 6..<9, build: "py36_0",
            buildRange: 9..<16),
        .init(spec: "numpy>=1,<2", form: .glued, versionText: ">=1,<2", versionRange: 5..<11),
        .init(spec: "numpy==1.2", form: .glued, versionText: "==1.2", versionRange: 5..<10),
        .init(spec: "numpy ==1.2", form: .spaced, versionText: "==1.2", versionRange: 6..<11),
        .init(
            spec: "conda-forge::numpy >=1.0 , < 2.0", form: .spaced, versionText: ">=1.0 , < 2.0",
            versionRange: 19..<32),
        .init(
            spec: "numpy[version='>=1,<2', build='*cpu*']", form: .bracket, versionText: ">=1,<2",
            versionRange: 15..<21, build: "*cpu*"),
        .init(spec: "numpy[version=\">=1\"]", form: .bracket, versionText: ">=1", versionRange: 15..<18),
        .init(spec: "numpy[version=1.2.*]", form: .bracket, versionText: "1.2.*", versionRange: 14..<19),
        .init(
            spec: "numpy[build=py36*]>=1.2", form: .glued, versionText: ">=1.2", versionRange: 18..<23, build: "py36*"),
        .init(spec: "numpy=1.2 # comment", form: .equals, versionText: "=1.2", versionRange: 5..<9),
        .init(
            spec: "numpy 1.2  py36_0", form: .spaced, versionText: "1.2", versionRange: 6..<9, build: "py36_0",
            buildRange: 9..<17),
        .init(spec: "mamba[build=*py310*]", form: .bracket, build: "*py310*"),
        .init(spec: "python=3.10.*", form: .equals, versionText: "=3.10.*", versionRange: 6..<13),
        .init(spec: "é::numpy=1", form: .equals, versionText: "=1", versionRange: 9..<11),
    ]

    @Test("form, text and UTF-8 ranges", arguments: cases)
    func forms(c: Case) throws {
        let ms = try CondaMatchSpec.parse(c.spec)
        #expect(ms.form == c.form)
        #expect(ms.versionText == c.versionText)
        #expect(ms.versionRange == c.versionRange)
        #expect(ms.build == c.build)
        #expect(ms.buildRange == c.buildRange)
        let bytes = Array(c.spec.utf8)
        if let r = ms.versionRange, let text = ms.versionText {
            #expect(String(decoding: bytes[r], as: UTF8.self) == text)
        }
        if let r = ms.buildRange, let build = ms.build {
            #expect(String(decoding: bytes[r], as: UTF8.self).hasSuffix(build))
        }
    }

    @Test("semantics: name=1.2 is 1.2.*, name=1.2=b and name 1.2 are exactly 1.2")
    func semantics() throws {
        let eq = try CondaMatchSpec.parse("numpy=1.2")
        #expect(eq.version?.matches(try CondaVersion("1.2.5")) == true)
        #expect(eq.version?.matches(try CondaVersion("1.20")) == false)
        let eqBuild = try CondaMatchSpec.parse("numpy=1.2=py36_0")
        #expect(eqBuild.version?.matches(try CondaVersion("1.2.5")) == false)
        #expect(eqBuild.version?.matches(try CondaVersion("1.2.0")) == true)
        let spaced = try CondaMatchSpec.parse("numpy 1.2")
        #expect(spaced.version?.matches(try CondaVersion("1.2.5")) == false)
        #expect(spaced.version == (try CondaVersionSpec("1.2")))
    }

    @Test(
        "rejections name the problem",
        arguments: [
            ("numpy[version='1.2'", "unbalanced"), ("numpy]", "unbalanced"), ("num#py", ""),
            ("num$py>=1", "invalid character '$'"), (">=1.2", "no package name"), ("numpy>=1..2", "invalid version"),
            ("ns:numpy", "single ':'"), ("numpy (>=1,<2)|>3", "parentheses"), ("numpy[foo=1]", "cannot match on"),
            ("numpy 1.2 py36 extra", "after the build"), ("mkl@", "feature"), ("numpy-1.0-0.tar.bz2", "package files"),
            ("foo if python>=3.6", "conditional"),
        ])
    func rejection(spec: String, part: String) {
        do {
            let ms = try CondaMatchSpec.parse(spec)
            // "num#py" is a comment after "num": accepted, as in conda
            #expect(part.isEmpty && ms.name == "num", "accepted \(spec)")
        } catch {
            #expect(error.scheme == .conda)
            #expect(error.input == spec)
            #expect(error.reason.contains(part), "\(error.reason)")
        }
    }
}

/// The one-pass reading of simple specs against the full parse: the same spec (every field, ranges included)
/// whenever it reads one, and never a spec the full parse refuses.
@Suite("CondaMatchSpec: simple specs read in one pass")
struct CondaMatchSpecSimpleTests {
    static let names = ["numpy", "scikit-learn", "_libgcc_mutex", "py.test", "R-base", "x", "a1", "lib.conda"]
    static let operators = ["", "=", "==", ">=", "<=", ">", "<", "!=", "~=", "=>", "===", "=!", "!", "~", "=<"]
    static let versions = [
        "1.19.5", "1", "1.2", "1!2.0", "1.0+local", "1.0_1", "2022.9.24", "1.0a1", "1.tar.bz2", "1.conda", "!1", ".1",
        "1.", "1..2", "v1.0", "1.0.post1", "a", "1.2.3.4.5.6", "1.0-1", "1*", "1.*", "1 2", "1,<2", "1|2", "1#x",
        "0", "007.01", "10.20.30", "2024.10.1.0",
    ]

    @Test func agreesWithTheFullParse() {
        var checked = 0
        var simple = 0
        for name in Self.names {
            for op in Self.operators {
                for version in op.isEmpty ? [""] + Self.versions : Self.versions {
                    let text = name + op + version
                    checked += 1
                    let full = try? CondaMatchSpec.fullSpec(text, dropBareBrackets: true)
                    guard let fast = CondaMatchSpec.simpleSpec(text) else { continue }
                    simple += 1
                    #expect(fast == full, "\(text)")
                    #expect(fast.version?.text == full?.version?.text, "\(text)")
                    #expect(fast.version?.normalized == full?.version?.normalized, "\(text)")
                }
            }
        }
        #expect(checked > 1000)
        // Most of these are simple specs; the comparison above covers many of them.
        #expect(simple > 500)
        #expect(CondaMatchSpec.simpleSpec("numpy=1.19.5")?.form == .equals)
        #expect(CondaMatchSpec.simpleSpec("numpy==1.19.5")?.versionRange == 5..<13)
        #expect(CondaMatchSpec.simpleSpec("numpy=1.19.5=py36_0") == nil)
        #expect(CondaMatchSpec.simpleSpec("conda-forge::numpy") == nil)
    }

    /// A plain pin's version spec is parsed from its text when asked for: `=` starts with the version, `==` is it.
    @Test func aPlainPinsVersionIsReadFromItsText() throws {
        let equals = try #require(CondaMatchSpec.simpleSpec("numpy=1.19"))
        let exact = try #require(CondaMatchSpec.simpleSpec("numpy==1.19"))
        let patch = try CondaVersion("1.19.5")
        #expect(try #require(equals.version).matches(patch))
        #expect(try !#require(exact.version).matches(patch))
        #expect(try #require(exact.version).matches(try CondaVersion("1.19")))
        for (text, dotted) in [
            ("1.19.5", true), ("0", true), ("1.", false), (".1", false), ("1..2", false), ("", false),
            ("1a", false), ("1.2.3.4", true),
        ] {
            #expect(Array(text.utf8).withUnsafeBufferPointer { CondaMatchSpec.isDottedNumber($0) } == dotted, "\(text)")
        }
        // Set later, the version is the one set.
        var changed = equals
        changed.version = try CondaVersionSpec("2.0")
        #expect(changed.version?.text == "2.0")
    }
}

/// The byte reading of a version spec's `=` forms gives what the character reading gives.
@Suite("Conda match specs: sanitize by bytes")
struct CondaSanitizeBytesTests {
    @Test func bytesAndCharactersAgree() {
        var random = SeededRandom(seed: 0x5A)
        func next(_ bound: Int) -> Int { random.below(bound) }
        let alphabet = Array("==,|*1.2a b>!~")
        var cases = ["", "=", "==", "===", "=1.2", "==1.2", "=1.2*", "=1.2,<2", "=1|2", "1.2", "=é", "=\u{301}1", "é="]
        for _ in 0..<20_000 {
            cases.append(String((0..<next(8)).map { _ in alphabet[next(alphabet.count)] }))
        }
        for text in cases {
            for hasBuild in [false, true] {
                #expect(
                    CondaMatchSpec.sanitize(text, hasBuild: hasBuild)
                        == CondaMatchSpec.sanitizeCharacters(text, hasBuild: hasBuild),
                    "\(text.debugDescription) build \(hasBuild)")
            }
        }
    }
}
