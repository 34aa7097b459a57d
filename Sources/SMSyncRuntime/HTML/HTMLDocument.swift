import CLibXML2
import SMSync

/// Extracts the tables and prose of an HTML page with libxml2's HTML parser.
///
/// The only file that touches libxml2. Parsing uses `HTML_PARSE_RECOVER | HTML_PARSE_NONET |
/// HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING` and never substitutes entities or loads a DTD; the
/// process-wide external-entity loader is replaced by one that loads nothing, so a page declaring
/// `<!ENTITY x SYSTEM "file:///etc/passwd">` cannot make the parser read a local file.
///
/// Before parsing, the bytes must pass ``UpstreamText/decode(_:source:location:maxBytes:)`` (size cap, no
/// NUL bytes, valid UTF-8); a page that opens `<html>` but never closes it, or opens more `<table>`s than it
/// closes, is refused as truncated rather than half-read.
public enum HTMLDocument {
    /// Reads `bytes` as an HTML page.
    public static func extract(
        _ bytes: some Collection<UInt8>, source: UpstreamSourceKind, location: String, maxBytes: Int
    ) throws(UpstreamError) -> ExtractedDocument {
        let text = try UpstreamText.decode(bytes, source: source, location: location, maxBytes: maxBytes)
        try checkComplete(text, source: source, location: location)
        guard text.utf8.count < Int32.max else {
            throw UpstreamError(.tooLarge, source: source, location: location, message: "page too large for the parser")
        }
        LibXML2Setup.once()
        let options = Int32(
            HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NONET.rawValue | HTML_PARSE_NOERROR.rawValue
                | HTML_PARSE_NOWARNING.rawValue)
        let parsed = text.withCString { pointer in
            htmlReadMemory(pointer, Int32(text.utf8.count), nil, "UTF-8", options)
        }
        guard let document = parsed else {
            throw UpstreamError(
                .malformed, source: source, location: location, message: "libxml2 could not parse the page as HTML")
        }
        defer { xmlFreeDoc(document) }
        guard let root = xmlDocGetRootElement(document) else {
            throw UpstreamError(.missingContent, source: source, location: location, message: "the page is empty")
        }
        return walk(root)
    }

