/// Reads the common shape of an environment file straight from its UTF-8 bytes, without building a YAML node
/// tree: top-level `name`, `prefix`, `channels` and `dependencies`, the lists as block sequences of one-line plain,
/// single- or double-quoted scalars, `- pip:` sub-lists, comments, blank lines, LF or CRLF line ends.
///
/// The result is the same `EnvironmentFile` the YAML reader builds (entries, lines, byte ranges, node starts,
/// notes). Anything outside that shape returns nil and the file goes through the YAML reader, which applies the
/// conformance rules, the alias budget and its error messages: non-ASCII or control bytes, tabs, a lone CR,
/// flow collections, anchors, aliases, tags, block scalars, scalars over several lines, escapes in quotes,
/// document markers and directives, other top-level keys, a key seen twice, other indentation, empty or null
/// entries, and entries that the spec readers refuse.
enum EnvironmentFastReader {
    private static let space: UInt8 = 0x20
    private static let hash = UInt8(ascii: "#")
    private static let colon = UInt8(ascii: ":")
    private static let dash = UInt8(ascii: "-")
    private static let singleQuote = UInt8(ascii: "'")
    private static let doubleQuote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    /// One line of the file: its first byte, the end of its text (before `\r\n` or `\n`), its first non-space
    /// byte, and its 1-based number.
    private struct Line {
        var start: Int
        var end: Int
        var content: Int
        var number: Int
        var indent: Int { content - start }
    }

    /// A one-line scalar as the YAML reader would see it.
    private struct Scalar {
        var quoting: ScalarQuoting
        /// Where the node starts (the quote, for a quoted scalar).
        var nodeStart: Int
        /// The text of the value (inside any quotes).
        var range: Range<Int>
    }

    /// What follows `- ` in a list: a scalar entry, or the header of a `pip:` sub-list.
    private enum Item {
        case scalar(Scalar)
        case pipHeader(keyColumn: Int)
    }

    private struct Decline: Error {}

    /// The file read from `text`, or nil when it is outside the shape this reader takes.
    static func read(text: String, path: String) -> EnvironmentFile? {
        let bytes = Array(text.utf8)
        guard let lineStarts = lineStarts(bytes) else { return nil }
        var reader = Reader(bytes: bytes, lineStarts: lineStarts, path: path)
        do {
            try reader.readDocument()
        } catch {
            return nil
        }
        // The conda entries are moved out of the reader, not copied, and the pip entries appended to them.
        var dependencies: [EnvironmentDependency] = []
        swap(&dependencies, &reader.conda)
        dependencies.append(contentsOf: reader.pip)
        return EnvironmentFile(
            path: path, text: text, encoding: .utf8, source: SourceText(bytes: bytes, lineStarts: lineStarts),
            name: reader.name, channels: reader.channels, prefix: reader.prefix, variables: [], otherKeys: [],
            dependencies: dependencies, notes: reader.notes, nodeStarts: reader.starts)
    }

    /// The start of every line, as `SourceText` counts them; nil when a byte is outside printable ASCII, a line
    /// break and a CR that ends a line before its LF.
    private static func lineStarts(_ bytes: [UInt8]) -> [Int]? {
        var starts = [0]
        starts.reserveCapacity(bytes.count / 16 + 1)
        let count = bytes.count
        let ok = bytes.withUnsafeBufferPointer { buffer -> Bool in
            var index = 0
            while index < count {
                let byte = buffer[index]
                if byte >= 0x20 && byte < 0x7F {
                    index += 1
                    continue
                }
                if byte == 0x0A {
                    index += 1
                    starts.append(index)
                    continue
                }
                if byte == 0x0D, index + 1 < count, buffer[index + 1] == 0x0A {
                    index += 2
                    starts.append(index)
                    continue
                }
                return false
            }
            return true
        }
        return ok ? starts : nil
    }

    private struct Reader {
        let bytes: [UInt8]
        let lineStarts: [Int]
        let path: String
        /// The next line to look at (0-based).
        var next = 0

        var name: String?
        var prefix: String?
        var channels: [String] = []
        var conda: [EnvironmentDependency] = []
        var pip: [EnvironmentDependency] = []
        var notes: [String] = []
        var starts = EnvironmentFile.NodeStarts()

        init(bytes: [UInt8], lineStarts: [Int], path: String) {
            self.bytes = bytes
            self.lineStarts = lineStarts
            self.path = path
        }

        // MARK: Lines

