/// A table found in a document, as plain text cells.
///
/// The HTML layer (libxml2) and the Markdown reader both produce this, so the readers that interpret
/// tables do not care which format the page came in.
public struct DocumentTable: Sendable, Hashable {
    /// The header cells (the `<th>` row, or the Markdown row above the `---` delimiter).
    public var header: [String]
    /// The body rows. From Markdown every row has as many cells as the header (anything else is an error);
    /// from HTML rows are as the page has them after `colspan`/`rowspan` expansion, so readers check.
    public var rows: [[String]]
    /// The 1-based line of the table's start in the source, when known.
    public var line: Int?
    /// The 1-based source line of each body row, when known (same count as `rows`).
    public var rowLines: [Int?]
    /// The table's caption or title, if it has one.
    public var caption: String?
    /// How many of the document's text blocks come before this table.
    public var textBlocksBefore: Int

    public init(
        header: [String], rows: [[String]], line: Int? = nil, rowLines: [Int?]? = nil, caption: String? = nil,
        textBlocksBefore: Int = 0
    ) {
        self.header = header
        self.rows = rows
        self.line = line
        self.rowLines = rowLines ?? Array(repeating: nil, count: rows.count)
        self.caption = caption
        self.textBlocksBefore = textBlocksBefore
    }
}

/// A run of prose (a paragraph, heading or list item), with whitespace collapsed and markup removed.
public struct DocumentTextBlock: Sendable, Hashable {
    public var text: String
    /// The 1-based line where it starts, when known.
    public var line: Int?

    public init(text: String, line: Int? = nil) {
        self.text = text
        self.line = line
    }
}

/// The tables and prose of one page, in document order.
public struct ExtractedDocument: Sendable, Hashable {
    public var tables: [DocumentTable]
    public var textBlocks: [DocumentTextBlock]
    /// `<meta name=… content=…>` pairs (HTML) or front-matter keys (Markdown), first occurrence wins.
    public var metadata: [String: String]

    public init(tables: [DocumentTable], textBlocks: [DocumentTextBlock], metadata: [String: String] = [:]) {
        self.tables = tables
        self.textBlocks = textBlocks
        self.metadata = metadata
    }
}

extension String {
    /// Runs of whitespace (including non-breaking spaces) become one space; the ends are trimmed.
    var collapsingWhitespace: String {
        split(whereSeparator: \.isSpaceLike).joined(separator: " ")
    }
}

extension Character {
    /// `isWhitespace` with a fast path for ASCII (Unicode property lookups dominate on large pages otherwise).
    var isSpaceLike: Bool {
        if let ascii = asciiValue { return ascii == 0x20 || (0x09...0x0D).contains(ascii) }
        return isWhitespace
    }
}
