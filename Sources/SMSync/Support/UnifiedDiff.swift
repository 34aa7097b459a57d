/// A unified diff (`diff -u` style) of two texts, for `apply --dry-run`.
public enum UnifiedDiff {
    /// The diff of `old` and `new` with `context` lines around each change; empty when they are equal.
    /// Lines are compared with their line endings, so a CRLF file shows as CRLF.
    public static func make(old: String, new: String, oldLabel: String, newLabel: String, context: Int = 3) -> String {
        guard old != new else { return "" }
        let a = lines(old)
        let b = lines(new)
        // Edits keep the number of lines; otherwise fall back to replacing the differing middle.
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
            // A hunk: from `context` lines before the first change to `context` lines after the last change
            // that is within 2 * context of the next.
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
                if !line.hasSuffix("\n") { out += "\n\\ No newline at end of file\n" }
            }
            index = stop
        }
        return out
    }

    /// Lines with their terminators (`\n` or `\r\n`); a last line without one stays without.
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
