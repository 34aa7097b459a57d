/// A unified diff (`diff -u` style) of two texts, for `apply --dry-run`.
public enum UnifiedDiff {
    /// The diff of `old` and `new` with `context` lines around each change; empty when they are equal.
    /// Lines are compared with their line endings, so a CRLF file shows as CRLF.
    public static func make(old: String, new: String, oldLabel: String, newLabel: String, context: Int = 3) -> String {
        ByteOutput.collectText { output in
            write(old: old, new: new, oldLabel: oldLabel, newLabel: newLabel, context: context, to: &output)
        }
    }

    /// Writes what `make` returns into `output`, working on the texts' UTF-8 bytes.
    public static func write(
        old: String, new: String, oldLabel: String, newLabel: String, context: Int = 3, to output: inout ByteOutput
    ) {
        guard old != new else { return }
        var old = old
        var new = new
        old.withUTF8 { a in
            new.withUTF8 { b in
                write(old: a, new: b, oldLabel: oldLabel, newLabel: newLabel, context: context, to: &output)
            }
        }
    }

    /// One line of the diff: ` ` (both), `-` (old only) or `+` (new only), and its bytes in its text.
    private struct Operation {
        var mark: UInt8
        var range: Range<Int>
    }

    private static func write(
        old a: UnsafeBufferPointer<UInt8>, new b: UnsafeBufferPointer<UInt8>, oldLabel: String, newLabel: String,
        context: Int, to output: inout ByteOutput
    ) {
        let aLines = lines(a)
        let bLines = lines(b)
        // Lines are equal as strings are: byte for byte, or (only possible beyond ASCII) canonically equivalent.
        func same(_ x: Range<Int>, _ y: Range<Int>) -> Bool {
            let left = UnsafeBufferPointer(rebasing: a[x])
            let right = UnsafeBufferPointer(rebasing: b[y])
            if left.elementsEqual(right) { return true }
            guard left.contains(where: { $0 >= 0x80 }) || right.contains(where: { $0 >= 0x80 }) else { return false }
            return String(decoding: left, as: UTF8.self) == String(decoding: right, as: UTF8.self)
        }
        // Edits keep the number of lines; otherwise fall back to replacing the differing middle.
        var operations: [Operation] = []
        operations.reserveCapacity(aLines.count + 8)
        let (space, minus, plus) = (UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "+"))
        // Which text each operation's range is in: `+` lines are in the new text, the others in the old one.
        if aLines.count == bLines.count {
            for index in aLines.indices {
                if same(aLines[index], bLines[index]) {
                    operations.append(Operation(mark: space, range: aLines[index]))
                } else {
                    operations.append(Operation(mark: minus, range: aLines[index]))
                    operations.append(Operation(mark: plus, range: bLines[index]))
                }
            }
        } else {
            var prefix = 0
            while prefix < aLines.count, prefix < bLines.count, same(aLines[prefix], bLines[prefix]) { prefix += 1 }
            var suffix = 0
            while suffix < aLines.count - prefix, suffix < bLines.count - prefix,
                same(aLines[aLines.count - 1 - suffix], bLines[bLines.count - 1 - suffix])
            {
                suffix += 1
            }
            for line in aLines[..<prefix] { operations.append(Operation(mark: space, range: line)) }
            for line in aLines[prefix..<(aLines.count - suffix)] {
                operations.append(Operation(mark: minus, range: line))
            }
            for line in bLines[prefix..<(bLines.count - suffix)] {
                operations.append(Operation(mark: plus, range: line))
            }
            for line in aLines[(aLines.count - suffix)...] { operations.append(Operation(mark: space, range: line)) }
        }
        output.append("--- ")
        output.append(oldLabel)
        output.append("\n+++ ")
        output.append(newLabel)
        output.append(UInt8(ascii: "\n"))
        // Old and new line numbers at `counted`, advanced as hunks are written.
        var counted = 0
        var oldLine = 1
        var newLine = 1
        var index = 0
        while index < operations.count {
            guard operations[index].mark != space else {
                index += 1
                continue
            }
            // A hunk: from `context` lines before the first change to `context` lines after the last change
            // that is within 2 * context of the next.
            let start = max(0, index - context)
            var end = index
            var scan = index
            while scan < operations.count {
                if operations[scan].mark != space {
                    end = scan
                } else if scan - end > 2 * context {
                    break
                }
                scan += 1
            }
            let stop = min(operations.count, end + context + 1)
            while counted < start {
                if operations[counted].mark != plus { oldLine += 1 }
                if operations[counted].mark != minus { newLine += 1 }
                counted += 1
            }
            var oldCount = 0
            var newCount = 0
            for operation in operations[start..<stop] {
                if operation.mark != plus { oldCount += 1 }
                if operation.mark != minus { newCount += 1 }
            }
            output.append("@@ -")
            output.append(oldLine)
            output.append(UInt8(ascii: ","))
            output.append(oldCount)
            output.append(" +")
            output.append(newLine)
            output.append(UInt8(ascii: ","))
            output.append(newCount)
            output.append(" @@\n")
            for operation in operations[start..<stop] {
                let text = operation.mark == plus ? b : a
                output.append(operation.mark)
                output.append(UnsafeBufferPointer(rebasing: text[operation.range]))
                // Only a last line without a terminator gets the marker; a CRLF line ends in `\n` like any other.
                if text[operation.range.upperBound - 1] != UInt8(ascii: "\n") {
                    output.append("\n\\ No newline at end of file\n")
                }
            }
            index = stop
        }
    }

    /// The byte ranges of the lines, each with its terminator (`\n`, so `\r\n` too); a last line without one
    /// stays without.
    static func lines(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                result.append(start..<(index + 1))
                start = index + 1
            }
            index += 1
        }
        if start < bytes.count { result.append(start..<bytes.count) }
        return result
    }

    /// Lines with their terminators (`\n` or `\r\n`); a last line without one stays without.
    static func lines(_ text: String) -> [String] {
        var text = text
        return text.withUTF8 { bytes in
            lines(bytes).map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
        }
    }
}