        /// The next line that holds more than spaces and a comment, without consuming it.
        mutating func peekContent() -> Line? {
            while next < lineStarts.count {
                let start = lineStarts[next]
                var end = next + 1 < lineStarts.count ? lineStarts[next + 1] : bytes.count
                if end > start, bytes[end - 1] == 0x0A { end -= 1 }
                if end > start, bytes[end - 1] == 0x0D { end -= 1 }
                var content = start
                while content < end, bytes[content] == space { content += 1 }
                if content == end || bytes[content] == hash {
                    next += 1
                    continue
                }
                return Line(start: start, end: end, content: content, number: next + 1)
            }
            return nil
        }

        /// Whether the line is an entry of a block sequence: `-` then a space.
        func isEntry(_ line: Line) -> Bool {
            bytes[line.content] == dash && line.content + 1 < line.end && bytes[line.content + 1] == space
        }

        /// Whether nothing but spaces and maybe a comment (after a space) lies in `from..<line.end`.
        func isBlankOrComment(from: Int, to end: Int) -> Bool {
            var index = from
            while index < end, bytes[index] == space { index += 1 }
            return index == end || (bytes[index] == hash && index > from)
        }

        // MARK: Document

        mutating func readDocument() throws(Decline) {
            var seen: Set<String> = []
            var sawKey = false
            while let line = peekContent() {
                guard line.indent == 0, !isEntry(line) else { throw Decline() }
                let (key, valueStart) = try topLevelKey(line)
                guard seen.insert(key).inserted else { throw Decline() }
                sawKey = true
                next += 1
                switch key {
                case "name", "prefix":
                    let value = try inlineScalar(line, from: valueStart)
                    let text = string(value.range)
                    let isNull = value.quoting == .plain && ["~", "null", "Null", "NULL"].contains(text)
                    if key == "name" {
                        name = isNull ? nil : text
                        starts.name = value.nodeStart
                    } else {
                        prefix = isNull ? nil : text
                        starts.prefix = value.nodeStart
                    }
                case "channels":
                    guard isBlankOrComment(from: valueStart, to: line.end) else { throw Decline() }
                    try readChannels()
                case "dependencies":
                    guard isBlankOrComment(from: valueStart, to: line.end) else { throw Decline() }
                    try readDependencies()
                default:
                    throw Decline()
                }
            }
            guard sawKey else { throw Decline() }
        }

        /// `name:` at the start of a line: the key and where its value may start. Only plain lower-case keys.
        func topLevelKey(_ line: Line) throws(Decline) -> (String, Int) {
            var index = line.content
            while index < line.end, bytes[index] >= UInt8(ascii: "a"), bytes[index] <= UInt8(ascii: "z") {
                index += 1
            }
            guard index > line.content, index < line.end, bytes[index] == colon else { throw Decline() }
            let after = index + 1
            guard after == line.end || bytes[after] == space else { throw Decline() }
            return (string(line.content..<index), after)
        }

        /// The value on the key's own line (`name: env`), which must be the line's last token.
        func inlineScalar(_ line: Line, from: Int) throws(Decline) -> Scalar {
            var start = from
            while start < line.end, bytes[start] == space { start += 1 }
            guard start < line.end, bytes[start] != hash else { throw Decline() }
            guard case .scalar(let scalar) = try item(line, at: start, allowPipHeader: false) else {
                throw Decline()
            }
            return scalar
        }

        /// The entries of a block sequence that starts on the next content line (or none: the value is null).
        /// Returns the column of its dashes, or nil when the value is null.
        mutating func sequenceColumn() throws(Decline) -> Int? {
            guard let line = peekContent() else { return nil }
            if isEntry(line) { return line.indent }
            guard line.indent == 0 else { throw Decline() }
            return nil
        }

        /// After an entry of a sequence at `column`: true when the next content line is another entry of it, false
        /// when the sequence has ended at a top-level key (or the end of the file).
        mutating func continues(column: Int) throws(Decline) -> Bool {
            guard let line = peekContent() else { return false }
            if line.indent == column, isEntry(line) { return true }
            guard line.indent == 0, !isEntry(line) else { throw Decline() }
            return false
        }

        mutating func readChannels() throws(Decline) {
            guard let column = try sequenceColumn() else { return }
            repeat {
                guard let line = peekContent() else { throw Decline() }
                next += 1
                guard case .scalar(let scalar) = try entry(line, allowPipHeader: false) else { throw Decline() }
                let text = string(scalar.range)
                guard !(scalar.quoting == .plain && ["~", "null", "Null", "NULL"].contains(text)) else {
                    throw Decline()
                }
                channels.append(text)
                starts.channels.append(scalar.nodeStart)
            } while try continues(column: column)
        }

        mutating func readDependencies() throws(Decline) {
            guard let column = try sequenceColumn() else { return }
            repeat {
                guard let line = peekContent() else { throw Decline() }
                next += 1
                switch try entry(line, allowPipHeader: true) {
                case .scalar(let scalar):
                    try condaEntry(scalar, line: line)
                case .pipHeader(let keyColumn):
                    try readPip(keyColumn: keyColumn, outerColumn: column)
                }
            } while try continues(column: column)
        }

