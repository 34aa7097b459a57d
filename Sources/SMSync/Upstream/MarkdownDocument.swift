/// Reads the tables and prose of a Markdown page (GitHub-flavoured pipe tables).
///
/// Cells are plain text: `\_` and other backslash escapes are undone, backticks and emphasis markers
/// dropped, `<br>` becomes a space, links keep their text. A body row must have as many cells as the
/// header; outer pipes are optional per row (`a|b|` and `a|b` both have two cells in a two-column
/// table, and `a|b|c|` has four in a four-column one whose last is empty). Anything else is a
/// ragged row and an error naming its line.
public enum MarkdownDocument {
    /// Extracts every table and text block; fenced code blocks are skipped, a leading `---` front
    /// matter goes into `metadata`.
    public static func extract(
        _ text: String, source: UpstreamSourceKind, location: String
    ) throws(UpstreamError) -> ExtractedDocument {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            line.last == "\r" ? line.dropLast() : line
        }
        var metadata: [String: String] = [:]
        var tables: [DocumentTable] = []
        var blocks: [DocumentTextBlock] = []
        var paragraph: [Substring] = []
        var paragraphLine = 0
        var index = 0

        func flush() {
            if !paragraph.isEmpty {
                let cleaned = inlineText(paragraph.joined(separator: " "))
                if !cleaned.isEmpty { blocks.append(DocumentTextBlock(text: cleaned, line: paragraphLine)) }
                paragraph = []
            }
        }

        if lines.first.map({ $0.trimmingSpaces == "---" }) == true {
            var end = 1
            while end < lines.count, lines[end].trimmingSpaces != "---" { end += 1 }
            if end < lines.count {
                for line in lines[1..<end] {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    let key = line[..<colon].trimmingSpaces
                    let value = line[line.index(after: colon)...].trimmingSpaces
                    if !key.isEmpty, metadata[String(key)] == nil { metadata[String(key)] = String(value) }
                }
                index = end + 1
            }
        }

