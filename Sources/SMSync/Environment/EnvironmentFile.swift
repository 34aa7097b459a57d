import Yams

/// How a YAML scalar was written; the lossless editor keeps it.
public enum ScalarQuoting: String, Sendable, Hashable {
    case plain
    case single
    case double
    /// A literal or folded block scalar: readable, never edited.
    case block
}

/// One entry of `dependencies:` (or of its `pip:` sub-list) in a conda environment file.
public struct EnvironmentDependency: Sendable, Hashable {
    /// What the entry asks for.
    public enum Requirement: Sendable, Hashable {
        case conda(CondaMatchSpec)
        case pip(PEP508Requirement)
        /// A pip line that is not a requirement (`-r file`, `-e .`, `git+https://…`): kept, never edited.
        case other(reason: String)
    }

    public var manager: PackageManager
    /// The YAML value as loaded.
    public var raw: String
    public var requirement: Requirement {
        didSet { name = Self.name(of: requirement) }
    }
    /// The package name as written (conda: exact; pip: as written, compare with PEP 503 normalisation); nil for a
    /// pip line that is not a requirement. Kept beside the requirement: the drift of a large workspace reads it
    /// for every entry.
    public private(set) var name: String?
    /// 1-based line of the entry's value.
    public var line: Int
    public var quoting: ScalarQuoting
    /// Byte offsets in the file of the scalar's text (inside any quotes); nil when the text in the file is not
    /// exactly the loaded value (escapes, multi-line scalars), which makes the entry read-only.
    public var valueRange: Range<Int>?
    /// Byte offsets in the file of the version-spec text (`versionText`), when it can be located exactly.
    public var versionRange: Range<Int>?
    /// Byte offsets in the file of a conda build string together with the separator before it.
    public var buildRange: Range<Int>?
    /// Byte offset of the YAML node (its anchor or tag, if any): an alias of the node has the same one.
    var nodeStart: Int?

    init(
        manager: PackageManager, raw: String, requirement: Requirement, line: Int, quoting: ScalarQuoting,
        valueRange: Range<Int>?, versionRange: Range<Int>?, buildRange: Range<Int>?, nodeStart: Int?
    ) {
        self.manager = manager
        self.raw = raw
        self.requirement = requirement
        self.name = Self.name(of: requirement)
        self.line = line
        self.quoting = quoting
        self.valueRange = valueRange
        self.versionRange = versionRange
        self.buildRange = buildRange
        self.nodeStart = nodeStart
    }

    private static func name(of requirement: Requirement) -> String? {
        switch requirement {
        case .conda(let spec): spec.name
        case .pip(let requirement): requirement.name
        case .other: nil
        }
    }

    public var channel: String? {
        if case .conda(let spec) = requirement { return spec.channel }
        return nil
    }

    public var subdir: String? {
        if case .conda(let spec) = requirement { return spec.subdir }
        return nil
    }

    public var build: String? {
        if case .conda(let spec) = requirement { return spec.build }
        return nil
    }

    /// The version-spec text as written (`=1.2`, `==1.2`, `>=1,<2`, `1.7`), nil when unpinned.
    public var versionText: String? {
        switch requirement {
        case .conda(let spec): spec.versionText
        case .pip(let requirement): requirement.specifierText
        case .other: nil
        }
    }

    /// The name used to match this entry with a package name: conda names lower-cased (conda compares them so),
    /// pip names PEP 503-normalised.
    public var matchName: String? {
        switch requirement {
        case .conda(let spec): spec.name.lowercased()
        case .pip(let requirement): normalizedPythonPackageName(requirement.name)
        case .other: nil
        }
    }
}

/// A conda environment file (`environment.yml`), read as conda reads it, with the source position of every entry.
public struct EnvironmentFile: Sendable {
    /// The path used in messages.
    public let path: String
    /// The file's text, exactly as read, without a byte-order mark (`encoding` says whether it had one).
    public let text: String
    /// The encoding the file was read in and is written back in.
    public let encoding: TextEncoding
    public let name: String?
    public let channels: [String]
    public let prefix: String?
    /// `variables:` in file order.
    public let variables: [(key: String, value: String)]
    /// Top-level keys conda does not define, kept in the file as they are.
    public let otherKeys: [String]
    /// Conda entries in file order, then pip entries in file order.
    public let dependencies: [EnvironmentDependency]
    /// Things worth telling a user that do not stop the file from being read.
    public let notes: [String]

    let source: SourceText
    /// Where the YAML node of `name`, `prefix`, each channel and each variable value starts, so that the edit proof
    /// knows an alias of the edited entry (`PY: *python_pin`) when it meets one.
    var nodeStarts = NodeStarts()

