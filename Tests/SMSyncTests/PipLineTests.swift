import Testing

@testable import SMSync

@Suite("pip requirement lines")
struct PipLineTests {
    @Test(arguments: [
        ("-r requirements.txt", "pip option -r"), ("--requirement=base.txt", "pip option --requirement"),
        ("-c constraints.txt", "pip option -c"), ("-e .", "pip option -e"),
        ("--editable ./src/pkg", "pip option --editable"),
        ("--index-url https://download.pytorch.org/whl/cu121", "pip option --index-url"),
        ("--extra-index-url https://x", "pip option --extra-index-url"), ("-f ./wheels", "pip option -f"),
        ("--find-links=https://x/", "pip option --find-links"), ("--pre", "pip option --pre"),
        ("--trusted-host pypi.org", "pip option --trusted-host"),
        ("git+https://github.com/org/repo.git@v1#egg=repo", "VCS URL"), ("hg+https://hg.example/x", "VCS URL"),
        ("svn+svn://svn.example/x", "VCS URL"), ("bzr+lp:project", "VCS URL"),
        ("https://example.com/pkg-1.0-py3-none-any.whl", "URL"), ("file:///tmp/pkg", "URL"),
        ("file:../pkg", "URL"), ("./pkg", "local path"), ("../pkg[extra]", "local path"),
        ("/abs/path/pkg", "local path"), ("~/src/pkg", "local path"), ("sub/dir", "local path"),
        ("C:\\src\\pkg", "local path"), ("pkg-1.0-py3-none-any.whl", "archive file"),
        ("pkg-1.0.tar.gz", "archive file"), ("", "blank line or comment"), ("   ", "blank line or comment"),
        ("# just a comment", "blank line or comment"), ("  # indented comment", "blank line or comment"),
    ])
    func otherLines(line: String, reason: String) throws {
        #expect(try PipLine.parse(line) == .other(reason: reason))
    }

    @Test(
        arguments: [
            ("numpy", "numpy", nil), ("numpy==1.26.4", "numpy", "==1.26.4"),
            ("numpy==1.26.4 # pinned for sagemaker", "numpy", "==1.26.4"),
            ("numpy==1.26.4\t# tab comment", "numpy", "==1.26.4"),
            ("torch>=2.0,<2.4 --hash=sha256:abc", "torch", ">=2.0,<2.4"),
            ("requests[socks] >= 2.31 ; python_version >= '3.8'", "requests", ">= 2.31"),
            ("pkg @ https://example.com/pkg-1.0.whl", "pkg", nil),
            ("pkg @ git+https://github.com/org/pkg.git", "pkg", nil), ("Foo.Bar_baz~=1.2", "Foo.Bar_baz", "~=1.2"),
            ("scikit-learn (>=1.3)", "scikit-learn", ">=1.3"), ("numpy==1.0 ", "numpy", "==1.0"),
        ] as [(String, String, String?)])
    func requirementLines(line: String, name: String, specifier: String?) throws {
        guard case .requirement(let requirement) = try PipLine.parse(line) else {
            Issue.record("\(line) should be a requirement")
            return
        }
        #expect(requirement.name == name)
        #expect(requirement.specifierText == specifier)
        if let range = requirement.specifierRange {
            #expect(String(decoding: Array(line.utf8)[range], as: UTF8.self) == specifier)
        }
    }

    @Test func hashInsideATokenIsNotAComment() throws {
        guard case .requirement(let requirement) = try PipLine.parse("pkg @ https://example.com/p.zip#sha256=abc")
        else {
            Issue.record("expected a requirement")
            return
        }
        #expect(requirement.url == "https://example.com/p.zip#sha256=abc")
    }

    @Test(arguments: [
        "numpy>=", "numpy==1.0==2", "numpy >= 1.0 <= 2.0", "numpy[extra", "numpy ; os_name", "numpy>=1.0.*",
    ])
    func malformedRequirements(line: String) {
        #expect(throws: VersionError.self) { try PipLine.parse(line) }
    }
}

