import Foundation
import Testing

@Suite("smsync version and env commands (built binary)")
struct VersionAndEnvCommandTests {
    @Test(arguments: [
        ("conda", "1.1dev1", "1.1a1", "<"),
        ("conda", "1.0", "1.0.0", "="),
        ("conda", "1.0.1g", "1.0.1a", ">"),
        ("pep440", "1.0.post1", "1.0", ">"),
        ("pep440", "v1.0", "1.0.0", "="),
    ])
    func compare(scheme: String, a: String, b: String, expected: String) async throws {
        let result = try await Binary.runAsync(["version", "compare", "--scheme", scheme, a, b])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == expected + "\n")
    }

    @Test func sortIsAscendingStableAndSkipsBlankLines() async throws {
        let input = "1.1\n\n1.1dev1\n  1.1a1  \n1.1.0\n1.1_\n1.1.dev1\n"
        let result = try await Binary.runAsync(["version", "sort", "--scheme", "conda"], stdin: input)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "1.1dev1\n1.1_\n1.1a1\n1.1.dev1\n1.1\n1.1.0\n")
        let pep = try await Binary.runAsync(
            ["version", "sort", "--scheme", "pep440"], stdin: "1.0\n1.0.0\n1.0rc1\nv1.0\n0.9\n")
        #expect(pep.stdout == "0.9\n1.0rc1\n1.0\n1.0.0\nv1.0\n")
    }

    @Test func sortNamesTheLineOfAnInvalidVersion() async throws {
        let result = try await Binary.runAsync(
            ["version", "sort", "--scheme", "pep440"], stdin: "1.0\n\nnot a version\n")
        #expect(result.status == 2)
        #expect(result.stderr.contains("line 3"))
        #expect(result.stdout.isEmpty)
    }

    @Test func satisfiesPrintsTrueOrFalse() async throws {
        let yes = try await Binary.runAsync(["version", "satisfies", "--scheme", "conda", ">=1.2,<2|3.*", "3.1"])
        #expect(yes.status == 0)
        #expect(yes.stdout == "true\n")
        let no = try await Binary.runAsync(["version", "satisfies", "--scheme", "pep440", ">1.0", "1.0.post1"])
        #expect(no.status == 0)
        #expect(no.stdout == "false\n")
        let bad = try await Binary.runAsync(["version", "satisfies", "--scheme", "pep440", ">=>1", "1.0"])
        #expect(bad.status == 2)
    }

    @Test func satisfiesReadsJSONLines() async throws {
        let input = """
            {"spec": ">=1.0", "version": "2.0b1", "prereleases": false}
            {"spec": ">=1.0", "version": "2.0b1"}
            {"spec": ">=1.0,<2", "version": "1.5", "prereleases": null}
            {"spec": "~=1", "version": "1.5"}
            not json

            """
        let result = try await Binary.runAsync(["version", "satisfies", "--scheme", "pep440", "--jsonl"], stdin: input)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 6)
        #expect(Array(lines.prefix(3)) == ["false", "true", "true"])
        #expect(lines[3].hasPrefix("error: "))
        #expect(lines[4].hasPrefix("error: "))
    }

    @Test func normalizePrintsCanonicalForms() async throws {
        let result = try await Binary.runAsync(
            ["version", "normalize", "--scheme", "pep440"], stdin: "1.0-5\nv1.0\n1.0c1\n1.0.0\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "1.0.post5\n1.0\n1.0rc1\n1.0.0\n")
    }

    @Test func badCommandLinesExitTwo() async throws {
        #expect(try await Binary.runAsync(["version", "compare", "--scheme", "nope", "1", "2"]).status == 2)
        #expect(try await Binary.runAsync(["version", "compare", "--scheme", "conda", "1"]).status == 2)
        #expect(try await Binary.runAsync(["no-such-command"]).status == 2)
        let help = try await Binary.runAsync(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("EXIT CODES"))
    }

    @Test func envParsePrintsTheContractJSON() async throws {
        let file = Binary.fixture("env/crlf.yml")
        let result = try await Binary.runAsync(["env", "parse", file.path])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["name"] as? String == "crlf")
        #expect(json["channels"] as? [String] == ["defaults"])
        #expect(json["prefix"] as? String == "/home/ec2-user/anaconda3/envs/crlf")
        let dependencies = try #require(json["dependencies"] as? [[String: Any]])
        #expect(dependencies.count == 3)
        let numpy = dependencies[0]
        #expect(numpy["manager"] as? String == "conda")
        #expect(numpy["raw"] as? String == "numpy=1.19.5=py36h2aa4a07_1")
        #expect(numpy["name"] as? String == "numpy")
        #expect(numpy["channel"] is NSNull)
        #expect(numpy["build"] as? String == "py36h2aa4a07_1")
        #expect(numpy["version"] as? String == "=1.19.5")
        #expect(numpy["line"] as? Int == 5)
        let sagemaker = dependencies[2]
        #expect(sagemaker["manager"] as? String == "pip")
        #expect(sagemaker["version"] as? String == "==2.48.1")
        #expect(sagemaker["line"] as? Int == 8)
    }

    @Test func envParseRejectsWithFileAndLine() async throws {
        let file = Binary.fixture("env/bad-duplicate-key.yml")
        let result = try await Binary.runAsync(["env", "parse", file.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("bad-duplicate-key.yml:4"))
    }

    @Test func envSetPrintsOrWritesAtomically() async throws {
        let source = Binary.fixture("env/crlf.yml")
        let original = try Data(contentsOf: source)
        let printed = try await Binary.runAsync([
            "env", "set", source.path, "--package", "numpy", "--version", "1.20.0",
        ])
        #expect(printed.status == 0, "\(printed.stderr)")
        let expected = String(decoding: original, as: UTF8.self)
            .replacingOccurrences(of: "numpy=1.19.5=py36h2aa4a07_1", with: "numpy=1.20.0")
        #expect(printed.stdout == expected)
        #expect(try Data(contentsOf: source) == original)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("env.yml")
        try original.write(to: copy)
        let written = try await Binary.runAsync(
            ["env", "set", copy.path, "--package", "sagemaker", "--manager", "pip", "--version", "2.59.2", "--write"])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.isEmpty)
        let after = String(decoding: try Data(contentsOf: copy), as: UTF8.self)
        #expect(
            after
                == String(decoding: original, as: UTF8.self).replacingOccurrences(
                    of: "sagemaker==2.48.1", with: "sagemaker==2.59.2"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(leftovers == ["env.yml"])
    }

    @Test(arguments: [
        ["--package", "absent", "--version", "1.0"],
        ["--package", "numpy", "--version", "1.0\n- x"],
        ["--package", "numpy", "--version", "not valid!"],
    ])
    func envSetRefusesBadRequests(_ arguments: [String]) async throws {
        let source = Binary.fixture("env/crlf.yml")
        let result = try await Binary.runAsync(["env", "set", source.path] + arguments)
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("error"))
    }

    @Test func envSetSaysWhenTheSpecAlreadyAdmitsTheVersion() async throws {
        let source = Binary.fixture("env/admits.yml")
        let original = try Data(contentsOf: source)
        let result = try await Binary.runAsync(["env", "set", source.path, "--package", "polars", "--version", "0.30"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == String(decoding: original, as: UTF8.self))
        #expect(result.stderr.contains("`polars>0.20` already admits 0.30; left as is"))
    }

    @Test(arguments: [
        ("occt", "7.8", "`occt *` is unpinned (any version)"),
        ("pydap", "3.5.5", "`pydap !=3.5.5` is a range that 3.5.5 does not fit"),
    ])
    func envSetRefusesWhatItCannotEditInOneLine(
        _ package: String, _ version: String, _ reason: String
    )
        async throws
    {
        let source = Binary.fixture("env/admits.yml")
        let result = try await Binary.runAsync(["env", "set", source.path, "--package", package, "--version", version])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains(reason), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func envSetWritesUTF16BackAsUTF16() async throws {
        let source = Binary.fixture("env/utf16le-bom.yml")
        let original = try Data(contentsOf: source)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("env.yml")
        try original.write(to: copy)
        let written = try await Binary.runAsync(
            ["env", "set", copy.path, "--package", "NumPy", "--version", "1.20.0", "--write"])
        #expect(written.status == 0, "\(written.stderr)")
        let after = try Data(contentsOf: copy)
        #expect(after.prefix(2) == Data([0xFF, 0xFE]))
        let text = try #require(String(data: after, encoding: .utf16LittleEndian))
        let before = try #require(String(data: original, encoding: .utf16LittleEndian))
        #expect(text == before.replacingOccurrences(of: "numpy=1.19.5", with: "numpy=1.20.0"))
    }
}

/// `version satisfies --jsonl` answers packaging 26.2's own test cases (made by
/// `scripts/pep440_satisfies_vectors.py`) as packaging does, `===` on the version text as written included.
@Suite("smsync version satisfies against packaging 26.2 (built binary)")
struct VersionSatisfiesVectorTests {
    @Test func everyVectorAgrees() async throws {
        let text = try String(
            contentsOf: Binary.fixture("versions/pep440-satisfies-packaging-26.2.jsonl"), encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        let expected = try lines.map { line -> String in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return (object?["expected"] as? Bool) == true ? "true" : "false"
        }
        let result = try await Binary.runAsync(
            ["version", "satisfies", "--scheme", "pep440", "--jsonl"], stdin: lines.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        let answers = result.stdout.split(separator: "\n").map(String.init)
        #expect(answers.count == lines.count)
        let wrong = zip(lines, zip(answers, expected)).filter { $0.1.0 != $0.1.1 }.map(\.0)
        #expect(wrong.isEmpty, "\(wrong.count) disagree: \(wrong.prefix(10))")
        #expect(lines.filter { $0.contains("===") }.count >= 25)
    }

    @Test(arguments: [("===1.0", "01.0", "false"), ("===1.0", "1.0.0", "false"), ("===lolwat", "LOLWAT", "true")])
    func arbitraryEqualityComparesTheTextAsWritten(spec: String, version: String, expected: String) async throws {
        let result = try await Binary.runAsync(["version", "satisfies", "--scheme", "pep440", spec, version])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == expected + "\n")
    }
}
