import Testing

@testable import SMSync

/// Data copied from pypa/packaging 26.2 `tests/test_requirements.py`.
private enum RequirementTables {
    static let names = ["package", "pAcKaGe", "Package", "foo-bar.quux_bAz", "installer", "android12"]
    static let extras: [[String]] = [[], ["a"], ["a", "b"], ["B", "CDEF123", "a"]]
    static let urlsAndSpecifiers: [(String?, String)] = [
        (nil, ""),
        ("https://example.com/packagename.zip", ""),
        ("ssh://user:pass%20word@example.com/packagename.zip", ""),
        ("https://example.com/name;v=1.1/?query=foo&bar=baz#blah", ""),
        ("git+ssh://git.example.com/MyProject", ""),
        ("git+ssh://git@github.com:pypa/packaging.git", ""),
        ("git+https://git.example.com/MyProject.git@master", ""),
        ("git+https://git.example.com/MyProject.git@v1.0", ""),
        ("git+https://git.example.com/MyProject.git@refs/pull/123/head", ""),
        ("gopher:/foo/com", ""),
        (nil, "==={ws}arbitrarystring"),
        (nil, "({ws}==={ws}arbitrarystring{ws})"),
        (nil, "=={ws}1.0"),
        (nil, "({ws}=={ws}1.0{ws})"),
        (nil, "=={ws}1.0-alpha"),
        (nil, "<={ws}1!3.0.0.rc2"),
        (nil, ">{ws}2.2{ws},{ws}<{ws}3"),
        (nil, "(>{ws}2.2{ws},{ws}<{ws}3)"),
    ]
    static let markers: [String?] = [
        nil,
        "python_version{ws}>={ws}'3.3'",
        "({ws}python_version{ws}>={ws}\"3.4\"{ws}){ws}and extra{ws}=={ws}\"oursql\"",
        "sys_platform{ws}!={ws}'linux' and(os_name{ws}=={ws}'linux' or python_version{ws}>={ws}'3.3'{ws}){ws}",
    ]
    static let whitespace = ["", " ", "\t"]

    static let validMarkers = [
        "python_implementation == ''", "platform_python_implementation == ''", "os.name == 'linux'",
        "os_name == 'linux'", "'8' in platform.version", "'8' not in platform.version",
    ]
    static let fileURLs = ["file:///absolute/path", "file://.", "file:.", "file:/."]

    /// (input, start of packaging's message)
    static let errors: [(String, String)] = [
        ("", "Expected package name at the start of dependency specifier"),
        ("==0.0", "Expected package name at the start of dependency specifier"),
        ("name[bar baz]", "Expected comma between extra names"),
        ("name[bar, baz,]", "Expected extra name after comma"),
        ("name (>= 1.0", "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier"),
        ("black (>=20.*) ; extra == 'format'", ".* suffix can only be used with `==` or `!=` operators"),
        ("name >= 1.0+local.version.label", "Local version label can only be used with `==` or `!=` operators"),
        ("name <= 1.0+local.version.label", "Local version label can only be used with `==` or `!=` operators"),
        ("name > 1.0+local.version.label", "Local version label can only be used with `==` or `!=` operators"),
        ("name < 1.0+local.version.label", "Local version label can only be used with `==` or `!=` operators"),
        ("name ~= 1.0+local.version.label", "Local version label can only be used with `==` or `!=` operators"),
        ("name[bar, baz >= 1.0", "Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras"),
        ("name[bar, baz", "Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras"),
        ("name @ https://example.com/; extra == 'example'", "Expected semicolon (after URL and whitespace) or end"),
        ("name; (extra == 'example'", "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker"),
        ("name @ ", "Expected URL after @"),
        ("name; invalid_name", "Expected a marker variable or quoted string"),
        ("name; '3.7' <= invalid_name", "Expected a marker variable or quoted string"),
        ("name; '3.7' notin python_version", "Expected marker operator, one of"),
        ("name; '3.6'inpython_version", "Expected marker operator, one of"),
        ("name; '3.7' not python_version", "Expected 'in' after 'not'"),
        ("name; '3.7' ~ python_version", "Expected marker operator, one of"),
        ("name==1.0.org1", "Expected comma (within version specifier), semicolon (after version specifier) or end"),
        ("name==", "Expected semicolon (after name with no version specifier) or end"),
        ("name 1.0", "Expected semicolon (after name with no version specifier) or end"),
        ("name >= 1.0 #", "Expected comma (within version specifier), semicolon (after version specifier) or end"),
        ("name >= 1.0 <= 2.0", "Expected comma (within version specifier), semicolon (after version specifier) or end"),
    ]

