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
