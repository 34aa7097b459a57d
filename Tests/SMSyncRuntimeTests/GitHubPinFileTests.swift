import Foundation
import Testing

@testable import SMSyncRuntime

@Suite("Examples pin file")
struct GitHubPinFileTests {
    static let old = "2d519b52a3c4d5e6f708192a3b4c5d6e7f809123"
    static let new = "0123456789abcdef0123456789abcdef01234567"

    @Test(arguments: [
        ("\(old)\n", "\(new)\n", PinFile.Format.bare),
        ("\(old)", "\(new)", .bare),
        ("  \(old)  \r\n", "  \(new)  \r\n", .bare),
        ("# pinned examples commit\n\n\(old)\n", "# pinned examples commit\n\n\(new)\n", .bare),
        ("EXAMPLES_COMMIT=\(old)\n", "EXAMPLES_COMMIT=\(new)\n", .assignment(key: "EXAMPLES_COMMIT")),
        (
            "export EXAMPLES_COMMIT=\"\(old)\"\n", "export EXAMPLES_COMMIT=\"\(new)\"\n",
            .assignment(key: "EXAMPLES_COMMIT")
        ),
        ("EXAMPLES_COMMIT = '\(old)'", "EXAMPLES_COMMIT = '\(new)'", .assignment(key: "EXAMPLES_COMMIT")),
        ("commit: \(old)\n# keep me\n", "commit: \(new)\n# keep me\n", .assignment(key: "commit")),
        ("2d519b5\n", "\(new)\n", .bare),
    ])
    func rewritesOnlyTheCommit(text: String, expected: String, format: PinFile.Format) throws {
        let pin = try PinFile(text: text, path: "examples.pin")
        #expect(pin.format == format)
        #expect(pin.commit.map { text.contains($0) } == true)
        #expect(try pin.replacing(commit: Self.new) == expected)
        #expect(try PinFile(text: expected, path: "examples.pin").commit == Self.new)
    }

    @Test(arguments: ["", "\n", "# no commit yet\n", "# comment"])
    func anEmptyPinGetsTheCommitAppended(text: String) throws {
        let pin = try PinFile(text: text, path: "examples.pin")
        #expect(pin.format == .empty)
        #expect(pin.commit == nil)
        let rewritten = try pin.replacing(commit: Self.new)
        #expect(rewritten.hasPrefix(text))
        #expect(rewritten.hasSuffix("\(Self.new)\n"))
        #expect(try PinFile(text: rewritten, path: "examples.pin").commit == Self.new)
    }

    @Test(arguments: [
        "\(old)\n\(old)\n", "EXAMPLES_COMMIT=main\n", "hello world\n", "A=\(old)\nB=\(old)\n", "abc12\n",
        "KEY WITH SPACE=\(old)\n", "\(old)zz\n",
    ])
    func unclearFilesAreRefused(text: String) {
        #expect(throws: PinFileError.self) { try PinFile(text: text, path: "examples.pin") }
    }

    @Test(arguments: ["", "main", "abc12", "zz\(new)", "\(new)\n", String(repeating: "a", count: 65), "../x"])
    func badNewCommitsAreRefused(commit: String) throws {
        let pin = try PinFile(text: "\(Self.old)\n", path: "examples.pin")
        #expect(throws: PinFileError.self) { try pin.replacing(commit: commit) }
    }

    @Test func writeReplacesAtomicallyCreatesWhenMissingAndSkipsWhenSame() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-pin-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/examples.env"
        try Data("# examples\nEXAMPLES_COMMIT=\(Self.old)\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try PinFile.write(commit: Self.new, to: path))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "# examples\nEXAMPLES_COMMIT=\(Self.new)\n")
        #expect(try PinFile.write(commit: Self.new, to: path) == false)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["examples.env"], "no temp files left")

        let fresh = folder + "/new.pin"
        #expect(try PinFile.write(commit: Self.old, to: fresh))
        #expect(try String(contentsOfFile: fresh, encoding: .utf8) == "\(Self.old)\n")
        #expect(try PinFile.read(path: fresh).commit == Self.old)
    }

    @Test func anUnreadablePinNamesTheFile() throws {
        let error = #expect(throws: PinFileError.self) { try PinFile.read(path: "/nonexistent/smsync/examples.pin") }
        #expect(error?.description.hasPrefix("/nonexistent/smsync/examples.pin") == true)
    }
}
