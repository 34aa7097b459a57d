import Foundation
import Testing

@testable import SMSync

/// `apply --dry-run`'s unified diff, built on bytes, against the same algorithm written on Swift characters
/// (the reference below): the same text for every pair of texts.
@Suite("Unified diff")
struct UnifiedDiffTests {
    @Test func aSmallEditReadsAsDiffWouldWriteIt() {
        let old = "name: x\ndependencies:\n  - numpy=1.19.5\n  - pandas=1.1.5\n"
        let new = "name: x\ndependencies:\n  - numpy=1.20.0\n  - pandas=1.1.5\n"
        let diff = UnifiedDiff.make(old: old, new: new, oldLabel: "a/env.yml", newLabel: "b/env.yml")
        #expect(
            diff
                == "--- a/env.yml\n+++ b/env.yml\n@@ -1,4 +1,4 @@\n name: x\n dependencies:\n-  - numpy=1.19.5\n"
                + "+  - numpy=1.20.0\n   - pandas=1.1.5\n")
        #expect(UnifiedDiff.make(old: old, new: old, oldLabel: "a", newLabel: "b") == "")
    }

    /// A CRLF file reads as GNU `diff -u` writes it: each line with its `\r\n`, and the marker only for a last
    /// line without a terminator.
    @Test func crlfLinesReadAsGNUDiffWritesThem() throws {
        let old = "name: x\r\ndependencies:\r\n  - numpy=1.19.5\r\n  - pip\r\n  - pandas=1.1.5"
        let new = "name: x\r\ndependencies:\r\n  - numpy=1.20.0\r\n  - pip\r\n  - pandas=1.2.0"
        let diff = UnifiedDiff.make(old: old, new: new, oldLabel: "a/env.yml", newLabel: "b/env.yml")
        #expect(diff.components(separatedBy: "No newline").count == 3, "\(diff.debugDescription)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(old.utf8).write(to: folder.appendingPathComponent("old"))
        try Data(new.utf8).write(to: folder.appendingPathComponent("new"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["diff", "-u", "--label", "a/env.yml", "--label", "b/env.yml", "old", "new"]
        process.currentDirectoryURL = folder
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(diff == String(decoding: data, as: UTF8.self), "\(diff.debugDescription)")
    }

    @Test func agreesWithTheCharacterReference() {
        var random = SplitMix(seed: 2024)
        for round in 0..<300 {
            let (old, new) = Self.pair(&random)
            let context = random.pick([0, 1, 3, 3, 3, 5])
            let expected = ReferenceUnifiedDiff.make(
                old: old, new: new, oldLabel: "a/f\(round)", newLabel: "b/f\(round)", context: context)
            let actual = UnifiedDiff.make(
                old: old, new: new, oldLabel: "a/f\(round)", newLabel: "b/f\(round)", context: context)
            #expect(actual == expected, "round \(round): \(old.debugDescription) → \(new.debugDescription)")
            let streamed = ByteOutput.collect { output in
                UnifiedDiff.write(
                    old: old, new: new, oldLabel: "a/f\(round)", newLabel: "b/f\(round)", context: context,
                    to: &output)
            }
            #expect(streamed == Array(expected.utf8))
        }
    }

    /// Two texts: lines with LF or CRLF ends (or none at the end), some changed, some added or removed, some
    /// spelled differently but canonically equal (`é` precomposed and decomposed).
    static func pair(_ random: inout SplitMix) -> (String, String) {
        let words = ["numpy=1.19.5", "pandas", "  - scipy 1.5", "é", "e\u{301}", "# note", "", "pip:", "x"]
        var old: [String] = []
        for _ in 0..<random.below(40) {
            old.append(random.pick(words) + random.pick(["\n", "\n", "\r\n"]))
        }
        if !old.isEmpty, random.chance(20) { old[old.count - 1] = String(old[old.count - 1].dropLast()) }
        var new = old
        for _ in 0..<random.below(5) where !new.isEmpty {
            let index = random.below(new.count)
            switch random.below(6) {
            case 0: new.insert(random.pick(words) + "\n", at: index)
            case 1: new.remove(at: index)
            case 2: new[index] = new[index].replacingOccurrences(of: "é", with: "e\u{301}")
            default: new[index] = random.pick(words) + random.pick(["\n", "\r\n", ""])
            }
        }
        return (old.joined(), new.joined())
    }
}

/// The unified diff as it was first written, on Swift characters: lines end at a `\n` or `\r\n` character,
/// lines compare as strings, and a line counts as ending with a newline when it `hasSuffix("\n")`.
enum ReferenceUnifiedDiff {
    static func make(old: String, new: String, oldLabel: String, newLabel: String, context: Int) -> String {
        guard old != new else { return "" }
        let a = lines(old)
        let b = lines(new)
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            suffix += 1
        }
        var operations: [(Character, String)] = []
        if a.count == b.count {
            for index in 0..<a.count {
                if a[index] == b[index] {
                    operations.append((" ", a[index]))
                } else {
                    operations.append(("-", a[index]))
                    operations.append(("+", b[index]))
                }
            }
        } else {
            for line in a[..<prefix] { operations.append((" ", line)) }
            for line in a[prefix..<(a.count - suffix)] { operations.append(("-", line)) }
            for line in b[prefix..<(b.count - suffix)] { operations.append(("+", line)) }
            for line in a[(a.count - suffix)...] { operations.append((" ", line)) }
        }
        var out = "--- \(oldLabel)\n+++ \(newLabel)\n"
        var index = 0
        while index < operations.count {
            guard operations[index].0 != " " else {
                index += 1
                continue
            }
            let start = max(0, index - context)
            var end = index
            var scan = index
            while scan < operations.count {
                if operations[scan].0 != " " {
                    end = scan
                } else if scan - end > 2 * context {
                    break
                }
                scan += 1
            }
            let stop = min(operations.count, end + context + 1)
            let oldStart = operations[..<start].filter { $0.0 != "+" }.count + 1
            let newStart = operations[..<start].filter { $0.0 != "-" }.count + 1
            let hunk = operations[start..<stop]
            let oldCount = hunk.filter { $0.0 != "+" }.count
            let newCount = hunk.filter { $0.0 != "-" }.count
            out += "@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@\n"
            for (mark, line) in hunk {
                out += String(mark) + line
                if line.utf8.last != UInt8(ascii: "\n") { out += "\n\\ No newline at end of file\n" }
            }
            index = stop
        }
        return out
    }

    static func lines(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == "\n" || character == "\r\n" {
                result.append(current)
                current = ""
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }
}