    struct NodeStarts: Sendable {
        var name: Int?
        var prefix: Int?
        var channels: [Int?] = []
        var variables: [Int?] = []
    }

    /// Reads an environment file. Errors name the file and line. A leading byte-order mark is set aside: the text
    /// holds none and `encoding` becomes `.utf8BOM` (when `encoding` is `.utf8`).
    ///
    /// Files of the common shape are read straight from their bytes (``EnvironmentFastReader``); every other file,
    /// and every file with an error, goes through the YAML reader. Both give the same result.
    public init(text: String, path: String, encoding: TextEncoding = .utf8) throws(EnvironmentFileError) {
        if encoding == .utf8, let file = EnvironmentFastReader.read(text: text, path: path) {
            self = file
            return
        }
        try self.init(composing: text, path: path, encoding: encoding)
    }

    /// The parts of a file as a reader found them.
    init(
        path: String, text: String, encoding: TextEncoding, source: SourceText, name: String?, channels: [String],
        prefix: String?, variables: [(key: String, value: String)], otherKeys: [String],
        dependencies: [EnvironmentDependency], notes: [String], nodeStarts: NodeStarts
    ) {
        self.path = path
        self.text = text
        self.encoding = encoding
        self.source = source
        self.name = name
        self.channels = channels
        self.prefix = prefix
        self.variables = variables
        self.otherKeys = otherKeys
        self.dependencies = dependencies
        self.notes = notes
        self.nodeStarts = nodeStarts
    }

