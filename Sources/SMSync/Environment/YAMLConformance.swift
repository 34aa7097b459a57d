import Yams

/// What conda's YAML reader refuses although libyaml (and so Yams) reads it. conda loads environment files with a
/// safe loader (ruamel.yaml's pure-Python `safe` loader; PyYAML's `safe_load` in older releases and in most tools
/// around it), and both refuse:
///
/// - a tag no safe constructor knows: application tags such as `!!python/tuple` or `!custom`;
/// - a tab outside a quoted scalar, a block scalar or a comment. Their scanner skips only spaces between tokens and a
///   plain scalar ends at a tab, so a tab before a comment, at the end of a line, after `key:` or `-`, or inside a
///   plain scalar (`numpy\t1.0`) is "a character that cannot start any token". A tab inside a comment, inside
///   quotes or inside a block scalar's text is fine.
enum YAMLConformance {
    /// Tags the safe constructors build (YAML 1.1 core types), plus the non-specific `!`.
    static let safeTags: Set<String> = [
        "", "!", "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map",
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:float", "tag:yaml.org,2002:null", "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:binary", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:omap",
        "tag:yaml.org,2002:pairs", "tag:yaml.org,2002:set", "tag:yaml.org,2002:merge",
    ]

    static func check(_ root: Node, source: SourceText, path: String) throws(EnvironmentFileError) {
        var protected: [Range<Int>] = []
        var stack = [root]
        var visited: Set<Int> = []
        while let node = stack.popLast() {
            let tag = rawTag(node)
            if !safeTags.contains(tag) {
                let shown = tag.hasPrefix("tag:yaml.org,2002:") ? "!!" + tag.dropFirst(18) : Substring(tag)
                throw EnvironmentFileError(
                    .unsupportedTag, path: path, line: node.mark?.line,
                    "the tag `\(shown)` is an application tag that conda's YAML reader (a safe loader) refuses; "
                        + "remove it")
            }
            switch node {
            case .scalar(let scalar):
                if let range = span(of: scalar, source: source), visited.insert(range.lowerBound).inserted {
                    protected.append(range)
                }
            case .mapping(let mapping):
                for (key, value) in mapping {
                    stack.append(key)
                    stack.append(value)
                }
            case .sequence(let sequence):
                stack.append(contentsOf: sequence)
            case .alias:
                break
            }
        }
        protected.sort { $0.lowerBound < $1.lowerBound }
        try refuseTabs(source: source, protected: protected, path: path)
    }

    private static func rawTag(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): scalar.tag.rawValue
        case .mapping(let mapping): mapping.tag.rawValue
        case .sequence(let sequence): sequence.tag.rawValue
        case .alias: ""
        }
    }

    /// The bytes a quoted or block scalar spans (quotes and header included), where tabs are text, not separation.
    /// Plain scalars span nothing here: a tab in one ends it.
    private static func span(of scalar: Node.Scalar, source: SourceText) -> Range<Int>? {
        guard scalar.style != .plain, scalar.style != .any, let mark = scalar.mark,
            var start = source.offset(line: mark.line, column: mark.column)
        else { return nil }
        let bytes = source.bytes
        while start < bytes.count, bytes[start] == UInt8(ascii: "&") || bytes[start] == UInt8(ascii: "!") {
            while start < bytes.count, ![0x20, 0x09, 0x0A, 0x0D].contains(bytes[start]) { start += 1 }
            while start < bytes.count, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        }
        guard start < bytes.count else { return nil }
        switch scalar.style {
        case .singleQuoted, .doubleQuoted:
            let quote = bytes[start]
            var end = start + 1
            while end < bytes.count {
                if quote == UInt8(ascii: "\""), bytes[end] == UInt8(ascii: "\\") {
                    end += 2
                    continue
                }
                if bytes[end] == quote {
                    if quote == UInt8(ascii: "'"), end + 1 < bytes.count, bytes[end + 1] == quote {
                        end += 2
                        continue
                    }
                    return start..<(end + 1)
                }
                end += 1
            }
            return start..<bytes.count
        case .literal, .folded:
            // The header line (indicators, then maybe a comment) and every following line that is blank or indented
            // deeper than the line holding the header.
            let headerLine = source.line(ofOffset: start)
            let indent = source.lineBytes(headerLine).prefix { $0 == 0x20 }.count
            var last = headerLine
            var line = headerLine + 1
            while line <= source.lineStarts.count {
                let text = source.lineBytes(line)
                let spaces = text.prefix { $0 == 0x20 }.count
                let blank = text.allSatisfy { $0 == 0x20 || $0 == 0x09 }
                if !blank && spaces <= indent { break }
                if !blank { last = line }
                line += 1
            }
            let end = last < source.lineStarts.count ? source.lineStarts[last] : bytes.count
            // The header's own line stays checked up to the indicator: `key:\t|` is still a tab between tokens.
            return start..<max(start, end)
        default:
            return nil
        }
    }

    private static func refuseTabs(
        source: SourceText, protected: [Range<Int>], path: String
    ) throws(EnvironmentFileError) {
        let bytes = source.bytes
        var next = 0  // index into `protected`
        var index = 0
        var inComment = false
        while index < bytes.count {
            while next < protected.count, protected[next].upperBound <= index { next += 1 }
            if next < protected.count, protected[next].contains(index) {
                index = protected[next].upperBound
                continue
            }
            let byte = bytes[index]
            if byte == 0x0A || byte == 0x0D {
                inComment = false
            } else if !inComment {
                if byte == UInt8(ascii: "#"),
                    index == 0 || [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index - 1])
                {
                    inComment = true
                } else if byte == 0x09 {
                    let line = source.line(ofOffset: index)
                    let lineText = String(decoding: source.lineBytes(line), as: UTF8.self)
                    let column = index - source.lineStarts[line - 1] + 1
                    throw EnvironmentFileError(
                        .tabCharacter, path: path, line: line,
                        "a tab at column \(column) in \(lineText.debugDescription): conda's YAML reader allows tabs "
                            + "only inside quotes, block scalars and comments; use spaces")
                }
            }
            index += 1
        }
    }
}