        /// The entries under `- pip:`: a sequence at or right of the `pip` key's column.
        mutating func readPip(keyColumn: Int, outerColumn: Int) throws(Decline) {
            guard let first = peekContent(), isEntry(first), first.indent >= keyColumn else { throw Decline() }
            let column = first.indent
            while let line = peekContent(), line.indent == column, isEntry(line) {
                next += 1
                guard case .scalar(let scalar) = try entry(line, allowPipHeader: false) else { throw Decline() }
                try pipEntry(scalar, line: line)
            }
            // What follows must be the next entry of `dependencies`, a top-level key or the end.
            if let line = peekContent(), !(line.indent == outerColumn && isEntry(line)), line.indent != 0 {
                throw Decline()
            }
        }

        /// The entry of a `- value` line.
        func entry(_ line: Line, allowPipHeader: Bool) throws(Decline) -> Item {
            var start = line.content + 1
            while start < line.end, bytes[start] == space { start += 1 }
            guard start < line.end, bytes[start] != hash else { throw Decline() }
            return try item(line, at: start, allowPipHeader: allowPipHeader)
        }

        /// A scalar starting at `start` that ends the line (a comment may follow), or a `pip:` header.
        func item(_ line: Line, at start: Int, allowPipHeader: Bool) throws(Decline) -> Item {
            let first = bytes[start]
            if first == singleQuote || first == doubleQuote {
                var end = start + 1
                while end < line.end, bytes[end] != first {
                    if bytes[end] == backslash, first == doubleQuote { throw Decline() }
                    end += 1
                }
                guard end < line.end, end > start + 1 else { throw Decline() }
                // After the closing quote: nothing, or spaces and maybe a comment.
                let after = end + 1
                guard after == line.end || (bytes[after] == space && isBlankOrComment(from: after, to: line.end))
                else { throw Decline() }
                return .scalar(
                    Scalar(
                        quoting: first == singleQuote ? .single : .double, nodeStart: start, range: (start + 1)..<end))
            }
            guard Self.canStartPlain(first, next: start + 1 < line.end ? bytes[start + 1] : nil) else {
                throw Decline()
            }
            var index = start
            var end = start
            while index < line.end {
                let byte = bytes[index]
                if byte == colon, index + 1 == line.end || bytes[index + 1] == space {
                    // `key:`: only `pip:` alone, as an entry of `dependencies`.
                    guard allowPipHeader, index == start + 3, string(start..<index) == "pip",
                        isBlankOrComment(from: index + 1, to: line.end)
                    else { throw Decline() }
                    return .pipHeader(keyColumn: start - line.start)
                }
                if byte == hash, bytes[index - 1] == space { break }
                if byte != space { end = index + 1 }
                index += 1
            }
            return .scalar(Scalar(quoting: .plain, nodeStart: start, range: start..<end))
        }

        /// What may start a plain scalar here: not an indicator (`-` only before a non-space).
        static func canStartPlain(_ byte: UInt8, next: UInt8?) -> Bool {
            switch byte {
            case UInt8(ascii: "-"): return next != nil && next != 0x20
            case UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"),
                UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "#"), UInt8(ascii: "&"), UInt8(ascii: "*"),
                UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "'"), UInt8(ascii: "\""),
                UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`"):
                return false
            default: return true
            }
        }

        // MARK: Entries

        func string(_ range: Range<Int>) -> String {
            bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
        }

        func location(_ scalar: Scalar) -> ScalarLocation {
            ScalarLocation(quoting: scalar.quoting, range: scalar.range, nodeStart: scalar.nodeStart)
        }

        mutating func condaEntry(_ scalar: Scalar, line: Line) throws(Decline) {
            let raw = string(scalar.range)
            guard !(scalar.quoting == .plain && ["~", "null", "Null", "NULL"].contains(raw)) else { throw Decline() }
            guard
                let dependency = try? EnvironmentFile.condaDependency(
                    raw: raw, line: line.number, location: location(scalar), path: path)
            else { throw Decline() }
            if let note = EnvironmentFile.ignoredBracketNote(dependency) { notes.append(note) }
            conda.append(dependency)
        }

        mutating func pipEntry(_ scalar: Scalar, line: Line) throws(Decline) {
            let raw = string(scalar.range)
            guard !(scalar.quoting == .plain && ["~", "null", "Null", "NULL"].contains(raw)) else { throw Decline() }
            guard
                let dependency = try? EnvironmentFile.pipDependency(
                    raw: raw, line: line.number, location: location(scalar), path: path)
            else { throw Decline() }
            pip.append(dependency)
        }
    }
}