    /// Reads an environment file through the YAML reader (Yams's node tree), whatever its shape.
    init(composing text: String, path: String, encoding: TextEncoding) throws(EnvironmentFileError) {
        var text = text
        var encoding = encoding
        if text.unicodeScalars.first == "\u{FEFF}" {
            text.unicodeScalars.removeFirst()
            if encoding == .utf8 { encoding = .utf8BOM }
        }
        let source = SourceText(text)
        self.path = path
        self.text = text
        self.encoding = encoding
        self.source = source
        let root = try Self.compose(text, source: source, path: path)
        if let root { try YAMLConformance.check(root, source: source, path: path) }

        guard let root else {
            throw EnvironmentFileError(.invalidYAML, path: path, line: 1, "the file is empty; expected a mapping")
        }
        guard let mapping = root.mapping else {
            throw EnvironmentFileError(
                .invalidStructure, path: path, line: root.mark?.line,
                "the top level must be a mapping with `name`, `channels` and `dependencies`")
        }
        var name: String?
        var channels: [String] = []
        var prefix: String?
        var variables: [(key: String, value: String)] = []
        var otherKeys: [String] = []
        var conda: [EnvironmentDependency] = []
        var pip: [EnvironmentDependency] = []
        var notes: [String] = []
        var starts = NodeStarts()
        func start(_ node: Node) -> Int? { node.mark.flatMap { source.offset(line: $0.line, column: $0.column) } }
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                throw EnvironmentFileError(
                    .invalidStructure, path: path, line: keyNode.mark?.line, "top-level keys must be plain strings")
            }
            switch key {
            case "name":
                name = try Self.optionalString(value, key: key, path: path)
                starts.name = start(value)
            case "prefix":
                prefix = try Self.optionalString(value, key: key, path: path)
                starts.prefix = start(value)
            case "channels":
                channels = try Self.stringList(value, key: key, path: path)
                starts.channels = value.sequence.map { $0.map(start) } ?? []
            case "variables":
                variables = try Self.stringMap(value, key: key, path: path)
                starts.variables = value.mapping.map { $0.map { start($0.value) } } ?? []
            case "dependencies":
                try Self.readDependencies(
                    value, source: source, path: path, conda: &conda, pip: &pip, notes: &notes)
            default:
                otherKeys.append(key)
            }
        }
        self.name = name
        self.channels = channels
        self.prefix = prefix
        self.variables = variables
        self.otherKeys = otherKeys
        self.dependencies = conda + pip
        self.notes = notes
        self.nodeStarts = starts
    }

    // MARK: - YAML

    private static func compose(
        _ text: String, source: SourceText, path: String
    ) throws(EnvironmentFileError)
        -> Node?
    {
        try YAMLBudget.check(text) { EnvironmentFileError(.invalidYAML, path: path, line: $0, $1) }
        do {
            return try Yams.compose(yaml: text, .default, .default, .utf8)
        } catch let error as YamlError {
            throw translate(error, source: source, path: path)
        } catch {
            throw EnvironmentFileError(.invalidYAML, path: path, line: nil, "\(error)")
        }
    }

    private static func translate(_ error: YamlError, source: SourceText, path: String) -> EnvironmentFileError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            if let tabLine = tabIndentedLine(source, near: mark.line) {
                return EnvironmentFileError(
                    .tabIndentation, path: path, line: tabLine,
                    "a tab is used for indentation; YAML allows only spaces there")
            }
            let location = context.map { " \($0.text)" } ?? ""
            return EnvironmentFileError(.invalidYAML, path: path, line: mark.line, "\(problem)\(location)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "`\($0)`" }.joined(separator: ", ")
            let line = secondOccurrence(of: duplicates.first, in: source, after: context.mark.line)
            return EnvironmentFileError(
                .duplicateKey, path: path, line: line ?? context.mark.line,
                "duplicate key \(keys) (first at line \(context.mark.line))")
        case .reader(let problem, let offset, _, _):
            let line = offset.map { source.line(ofOffset: $0) }
            return EnvironmentFileError(.invalidYAML, path: path, line: line, problem)
        default:
            return EnvironmentFileError(.invalidYAML, path: path, line: nil, "\(error)")
        }
    }

    /// The line at or just before `line` whose indentation contains a tab, if any.
    private static func tabIndentedLine(_ source: SourceText, near line: Int) -> Int? {
        for candidate in stride(from: min(line, source.lineStarts.count), through: max(1, line - 1), by: -1) {
            let bytes = source.lineBytes(candidate)
            var sawTab = false
            for byte in bytes {
                if byte == 0x09 {
                    sawTab = true
                } else if byte != 0x20 {
                    if sawTab && byte != UInt8(ascii: "#") { return candidate }
                    break
                }
            }
        }
        return nil
    }

    private static func secondOccurrence(of key: String?, in source: SourceText, after line: Int) -> Int? {
        guard let key else { return nil }
        let firstIndent = source.lineBytes(line).prefix { $0 == 0x20 }.count
        var candidate = line + 1
        while candidate <= source.lineStarts.count {
            let bytes = source.lineBytes(candidate)
            let indent = bytes.prefix { $0 == 0x20 }.count
            let rest = bytes.dropFirst(indent)
            if indent == firstIndent, rest.starts(with: Array(key.utf8)) {
                let after = rest.dropFirst(key.utf8.count).first { $0 != 0x20 }
                if after == UInt8(ascii: ":") { return candidate }
            }
            candidate += 1
        }
        return nil
    }

    private static func optionalString(
        _ node: Node, key: String, path: String
    ) throws(EnvironmentFileError)
        -> String?
    {
        if node.isNullScalar { return nil }
        guard let scalar = node.scalar else {
            throw EnvironmentFileError(
                .invalidStructure, path: path, line: node.mark?.line, "`\(key)` must be a string")
        }
        return scalar.string
    }

    private static func stringList(_ node: Node, key: String, path: String) throws(EnvironmentFileError) -> [String] {
        if node.isNullScalar { return [] }
        guard let sequence = node.sequence else {
            throw EnvironmentFileError(.invalidStructure, path: path, line: node.mark?.line, "`\(key)` must be a list")
        }
        var result: [String] = []
        for item in sequence {
            guard let scalar = item.scalar, !item.isNullScalar else {
                throw EnvironmentFileError(
                    .invalidStructure, path: path, line: item.mark?.line, "every entry of `\(key)` must be a string")
            }
            result.append(scalar.string)
        }
        return result
    }

    private static func stringMap(
        _ node: Node, key: String, path: String
    ) throws(EnvironmentFileError)
        -> [(key: String, value: String)]
    {
        if node.isNullScalar { return [] }
        guard let mapping = node.mapping else {
            throw EnvironmentFileError(
                .invalidStructure, path: path, line: node.mark?.line, "`\(key)` must be a mapping")
        }
        var result: [(key: String, value: String)] = []
        for (name, value) in mapping {
            guard let name = name.scalar?.string, let value = value.scalar?.string else {
                throw EnvironmentFileError(
                    .invalidStructure, path: path, line: value.mark?.line,
                    "`\(key)` must map names to plain values")
            }
            result.append((name, value))
        }
        return result
    }

    private static func readDependencies(
        _ node: Node, source: SourceText, path: String,
        conda: inout [EnvironmentDependency], pip: inout [EnvironmentDependency], notes: inout [String]
    ) throws(EnvironmentFileError) {
        if node.isNullScalar { return }
        guard let sequence = node.sequence else {
            throw EnvironmentFileError(
                .invalidStructure, path: path, line: node.mark?.line,
                "`dependencies` must be a list of package specs (and an optional `pip:` list)")
        }
        let flow = Self.isFlow(node, source: source)
        for item in sequence {
            switch item {
            case .scalar(let scalar):
                if item.isNullScalar {
                    throw EnvironmentFileError(
                        .invalidStructure, path: path, line: item.mark?.line, "empty entry in `dependencies`")
                }
                let dependency = try condaDependency(scalar, flow: flow, source: source, path: path)
                if let note = ignoredBracketNote(dependency) { notes.append(note) }
                conda.append(dependency)
            case .mapping(let mapping):
                for (keyNode, value) in mapping {
                    let key = keyNode.scalar?.string ?? ""
                    guard key == "pip" else {
                        notes.append(
                            "line \(keyNode.mark?.line ?? 0): `\(key):` section in dependencies is not read")
                        continue
                    }
                    if value.isNullScalar { continue }
                    guard let list = value.sequence else {
                        throw EnvironmentFileError(
                            .invalidStructure, path: path, line: value.mark?.line, "`pip:` must be a list")
                    }
                    let pipFlow = flow || Self.isFlow(value, source: source)
                    for entry in list {
                        guard case .scalar(let scalar) = entry, !entry.isNullScalar else {
                            throw EnvironmentFileError(
                                .invalidStructure, path: path, line: entry.mark?.line,
                                "every `pip:` entry must be a string")
                        }
                        pip.append(try pipDependency(scalar, flow: pipFlow, source: source, path: path))
                    }
                }
            default:
                throw EnvironmentFileError(
                    .invalidStructure, path: path, line: item.mark?.line,
                    "an entry of `dependencies` must be a package spec or a `pip:` list")
            }
        }
    }

    /// Whether a collection is written in flow style (`[a, b]`, `{k: v}`). Read from the source, since the style
    /// Yams reports for collections is not the one of their start.
    static func isFlow(_ node: Node, source: SourceText) -> Bool {
        guard let mark = node.mark, var offset = source.offset(line: mark.line, column: mark.column) else {
            return false
        }
        let bytes = source.bytes
        while offset < bytes.count, bytes[offset] == UInt8(ascii: "&") || bytes[offset] == UInt8(ascii: "!") {
            while offset < bytes.count, ![0x20, 0x09, 0x0A, 0x0D].contains(bytes[offset]) { offset += 1 }
            while offset < bytes.count, bytes[offset] == 0x20 || bytes[offset] == 0x09 { offset += 1 }
        }
        return offset < bytes.count && (bytes[offset] == UInt8(ascii: "[") || bytes[offset] == UInt8(ascii: "{"))
    }

    private static func condaDependency(
        _ scalar: Node.Scalar, flow: Bool, source: SourceText, path: String
    )
        throws(EnvironmentFileError) -> EnvironmentDependency
    {
        try condaDependency(
            raw: scalar.string, line: scalar.mark?.line ?? 0,
            location: ScalarLocation(scalar, flow: flow, source: source),
            path: path)
    }

    private static func pipDependency(
        _ scalar: Node.Scalar, flow: Bool, source: SourceText, path: String
    )
        throws(EnvironmentFileError) -> EnvironmentDependency
    {
        try pipDependency(
            raw: scalar.string, line: scalar.mark?.line ?? 0,
            location: ScalarLocation(scalar, flow: flow, source: source),
            path: path)
    }

    /// A conda entry whose value `raw` starts on `line` and lies in the file at `location`.
    static func condaDependency(
        raw: String, line: Int, location: ScalarLocation, path: String
    )
        throws(EnvironmentFileError) -> EnvironmentDependency
    {
        let spec: CondaMatchSpec
        do {
            spec = try CondaMatchSpec.parse(raw, dropBareBrackets: true)
        } catch {
            throw EnvironmentFileError(
                .invalidSpec, path: path, line: line, "conda would reject \(raw.debugDescription): \(error.reason)")
        }
        return EnvironmentDependency(
            manager: .conda, raw: raw, requirement: .conda(spec), line: line,
            quoting: location.quoting, valueRange: location.range,
            versionRange: location.map(spec.versionRange), buildRange: location.map(spec.buildRange),
            nodeStart: location.nodeStart)
    }

    /// A `pip:` entry whose value `raw` starts on `line` and lies in the file at `location`.
    static func pipDependency(
        raw: String, line: Int, location: ScalarLocation, path: String
    )
        throws(EnvironmentFileError) -> EnvironmentDependency
    {
        let parsed: PipLine
        do {
            parsed = try PipLine.parse(raw)
        } catch {
            throw EnvironmentFileError(
                .invalidSpec, path: path, line: line, "pip would reject \(raw.debugDescription): \(error.reason)")
        }
        switch parsed {
        case .requirement(let requirement):
            return EnvironmentDependency(
                manager: .pip, raw: raw, requirement: .pip(requirement), line: line,
                quoting: location.quoting, valueRange: location.range,
                versionRange: location.map(requirement.specifierRange), buildRange: nil, nodeStart: location.nodeStart)
        case .other(let reason):
            return EnvironmentDependency(
                manager: .pip, raw: raw, requirement: .other(reason: reason), line: line,
                quoting: location.quoting, valueRange: location.range, versionRange: nil, buildRange: nil,
                nodeStart: location.nodeStart)
        }
    }

    /// The note for a conda entry whose bracket section conda drops (`pymongo[srv]==4.2.0`).
    static func ignoredBracketNote(_ dependency: EnvironmentDependency) -> String? {
        guard case .conda(let spec) = dependency.requirement, let ignored = spec.ignoredBracket else { return nil }
        return "line \(dependency.line): `\(ignored)` in `\(dependency.raw)` holds no key=value; conda ignores "
            + "it (pip extras belong under `pip:`)"
    }
}