    static let strAndReprInputs: [String] = {
        var result: [String] = []
        for urlOrSpecifier in ["", " @ https://url ", "!=2.0", "==2.*"] {
            for extras in ["", "[a]", "[a,b]", "[a1,b1,b2]"] {
                for marker in ["", "; python_version == \"3.11\"", "; \"3.\" not in python_version"] {
                    result.append("name\(extras)\(urlOrSpecifier)\(marker)")
                }
            }
        }
        return result
    }()

    static let dependencies = [
        "packaging>20.1", "requests[security, tests]>=2.8.1,==2.8.*;python_version<\"2.7\"",
        "requests [security,tests] >= 2.8.1, == 2.8.* ; python_version < \"2.7\"",
        "importlib-metadata; python_version<\"3.8\"", "importlib-metadata; python_version<'3.8'",
        "appdirs>=1.4.4,<2; os_name==\"posix\" and extra==\"testing\"",
        "appdirs>=1.4.4,<2; os_name == 'posix' and extra == 'testing'", "scikit-learn==1.0.1", "scikit_learn==1.0.1",
        "requests", "requests>=2.0", "requests>=2.0,<3.0", "requests>=2.0; python_version >= \"3.8\"",
        "requests[security,socks]>=2.0", "my-pkg @ https://example.com",
        "Django>=1.4.2,!=1.5.0,!=1.5.1; python_version < \"3\"",
    ]
}

private func splice(_ line: String, _ range: Range<Int>?) -> String? {
    guard let range else { return nil }
    let bytes = Array(line.utf8)
    return String(decoding: bytes[range], as: UTF8.self)
}

@Suite("PEP 508 requirements (packaging test_requirements.py)")
struct PEP508RequirementTests {
    @Test(arguments: RequirementTables.names, RequirementTables.whitespace)
    func basicValidRequirementParsing(name: String, ws: String) throws {
        for extras in RequirementTables.extras {
            for (url, specifier) in RequirementTables.urlsAndSpecifiers {
                for marker in RequirementTables.markers {
                    var parts = [name]
                    if !extras.isEmpty { parts += ["[", extras.joined(separator: "\(ws),\(ws)"), "]"] }
                    if !specifier.isEmpty { parts.append(specifier.replacing("{ws}", with: ws)) }
                    if let url { parts += ["@", url] }
                    if let marker {
                        parts.append(url != nil ? " ;" : ";")
                        parts.append(marker.replacing("{ws}", with: ws))
                    }
                    let line = parts.joined(separator: ws)
                    let requirement = try PEP508Requirement.parse(line)
                    #expect(requirement.name == name, "\(line)")
                    #expect(Set(requirement.extras) == Set(extras), "\(line)")
                    #expect(requirement.url == url, "\(line)")
                    var expected = specifier.replacing("{ws}", with: "")
                    if expected.hasPrefix("(") && expected.hasSuffix(")") {
                        expected = String(expected.dropFirst().dropLast())
                    }
                    let parsedSpecifier = try requirement.specifier ?? PEP440SpecifierSet("")
                    #expect(try parsedSpecifier == PEP440SpecifierSet(expected), "\(line)")
                    #expect((requirement.marker != nil) == (marker != nil), "\(line)")
                    #expect(splice(line, requirement.specifierRange) == requirement.specifierText, "\(line)")
                    #expect(splice(line, requirement.markerRange) == requirement.marker, "\(line)")
                    #expect(splice(line, requirement.nameRange) == name, "\(line)")
                }
            }
        }
    }

    @Test(arguments: RequirementTables.validMarkers)
    func validMarker(marker: String) throws {
        #expect(try PEP508Requirement.parse("name; \(marker)").marker == marker)
    }

    @Test(arguments: RequirementTables.fileURLs)
    func fileURL(url: String) throws {
        #expect(try PEP508Requirement.parse("name @ \(url)").url == url)
    }

    @Test func emptyExtrasAndSpecifier() throws {
        let extras = try PEP508Requirement.parse("name[]")
        #expect(extras.name == "name")
        #expect(extras.extras.isEmpty)
        let empty = try PEP508Requirement.parse("name()")
        #expect(empty.name == "name")
        #expect(empty.specifierText == nil)
        #expect(empty.specifierInsertionOffset == 5)
    }