        var fence: Substring?
        while index < lines.count {
            let line = lines[index]
            let trimmed = line.trimmingSpaces
            if let open = fence {
                if trimmed.hasPrefix(open) { fence = nil }
                index += 1
                continue
            }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                flush()
                fence = trimmed.prefix(3)
                index += 1
                continue
            }
            if index + 1 < lines.count, hasUnescapedPipe(line), let delimiterCells = delimiterCells(lines[index + 1]) {
                flush()
                let header = cells(of: line)
                guard header.count == delimiterCells else {
                    throw UpstreamError(
                        .malformed, source: source, location: location, line: index + 1,
                        message:
                            "table header has \(header.count) cells but its delimiter row has \(delimiterCells)")
                }
                var rows: [[String]] = []
                var rowLines: [Int?] = []
                var rowIndex = index + 2
                while rowIndex < lines.count {
                    let rowLine = lines[rowIndex]
                    let rowTrimmed = rowLine.trimmingSpaces
                    if rowTrimmed.isEmpty || rowTrimmed.hasPrefix("#") || !hasUnescapedPipe(rowLine) { break }
                    guard let row = cells(of: rowLine, expecting: header.count) else {
                        let found = cells(of: rowLine).count
                        throw UpstreamError(
                            .malformed, source: source, location: location, line: rowIndex + 1,
                            message:
                                "ragged table row: \(found) cells where the header (line \(index + 1)) has \(header.count)"
                        )
                    }
                    rows.append(row.map(inlineText))
                    rowLines.append(rowIndex + 1)
                    rowIndex += 1
                }
                tables.append(
                    DocumentTable(
                        header: header.map(inlineText), rows: rows, line: index + 1, rowLines: rowLines,
                        textBlocksBefore: blocks.count))
                index = rowIndex
                continue
            }
            if trimmed.isEmpty {
                flush()
            } else if trimmed.hasPrefix("#") || isListItem(trimmed) {
                flush()
                paragraph = [trimmed.hasPrefix("#") ? trimmed.drop { $0 == "#" } : listItemBody(trimmed)]
                paragraphLine = index + 1
                if trimmed.hasPrefix("#") { flush() }
            } else {
                if paragraph.isEmpty { paragraphLine = index + 1 }
                paragraph.append(trimmed)
            }
            index += 1
        }
        flush()
        return ExtractedDocument(tables: tables, textBlocks: blocks, metadata: metadata)
    }

    /// Plain text of a Markdown inline fragment.
    public static func inlineText(_ raw: some StringProtocol) -> String {
        isPlainInline(raw) ? String(raw) : inlineTextFully(raw)
    }

    /// `inlineText` without the shortcut for plain text.
    static func inlineTextFully(_ raw: some StringProtocol) -> String {
        let text = withoutTagsAndLinkTargets(Array(raw))
        var result = ""
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            switch character {
            case "\\":
                if let next = iterator.next() {
                    if !(next.isASCII && next.isPunctuation || next.isSymbol && next.isASCII) { result.append("\\") }
                    result.append(next)
                } else {
                    result.append("\\")
                }
            case "`":
                continue
            default:
                result.append(character)
            }
        }
        result.replace("**", with: "")
        return result.collapsingWhitespace
    }

    /// Text that `inlineText` returns as it is: printable ASCII without markup (`\\`, `` ` ``, `<`, `[`, `*`)
    /// and without whitespace to collapse (none at either end, no two spaces together). Nearly every table cell.
    static func isPlainInline(_ raw: some StringProtocol) -> Bool {
        var previousSpace = true
        for byte in raw.utf8 {
            guard byte >= 0x20, byte < 0x7F else { return false }
            switch byte {
            case UInt8(ascii: "\\"), UInt8(ascii: "`"), UInt8(ascii: "<"), UInt8(ascii: "["), UInt8(ascii: "*"):
                return false
            case 0x20:
                if previousSpace { return false }
                previousSpace = true
            default:
                previousSpace = false
            }
        }
        return !previousSpace
    }

    /// `<br>` becomes a space, other HTML tags go, `[text](url)` and `![text](url)` keep their text.
    static func withoutTagsAndLinkTargets(_ characters: [Character]) -> String {
        var result = ""
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "<", index + 1 < characters.count,
                (characters[index + 1].isASCII && characters[index + 1].isLetter) || characters[index + 1] == "/",
                let close = characters[(index + 1)...].prefix(400).firstIndex(where: { $0 == ">" || $0 == "<" }),
                characters[close] == ">"
            {
                let name = characters[(index + 1)..<close].drop { $0 == "/" }.prefix { $0.isLetter }
                if String(name).lowercased() == "br" { result.append(" ") }
                index = close + 1
                continue
            }
            if character == "[" || (character == "!" && index + 1 < characters.count && characters[index + 1] == "["),
                let open = characters[index...].firstIndex(of: "["),
                let close = characters[(open + 1)...].firstIndex(where: { $0 == "]" || $0 == "[" }),
                characters[close] == "]",
                close + 1 < characters.count, characters[close + 1] == "(",
                let end = characters[(close + 2)...].prefix(2000).firstIndex(of: ")")
            {
                result += String(characters[(open + 1)..<close])
                index = end + 1
                continue
            }
            result.append(character)
            index += 1
        }
        return result
    }

    static func isListItem(_ line: Substring) -> Bool {
        if let first = line.first, "+-*".contains(first), line.dropFirst().first == " " { return true }
        let digits = line.prefix { $0.isASCIIDigit }
        return !digits.isEmpty && line.dropFirst(digits.count).hasPrefix(". ")
    }

    static func listItemBody(_ line: Substring) -> Substring {
        if let first = line.first, "+-*".contains(first) { return line.dropFirst(2) }
        return line.drop { $0.isASCIIDigit }.dropFirst(2)
    }

    static func hasUnescapedPipe(_ line: Substring) -> Bool {
        var escaped = false
        for character in line {
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "|" {
                return true
            }
        }
        return false
    }

    /// Splits on unescaped pipes; the pieces keep their escapes.
    static func rawPieces(_ line: Substring) -> [Substring] {
        var pieces: [Substring] = []
        var start = line.startIndex
        var index = line.startIndex
        var escaped = false
        while index < line.endIndex {
            let character = line[index]
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "|" {
                pieces.append(line[start..<index])
                start = line.index(after: index)
            }
            index = line.index(after: index)
        }
        pieces.append(line[start..<line.endIndex])
        return pieces
    }

    /// The cells of a row, outer pipes dropped where present (GitHub's rule).
    static func cells(of line: Substring) -> [String] {
        let variants = cellVariants(of: line)
        return variants.first ?? []
    }

    /// The cells of a row that must have `count` cells, trying outer pipes as optional; nil when ragged.
    static func cells(of line: Substring, expecting count: Int) -> [String]? {
        var found: [String]?
        forEachCellVariant(of: line) { pieces in
            guard pieces.count == count else { return false }
            found = pieces.map { String($0.trimmingSpaces) }
            return true
        }
        return found
    }

    private static func cellVariants(of line: Substring) -> [[String]] {
        var variants: [[String]] = []
        forEachCellVariant(of: line) { pieces in
            variants.append(pieces.map { String($0.trimmingSpaces) })
            return false
        }
        return variants
    }

    /// The ways to read a row's cells, outer pipes optional, in order of preference (both outer pipes dropped
    /// first), until `body` returns true.
    private static func forEachCellVariant(of line: Substring, _ body: (ArraySlice<Substring>) -> Bool) {
        let pieces = rawPieces(line.trimmingSpaces)
        let leading = pieces.count > 1 && pieces[0].trimmingSpaces.isEmpty
        let trailing = pieces.count > 1 && pieces[pieces.count - 1].trimmingSpaces.isEmpty
        for dropLeading in leading ? [true, false] : [false] {
            for dropTrailing in trailing ? [true, false] : [false] {
                var slice = pieces[...]
                if dropLeading { slice = slice.dropFirst() }
                if dropTrailing, slice.count > (dropLeading ? 0 : 1) { slice = slice.dropLast() }
                if body(slice) { return }
            }
        }
    }

    /// The number of columns when `line` is a delimiter row (`| --- | :-: |`), nil otherwise.
    static func delimiterCells(_ line: Substring) -> Int? {
        guard hasUnescapedPipe(line) else { return nil }
        let cells = cells(of: line)
        guard !cells.isEmpty else { return nil }
        for cell in cells {
            var body = Substring(cell)
            if body.first == ":" { body = body.dropFirst() }
            if body.last == ":" { body = body.dropLast() }
            guard !body.isEmpty, body.allSatisfy({ $0 == "-" }) else { return nil }
        }
        return cells.count
    }
}

extension Substring {
    /// The text without leading and trailing whitespace.
    var trimmingSpaces: Substring {
        guard let first = firstIndex(where: { !$0.isSpaceLike }), let last = lastIndex(where: { !$0.isSpaceLike })
        else { return self[endIndex...] }
        return self[first...last]
    }
}

extension String {
    /// The text without leading and trailing whitespace.
    var trimmingSpaces: Substring { self[...].trimmingSpaces }
}