extension Node {
    fileprivate var isNullScalar: Bool {
        guard let scalar else { return false }
        guard scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }
}

/// Where a scalar's text lies in the file, found from its mark: Yams gives the start, the end is found here.
struct ScalarLocation {
    var quoting: ScalarQuoting
    /// Byte range of the text inside quotes; nil when that text is not byte for byte the loaded value.
    var range: Range<Int>?
    /// Byte offset of the node's mark (its anchor or tag when it has one).
    var nodeStart: Int?

    init(quoting: ScalarQuoting, range: Range<Int>?, nodeStart: Int?) {
        self.quoting = quoting
        self.range = range
        self.nodeStart = nodeStart
    }

    init(_ scalar: Node.Scalar, flow: Bool, source: SourceText) {
        nodeStart = scalar.mark.flatMap { source.offset(line: $0.line, column: $0.column) }
        switch scalar.style {
        case .singleQuoted: quoting = .single
        case .doubleQuoted: quoting = .double
        case .literal, .folded:
            quoting = .block
            range = nil
            return
        default: quoting = .plain
        }
        guard let mark = scalar.mark, var start = source.offset(line: mark.line, column: mark.column) else {
            range = nil
            return
        }
        let bytes = source.bytes
        // Skip node properties: an anchor `&name` or a tag `!tag` before the scalar itself.
        while start < bytes.count, bytes[start] == UInt8(ascii: "&") || bytes[start] == UInt8(ascii: "!") {
            while start < bytes.count, !Self.isSpaceOrBreak(bytes[start]) { start += 1 }
            while start < bytes.count, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        }
        let value = Array(scalar.string.utf8)
        var end = start
        switch quoting {
        case .single, .double:
            let quote = bytes[safe: start]
            guard quote == (quoting == .single ? UInt8(ascii: "'") : UInt8(ascii: "\"")) else {
                range = nil
                return
            }
            start += 1
            end = start
            while end < bytes.count, bytes[end] != quote, bytes[end] != 0x0A, bytes[end] != 0x0D,
                bytes[end] != UInt8(ascii: "\\")
            {
                end += 1
            }
            // The text must end at the closing quote, with no escapes or line folding inside.
            guard end < bytes.count, bytes[end] == quote, bytes[safe: end + 1] != quote else {
                range = nil
                return
            }
        case .plain:
            end = start
            while end < bytes.count {
                let byte = bytes[end]
                if byte == 0x0A || byte == 0x0D { break }
                if byte == UInt8(ascii: "#"), end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { break }
                if flow, byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") {
                    break
                }
                end += 1
            }
            while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        case .block:
            range = nil
            return
        }
        range = bytes[start..<end].elementsEqual(value) ? start..<end : nil
    }

    /// Shifts a range within the scalar's value to a range in the file.
    func map(_ inner: Range<Int>?) -> Range<Int>? {
        guard let range, let inner, inner.lowerBound >= 0, inner.upperBound <= range.count else { return nil }
        return (range.lowerBound + inner.lowerBound)..<(range.lowerBound + inner.upperBound)
    }

    private static func isSpaceOrBreak(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}

extension Array {
    subscript(safe index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }
}