    /// Refuses a page cut off in transit: `<html` without `</html`, or more `<table` than `</table`. One pass over
    /// the bytes; comments, scripts and styles are skipped (their content is not markup).
    static func checkComplete(_ text: String, source: UpstreamSourceKind, location: String) throws(UpstreamError) {
        let bytes = Array(text.utf8).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        func starts(_ literal: String, at index: Int) -> Bool {
            let pattern = Array(literal.utf8)
            return index + pattern.count <= bytes.count && bytes[index..<(index + pattern.count)].elementsEqual(pattern)
        }
        func skip(past literal: String, from index: Int) -> Int {
            let first = literal.utf8.first ?? 0
            var position = index
            while position < bytes.count {
                if bytes[position] == first, starts(literal, at: position) { return position + literal.utf8.count }
                position += 1
            }
            return bytes.count
        }
        var (openedHTML, closedHTML, opened, closed) = (false, false, 0, 0)
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<") else {
                index += 1
                continue
            }
            if starts("<!--", at: index) {
                index = skip(past: "-->", from: index + 4)
            } else if starts("<script", at: index) {
                index = skip(past: "</script", from: index + 7)
            } else if starts("<style", at: index) {
                index = skip(past: "</style", from: index + 6)
            } else {
                if starts("<html", at: index) { openedHTML = true }
                if starts("</html", at: index) { closedHTML = true }
                if starts("<table", at: index), index + 6 < bytes.count,
                    [0x20, 0x09, 0x0A, 0x0D, 0x0C, UInt8(ascii: ">")].contains(bytes[index + 6])
                {
                    opened += 1
                }
                if starts("</table", at: index) { closed += 1 }
                index += 1
            }
        }
        let lastLine = bytes.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        if openedHTML, !closedHTML {
            throw UpstreamError(
                .truncated, source: source, location: location, line: lastLine,
                message: "the page ends before </html> (truncated download?)")
        }
        if opened > closed {
            throw UpstreamError(
                .truncated, source: source, location: location, line: lastLine,
                message: "the page opens \(opened) <table> elements but closes \(closed) (truncated?)")
        }
    }

    private static let blockElements: Set<String> = [
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "caption", "title", "pre", "blockquote",
        "figcaption", "th", "td",
    ]
    private static let containerElements: Set<String> = [
        "html", "body", "div", "section", "article", "main", "header", "footer", "nav", "aside", "ul", "ol", "dl",
        "table", "thead", "tbody", "tfoot", "tr", "form", "fieldset", "details", "summary", "figure", "awsdocs-tabs",
    ]
    private static let skippedElements: Set<String> = ["script", "style", "noscript", "template", "svg", "iframe"]

    /// Walks the tree in document order (iteratively, so deep nesting cannot exhaust the stack).
    private static func walk(_ root: xmlNodePtr) -> ExtractedDocument {
        var tables: [DocumentTable] = []
        var blocks: [DocumentTextBlock] = []
        var metadata: [String: String] = [:]
        var stack: [xmlNodePtr] = [root]
        while let node = stack.popLast() {
            guard node.pointee.type == XML_ELEMENT_NODE else { continue }
            let name = elementName(node)
            if skippedElements.contains(name) { continue }
            if name == "meta" {
                if let key = attribute(node, "name") ?? attribute(node, "property"),
                    let content = attribute(node, "content"),
                    metadata[key.lowercased()] == nil
                {
                    metadata[key.lowercased()] = content
                }
                continue
            }
            if name == "table" {
                tables.append(table(node, textBlocksBefore: blocks.count))
                continue
            }
            let isLeafDiv =
                name == "div"
                && !children(node).contains { child in
                    child.pointee.type == XML_ELEMENT_NODE
                        && (containerElements.contains(elementName(child))
                            || blockElements.contains(elementName(child)))
                }
            if blockElements.contains(name) || isLeafDiv {
                let text = flattenedText(node)
                if !text.isEmpty { blocks.append(DocumentTextBlock(text: text, line: lineNumber(node))) }
                for child in children(node).reversed() where containsTable(child) { stack.append(child) }
                continue
            }
            stack += children(node).reversed()
        }
        return ExtractedDocument(tables: tables, textBlocks: blocks, metadata: metadata)
    }

    /// Header and body rows of one table; `colspan` and `rowspan` are expanded, nested tables left out.
    private static func table(_ node: xmlNodePtr, textBlocksBefore: Int) -> DocumentTable {
        var rowNodes: [(node: xmlNodePtr, inHead: Bool)] = []
        var stack: [(xmlNodePtr, Bool)] = children(node).reversed().map { ($0, false) }
        var caption: String?
        while let (current, inHead) = stack.popLast() {
            guard current.pointee.type == XML_ELEMENT_NODE else { continue }
            switch elementName(current) {
            case "tr": rowNodes.append((current, inHead))
            case "thead": stack += children(current).reversed().map { ($0, true) }
            case "tbody", "tfoot": stack += children(current).reversed().map { ($0, false) }
            case "caption": caption = flattenedText(current)
            default: continue
            }
        }
        var pending: [Int: (text: String, remaining: Int)] = [:]
        var grid: [(cells: [String], allHeader: Bool, inHead: Bool, line: Int?)] = []
        for (row, inHead) in rowNodes {
            var cells: [String] = []
            var allHeader = true
            func fillPending() {
                while let carried = pending[cells.count] {
                    cells.append(carried.text)
                    pending[cells.count - 1] = carried.remaining > 1 ? (carried.text, carried.remaining - 1) : nil
                }
            }
            for cell in children(row) where cell.pointee.type == XML_ELEMENT_NODE {
                let cellName = elementName(cell)
                guard cellName == "td" || cellName == "th" else { continue }
                if cellName == "td" { allHeader = false }
                fillPending()
                let text = flattenedText(cell)
                let colspan = min(max(Int(attribute(cell, "colspan") ?? "") ?? 1, 1), 100)
                let rowspan = min(max(Int(attribute(cell, "rowspan") ?? "") ?? 1, 1), 1000)
                for _ in 0..<colspan {
                    if rowspan > 1 { pending[cells.count] = (text, rowspan - 1) }
                    cells.append(text)
                }
            }
            fillPending()
            if cells.isEmpty { continue }
            grid.append((cells, allHeader, inHead, lineNumber(row)))
        }
        let headerIndex = grid.lastIndex { $0.inHead } ?? (grid.first?.allHeader == true ? 0 : nil)
        let header = headerIndex.map { grid[$0].cells } ?? []
        let body = grid.enumerated().filter { index, row in
            headerIndex.map { index > $0 } ?? true
        }.map(\.element)
        return DocumentTable(
            header: header, rows: body.map(\.cells), line: lineNumber(node), rowLines: body.map(\.line),
            caption: caption, textBlocksBefore: textBlocksBefore)
    }

    /// The text under `node`: inline markup (`<code>`, `<a>`, `<b>`) flattened, `<br>` and block boundaries as
    /// spaces, whitespace collapsed, scripts and nested tables left out.
    private static func flattenedText(_ node: xmlNodePtr) -> String {
        var text = ""
        var stack: [xmlNodePtr] = children(node).reversed()
        while let current = stack.popLast() {
            switch current.pointee.type {
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = current.pointee.content { text += String(cString: content) }
            case XML_ELEMENT_NODE:
                let name = elementName(current)
                if skippedElements.contains(name) || name == "table" { continue }
                if name == "br" || blockElements.contains(name) || containerElements.contains(name) { text += " " }
                stack += children(current).reversed()
            default:
                continue
            }
        }
        return text.split(whereSeparator: { character in
            if let ascii = character.asciiValue { return ascii == 0x20 || (0x09...0x0D).contains(ascii) }
            return character.isWhitespace
        }).joined(separator: " ")
    }

    private static func containsTable(_ node: xmlNodePtr) -> Bool {
        var stack = [node]
        while let current = stack.popLast() {
            guard current.pointee.type == XML_ELEMENT_NODE else { continue }
            if elementName(current) == "table" { return true }
            stack += children(current)
        }
        return false
    }

    private static func children(_ node: xmlNodePtr) -> [xmlNodePtr] {
        var result: [xmlNodePtr] = []
        var child = node.pointee.children
        while let current = child {
            result.append(current)
            child = current.pointee.next
        }
        return result
    }

    private static func elementName(_ node: xmlNodePtr) -> String {
        guard let name = node.pointee.name else { return "" }
        return String(cString: name).lowercased()
    }

    /// An attribute's text, read from the attribute's child text nodes (no libxml2 allocation to free).
    private static func attribute(_ node: xmlNodePtr, _ wanted: String) -> String? {
        var property = node.pointee.properties
        while let current = property {
            if let name = current.pointee.name, String(cString: name).lowercased() == wanted {
                var value = ""
                var child = current.pointee.children
                while let text = child {
                    if let content = text.pointee.content { value += String(cString: content) }
                    child = text.pointee.next
                }
                return value
            }
            property = current.pointee.next
        }
        return nil
    }

    private static func lineNumber(_ node: xmlNodePtr) -> Int? {
        let line = xmlGetLineNo(node)
        return line > 0 ? Int(line) : nil
    }
}

/// Process-wide libxml2 setup, done once: initialise the parser and refuse every external entity.
private enum LibXML2Setup {
    private static let done: Bool = {
        xmlInitParser()
        xmlSetExternalEntityLoader { _, _, _ in nil }
        return true
    }()

    static func once() { _ = done }
}
