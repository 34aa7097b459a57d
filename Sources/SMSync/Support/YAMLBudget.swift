// libyaml, as built for Yams: its event stream is what Yams composes from, read here without building nodes.
import CYaml
import Foundation

/// A bound on the work a YAML document can ask for, checked on libyaml's event stream before Yams builds it.
///
/// Aliases make a document of a few hundred bytes stand for billions of nodes (`a: &a [x, x]`,
/// `b: &b [*a, *a]`, …); Yams shares the aliased node, but anything that walks or hashes it (Yams's
/// duplicate-key check, when the last alias is a `? key`) does the full work. The check adds up how many
/// nodes every alias stands for (its anchor's node, aliases inside it counted expanded, as numbers)
/// and refuses the document once the sum passes ``maxAliasNodes``. A document without anchors is not
/// parsed here at all. Syntax errors are left to Yams, whose messages the readers already translate
/// (libyaml itself refuses nesting deeper than 1,000 levels).
public enum YAMLBudget {
    /// Nodes all aliases of one stream may stand for together.
    public static let maxAliasNodes = 10_000

    /// Why a document is refused: the 1-based line where the budget ran out, and the words for it.
    public struct Exceeded: Sendable, Equatable {
        public var line: Int
        public var message: String
    }

    /// Throws `make(line, message)` when `text` passes the budget; returns when it does not (or when it is
    /// not valid YAML, which the real read reports).
    public static func check<Failure: Error>(
        _ text: String, maxAliasNodes: Int = maxAliasNodes,
        orThrow make: (_ line: Int, _ message: String) -> Failure
    ) throws(Failure) {
        if let exceeded = scan(text, maxAliasNodes: maxAliasNodes) {
            throw make(exceeded.line, exceeded.message)
        }
    }

    /// The first place `text` passes the budget, or nil.
    public static func scan(_ text: String, maxAliasNodes: Int = maxAliasNodes) -> Exceeded? {
        guard mayHaveAnchors(text) else { return nil }
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return nil }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            return walk(&parser, maxAliasNodes: maxAliasNodes)
        }
    }

    /// False when no `&` starts a token (after a line start, a space, a tab, `[`, `{`, `,`, `:`, `-` or
    /// `?`): without an anchor, no alias can stand for anything, and the parse here is skipped (env files
    /// are full of `*` in version globs, but anchors are rare).
    static func mayHaveAnchors(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { return false }
            var offset = 0
            // memchr keeps this cheap on large files, also in debug builds.
            while offset < buffer.count, let found = memchr(base + offset, 0x26, buffer.count - offset) {
                let index = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
                switch index == 0 ? 0x0A : base[index - 1] {
                case 0x0A, 0x0D, 0x20, 0x09, UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","),
                    UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "?"):
                    return true
                default:
                    offset = index + 1
                }
            }
            return false
        }
    }

    private static func walk(_ parser: inout yaml_parser_t, maxAliasNodes: Int) -> Exceeded? {
        // Sizes of the open collections (each counts itself) and their anchors.
        var open: [(size: Int, anchor: String?)] = []
        var anchors: [String: Int] = [:]
        var expanded = 0
        func add(_ size: Int) {
            guard let last = open.indices.last else { return }
            let (sum, overflow) = open[last].size.addingReportingOverflow(size)
            open[last].size = overflow ? Int.max : sum
        }
        func anchor(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: $0) }
        }
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
            defer { yaml_event_delete(&event) }
            let line = Int(event.start_mark.line) + 1
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return nil
            case YAML_DOCUMENT_START_EVENT:
                anchors = [:]
                open = []
            case YAML_SCALAR_EVENT:
                if let name = anchor(event.data.scalar.anchor) { anchors[name] = 1 }
                add(1)
            case YAML_ALIAS_EVENT:
                let size = anchor(event.data.alias.anchor).flatMap { anchors[$0] } ?? 1
                let (sum, overflow) = expanded.addingReportingOverflow(size)
                expanded = overflow ? Int.max : sum
                if expanded > maxAliasNodes {
                    return Exceeded(
                        line: line,
                        message: "its aliases stand for more than \(maxAliasNodes) nodes (an alias bomb?); "
                            + "refused before reading it")
                }
                add(size)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let name =
                    event.type == YAML_SEQUENCE_START_EVENT
                    ? anchor(event.data.sequence_start.anchor) : anchor(event.data.mapping_start.anchor)
                open.append((1, name))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let closed = open.popLast() else { break }
                if let name = closed.anchor { anchors[name] = closed.size }
                add(closed.size)
            default:
                break
            }
        }
    }
}