/// The one-pass reading of `name==version` gives exactly what the full parse gives, and declines everything the
/// full parse treats differently.
@Suite("pip lines: the name==version fast path")
struct PipLineFastPathTests {
    static let fixed = [
        "numpy==1.26.4", "scikit-learn==1.5.0", "ruamel.yaml==0.18.6", "typing_extensions==4.12.2", "a==1",
        "torch==2.3.0+cu121", "pkg==1.0.*", "pkg==1.0.zip", "pkg==1.0.whl", "pkg.whl==1.0", "pkg==1.0rc1",
        "pkg==1.0.post1", "pkg==1.0.dev0", "pkg==v1.0", "pkg==1!2.0", "pkg==1.0a", "pkg==1..0", "pkg==.1", "pkg==1.",
        "pkg==", "pkg===1.0", "pkg== 1.0", "pkg ==1.0", "pkg==1.0 ", "pkg==1.0;python_version>'3'", "pkg[x]==1.0",
        "-pkg==1.0", "pkg-==1.0", "_pkg==1.0", "pkg_==1.0", ".pkg==1.0", "pkg==1.0#c", "pkg==1.0 # c", "Pkg==1.0",
        "pkg==1.0abc", "pkg==1.0-1", "pkg==1.0_1", "pkg==01.00", "pkg==1.0.0.0.0.0", "pkg>=1.0", "pkg~=1.0",
        "pkg==1.0pre1", "pkg==1.0c1", "pkg==1.0r1", "pkg==1.0post", "pkg==1.0.dev", "pkg==1.0rev3", "pkg==1e5",
        "git==1.0", "file==1.0", "pkg==1.0@x", "pkg/x==1.0", "pkg@https://x==1.0", "pkg==1.0 --hash=sha256:00",
    ]

    static func generated(_ count: Int) -> [String] {
        var random = SeededRandom(seed: 0x5EED)
        func next(_ bound: Int) -> Int { random.below(bound) }
        let alphabet = Array("abz019.-_=+*!<>~ ;#[]@/Ax")
        let suffixes = ["", "", "rc1", "a2", "b", ".post1", "post2", ".dev3", "dev", "c1", "pre2", "r1", "alpha1", "x"]
        let wellFormed = (0..<count).map { _ in
            ["numpy", "a", "x.y", "a-b", "a_b", "9p"][next(6)] + "=="
                + (0..<(1 + next(4))).map { _ in
                    String(next(30))
                }.joined(separator: ".") + suffixes[next(suffixes.count)]
        }
        return wellFormed
            + (0..<count).map { _ in
                var text = ["pkg", "a", "x.y", "a-b", "a_b", "9p"][next(6)]
                text += ["==", "==", "==", "=", "===", ">="][next(6)]
                for _ in 0..<next(9) { text.append(alphabet[next(alphabet.count)]) }
                return text
            }
    }

    @Test func theFastPathAgreesWithTheFullParse() {
        var taken = 0
        for line in Self.fixed + Self.generated(20_000) {
            let full: Result<PipLine, VersionError> = Result { () throws(VersionError) in try PipLine.parseFully(line) }
            guard let fast = PipLine.simpleRequirement(line) else { continue }
            taken += 1
            guard case .success(.requirement(let expected)) = full else {
                Issue.record("\(line.debugDescription): the fast path read it, the full parse says \(full)")
                continue
            }
            #expect(fast == expected, "\(line.debugDescription)")
            #expect(fast.nameRange == expected.nameRange, "\(line.debugDescription)")
            #expect(fast.specifierInsertionOffset == expected.specifierInsertionOffset, "\(line.debugDescription)")
            #expect(fast.markerRange == expected.markerRange, "\(line.debugDescription)")
            #expect(fast.specifier != nil && fast.specifier == expected.specifier, "\(line.debugDescription)")
            #expect(fast.specifier?.description == expected.specifier?.description, "\(line.debugDescription)")
        }
        // The common forms do take the fast path.
        #expect(taken > 1_000)
        for line in ["numpy==1.26.4", "scikit-learn==1.5.0", "ruamel.yaml==0.18.6", "pkg==1.0rc1"] {
            #expect(PipLine.simpleRequirement(line) != nil, "\(line)")
        }
    }
}