    @Test(arguments: RequirementTables.errors)
    func errors(line: String, message: String) {
        do {
            _ = try PEP508Requirement.parse(line)
            Issue.record("\(line) should not parse")
        } catch {
            #expect(error.reason.hasPrefix(message), "\(error.reason)")
            #expect(error.input == line)
        }
    }

    @Test(arguments: RequirementTables.strAndReprInputs + RequirementTables.dependencies)
    func validRequirements(line: String) throws {
        let requirement = try PEP508Requirement.parse(line)
        #expect(splice(line, requirement.specifierRange) == requirement.specifierText)
    }
}

@Suite("PEP 508 requirements (smsync rules)")
struct PEP508RequirementExtraTests {
    @Test(
        arguments: [
            ("numpy>=1.20", ">=1.20", 5..<11),
            ("numpy >= 1.20 , < 2 ; python_version > '3'", ">= 1.20 , < 2", 6..<19),
            ("numpy (>=1.0)", ">=1.0", 7..<12),
            ("numpy ( >=1.0 , <2 )", ">=1.0 , <2", 8..<18),
            ("numpy[extra1,extra2]==1.0", "==1.0", 20..<25),
            ("näme==1.0", nil, nil),
            ("numpy>=1.0,", ">=1.0,", 5..<11),
            ("  numpy==1.0  ", "==1.0", 7..<12),
            ("numpy===weird", "===weird", 5..<13),
        ] as [(String, String?, Range<Int>?)])
    func specifierRange(line: String, text: String?, range: Range<Int>?) throws {
        guard let text, let range else {
            #expect(throws: VersionError.self) { try PEP508Requirement.parse(line) }
            return
        }
        let requirement = try PEP508Requirement.parse(line)
        #expect(requirement.specifierText == text)
        #expect(requirement.specifierRange == range)
        #expect(splice(line, range) == text)
    }

    @Test func replacingTheSpecifierKeepsTheRestOfTheLine() throws {
        let line = "torch [cuda] >= 2.0, < 2.3 ; platform_system == 'Linux'"
        let requirement = try PEP508Requirement.parse(line)
        let range = try #require(requirement.specifierRange)
        var bytes = Array(line.utf8)
        bytes.replaceSubrange(range, with: Array("==2.3.1".utf8))
        let edited = String(decoding: bytes, as: UTF8.self)
        #expect(edited == "torch [cuda] ==2.3.1 ; platform_system == 'Linux'")
        let reparsed = try PEP508Requirement.parse(edited)
        #expect(reparsed.specifier?.description == "==2.3.1")
        #expect(reparsed.marker == "platform_system == 'Linux'")
        #expect(reparsed.extras == ["cuda"])
    }

    @Test func insertionOffsetAndURL() throws {
        let bare = try PEP508Requirement.parse("requests[socks] ; python_version > '3'")
        #expect(bare.specifierText == nil)
        #expect(bare.specifierInsertionOffset == 15)
        let url = try PEP508Requirement.parse("pkg @ https://example.com/pkg-1.0.whl ; os_name == 'nt'")
        #expect(url.url == "https://example.com/pkg-1.0.whl")
        #expect(url.marker == "os_name == 'nt'")
        #expect(url.specifierInsertionOffset == nil)
    }

    @Test(arguments: ["foo_", "Foo.Bar-baz_9", "a"])
    func namesPackagingAccepts(name: String) throws {
        #expect(try PEP508Requirement.parse(name).name == name)
    }

    @Test(arguments: [
        "-foo", "foo-", "foo.", "_foo", "numpy>=", "numpy==1.0==2", "name===a,b", "numpy>=1.0,,<2", "numpy; os_name",
    ])
    func malformed(line: String) {
        #expect(throws: VersionError.self) { try PEP508Requirement.parse(line) }
    }

    @Test(arguments: [
        ("Foo.Bar__baz", "foo-bar-baz"), ("Django", "django"), ("oslo.concurrency", "oslo-concurrency"),
        ("a-_.-b", "a-b"), ("requests", "requests"),
    ])
    func normalizedName(name: String, expected: String) {
        #expect(normalizedPythonPackageName(name) == expected)
    }
}
