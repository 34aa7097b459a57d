/// PEP 503 name normalisation: runs of `-`, `_`, `.` become one `-`, then lowercase
/// (`re.sub(r"[-_.]+", "-", name).lower()`).
public func normalizedPythonPackageName(_ name: String) -> String {
    if let ascii = normalizedASCIIPackageName(name) { return ascii }
    var out = ""
    out.reserveCapacity(name.utf8.count)
    var inRun = false
    for scalar in name.unicodeScalars {
        if scalar == "-" || scalar == "_" || scalar == "." {
            if !inRun { out.unicodeScalars.append("-") }
            inRun = true
        } else {
            out.unicodeScalars.append(scalar)
            inRun = false
        }
    }
    return out.lowercased()
}

/// `normalizedPythonPackageName` for an ASCII name, on its bytes; nil for any other name.
private func normalizedASCIIPackageName(_ name: String) -> String? {
    var name = name
    return name.withUTF8 { bytes -> String? in
        var failed = false
        let result = String(unsafeUninitializedCapacity: bytes.count) { out in
            var count = 0
            var inRun = false
            for byte in bytes {
                if byte >= 0x80 {
                    failed = true
                    return 0
                }
                if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") {
                    if !inRun {
                        out[count] = UInt8(ascii: "-")
                        count += 1
                    }
                    inRun = true
                } else {
                    out[count] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 0x20 : byte
                    count += 1
                    inRun = false
                }
            }
            return count
        }
        return failed ? nil : result
    }
}

/// A PEP 508 requirement (`name[extras] specifiers ; marker` or `name @ url ; marker`), parsed with the
/// grammar of `packaging.requirements.Requirement` (26.x).
///
/// Accepted as packaging does: `[ \t]` whitespace between parts, the parenthesised form `name (>=1.0)`,
/// `name()` / `name[]`, a trailing comma after the last specifier, a final newline. Names follow
/// packaging's identifier token (`[A-Za-z0-9][A-Za-z0-9._-]*` ending at a word boundary), which also admits
/// a trailing `_` that the PEP 508 name pattern would not. Markers are checked against packaging's marker
/// grammar (variables, quoted strings, operators, `and`/`or`, parentheses) but kept as text. URLs are any
/// run of non-blank characters, so `name @ url;marker` needs a space before `;`.
///
/// All ranges are UTF-8 offsets into the parsed line, for lossless splicing.
public struct PEP508Requirement: Sendable, Hashable {
    public var name: String
    public var extras: [String] {
        get { rare.stored?.extras ?? [] }
        set { rare.update { $0.extras = newValue } }
    }
    /// The specifier text as written (`==1.2`, `>= 1, <2`, `(>=1)` without the parentheses), nil when none.
    public var specifierText: String?
    public var specifier: PEP440SpecifierSet? {
        get {
            switch storedSpecifier {
            case .parsed(let specifier): specifier
            case .fromText: specifierText.flatMap { try? PEP440SpecifierSet($0) }
            }
        }
        set { storedSpecifier = .parsed(newValue) }
    }
    /// The specifier set, or for a plain `==1.2.3` pin a note to parse `specifierText` each time it is asked for:
    /// such a text always parses, and the drift and the editor read a plain pin's text directly.
    fileprivate var storedSpecifier: StoredSpecifier

    fileprivate enum StoredSpecifier: Sendable {
        case parsed(PEP440SpecifierSet?)
        case fromText
    }
    /// UTF-8 offsets of exactly `specifierText` within the parsed line.
    public var specifierRange: Range<Int>?
    public var url: String? {
        get { rare.stored?.url }
        set { rare.update { $0.url = newValue } }
    }
    /// The marker text after `;`, trimmed, nil when none.
    public var marker: String? {
        get { rare.stored?.marker }
        set { rare.update { $0.marker = newValue } }
    }
    /// UTF-8 offsets of the name within the line.
    public var nameRange: Range<Int>?
    /// UTF-8 offsets of `marker` within the line.
    public var markerRange: Range<Int>? {
        get { rare.stored?.markerRange }
        set { rare.update { $0.markerRange = newValue } }
    }
    /// Extras, URL and marker, which most requirements have none of, kept out of line (a workspace holds a
    /// requirement per pip dependency).
    private var rare = OutOfLine<RareFields>()

    private struct RareFields: OutOfLineFields {
        var extras: [String] = []
        var url: String?
        var marker: String?
        var markerRange: Range<Int>?
    }
    /// Where a specifier belongs when there is none (after the name and extras, or inside empty
    /// parentheses); nil for URL requirements.
    public var specifierInsertionOffset: Int?

    public init(
        name: String, extras: [String] = [], specifierText: String? = nil, specifier: PEP440SpecifierSet? = nil,
        specifierRange: Range<Int>? = nil, url: String? = nil, marker: String? = nil
    ) {
        self.name = name
        self.specifierText = specifierText
        self.storedSpecifier = .parsed(specifier)
        self.specifierRange = specifierRange
        if !extras.isEmpty || url != nil || marker != nil {
            rare = OutOfLine(boxing: RareFields(extras: extras, url: url, marker: marker))
        }
    }

    public static func == (lhs: PEP508Requirement, rhs: PEP508Requirement) -> Bool {
        lhs.name == rhs.name && lhs.extras == rhs.extras && lhs.specifierText == rhs.specifierText
            && lhs.specifierRange == rhs.specifierRange && lhs.url == rhs.url && lhs.marker == rhs.marker
            && lhs.nameRange == rhs.nameRange && lhs.markerRange == rhs.markerRange
            && lhs.specifierInsertionOffset == rhs.specifierInsertionOffset && lhs.specifier == rhs.specifier
    }

    /// Every field but the parsed specifier set (equal requirements have equal texts, so the hash stays consistent).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(extras)
        hasher.combine(specifierText)
        hasher.combine(specifierRange)
        hasher.combine(url)
        hasher.combine(marker)
        hasher.combine(nameRange)
        hasher.combine(markerRange)
        hasher.combine(specifierInsertionOffset)
    }

    /// PEP 503-normalised name.
    public var normalizedName: String { normalizedPythonPackageName(name) }

    /// Parses one requirement; throws with packaging's message and the offset of the problem.
    public static func parse(_ line: String) throws(VersionError) -> PEP508Requirement {
        let bytes = Array(line.utf8)
        var parser = RequirementParser(bytes: bytes, line: line)
        return try parser.parseRequirement()
    }
}

/// Recursive-descent parser mirroring packaging's `_parser.py` token rules on UTF-8 bytes.
struct RequirementParser {
    let bytes: [UInt8]
    let line: String
    var position = 0

    init(bytes: [UInt8], line: String) {
        self.bytes = bytes
        self.line = line
    }

    func fail(_ message: String, at offset: Int? = nil) -> VersionError {
        VersionError(scheme: .pep440, input: line, reason: "\(message) (at offset \(offset ?? position))")
    }

    func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    var atEnd: Bool {
        // Python's `$`: the end, or just before a final newline.
        position == bytes.count || (position == bytes.count - 1 && bytes[position] == UInt8(ascii: "\n"))
    }

    func peek(_ byte: Character) -> Bool {
        position < bytes.count && bytes[position] == byte.asciiValue
    }

    mutating func consumeWhitespace() {
        while position < bytes.count && (bytes[position] == 0x20 || bytes[position] == 0x09) { position += 1 }
    }

    /// Python's `\w` for the scalar starting at `index` (false past the end).
    func isWordCharacter(at index: Int) -> Bool {
        guard index >= 0, index < bytes.count else { return false }
        let byte = bytes[index]
        if byte < 0x80 {
            return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F
        }
        var start = index
        while start > 0 && (bytes[start] & 0xC0) == 0x80 { start -= 1 }
        let decoded = bytes[start...].withUnsafeBufferPointer { PythonText.scalarAt($0, 0, $0.count) }
        guard let decoded, let scalar = Unicode.Scalar(decoded.value) else { return false }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }

    /// Word boundary at `index` (between `index - 1` and `index`).
    func isBoundary(at index: Int) -> Bool {
        var previous = index - 1
        while previous > 0 && (bytes[previous] & 0xC0) == 0x80 { previous -= 1 }
        return isWordCharacter(at: previous) != isWordCharacter(at: index)
    }

    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    /// `\b[a-zA-Z0-9][a-zA-Z0-9._-]*\b` at the current position.
    func matchIdentifier() -> Range<Int>? {
        guard position < bytes.count, isBoundary(at: position) else { return nil }
        let first = bytes[position]
        guard Self.isIdentifierByte(first), first != UInt8(ascii: "."), first != UInt8(ascii: "-"),
            first != UInt8(ascii: "_")
        else { return nil }
        var end = position + 1
        while end < bytes.count && Self.isIdentifierByte(bytes[end]) { end += 1 }
        while end > position {
            if isBoundary(at: end) { return position..<end }
            end -= 1
        }
        return nil
    }

    mutating func parseRequirement() throws(VersionError) -> PEP508Requirement {
        consumeWhitespace()
        guard let nameRange = matchIdentifier() else {
            throw fail("Expected package name at the start of dependency specifier")
        }
        position = nameRange.upperBound
        var result = PEP508Requirement(name: text(nameRange))
        result.nameRange = nameRange
        consumeWhitespace()
        result.extras = try parseExtras()
        let afterExtras = position
        consumeWhitespace()
        if peek("@") {
            position += 1
            consumeWhitespace()
            let urlStart = position
            while position < bytes.count && bytes[position] != 0x20 && bytes[position] != 0x09 { position += 1 }
            guard position > urlStart else { throw fail("Expected URL after @") }
            result.url = text(urlStart..<position)
            if !atEnd {
                guard position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x09 else {
                    throw fail("Expected whitespace after URL")
                }
                consumeWhitespace()
                if !atEnd {
                    try parseRequirementMarker(
                        into: &result, spanStart: urlStart, expected: "semicolon (after URL and whitespace)")
                }
            }
        } else {
            let specifierStart = position
            try parseSpecifier(into: &result, insertionDefault: afterExtras)
            consumeWhitespace()
            if !atEnd {
                let expected =
                    result.specifierText != nil
                    ? "comma (within version specifier), semicolon (after version specifier)"
                    : "semicolon (after name with no version specifier)"
                try parseRequirementMarker(into: &result, spanStart: specifierStart, expected: expected)
            }
        }
        guard atEnd else { throw fail("Expected end of dependency specifier") }
        return result
    }

    mutating func parseExtras() throws(VersionError) -> [String] {
        guard peek("[") else { return [] }
        let open = position
        position += 1
        consumeWhitespace()
        var extras: [String] = []
        if let first = matchIdentifier() {
            extras.append(text(first))
            position = first.upperBound
            while true {
                consumeWhitespace()
                if matchIdentifier() != nil { throw fail("Expected comma between extra names") }
                guard peek(",") else { break }
                position += 1
                consumeWhitespace()
                guard let next = matchIdentifier() else { throw fail("Expected extra name after comma") }
                extras.append(text(next))
                position = next.upperBound
            }
        }
        consumeWhitespace()
        guard peek("]") else {
            throw fail("Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras", at: open)
        }
        position += 1
        return extras
    }

    mutating func parseSpecifier(into result: inout PEP508Requirement, insertionDefault: Int) throws(VersionError) {
        var open: Int?
        if peek("(") {
            open = position
            position += 1
        }
        consumeWhitespace()
        let insertion = open == nil ? insertionDefault : position
        var textStart: Int?
        var textEnd = position
        while true {
            let match = bytes.withUnsafeBufferPointer { SpecifierScanner.scan($0, from: position, end: $0.count) }
            guard let match else { break }
            let tokenStart = position
            if textStart == nil { textStart = position }
            position = match.end
            textEnd = position
            if position + 1 < bytes.count && bytes[position] == UInt8(ascii: ".")
                && bytes[position + 1] == UInt8(ascii: "*")
            {
                throw fail(".* suffix can only be used with `==` or `!=` operators", at: tokenStart)
            }
            if hasLocalLabelTrail() {
                throw fail("Local version label can only be used with `==` or `!=` operators", at: tokenStart)
            }
            consumeWhitespace()
            guard peek(",") else { break }
            position += 1
            textEnd = position
            consumeWhitespace()
        }
        consumeWhitespace()
        if let open {
            guard peek(")") else {
                throw fail(
                    "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier", at: open)
            }
            position += 1
        }
        result.specifierInsertionOffset = insertion
        guard let textStart else { return }
        let written = text(textStart..<textEnd)
        result.specifierText = written
        result.specifierRange = textStart..<textEnd
        do {
            result.specifier = try PEP440SpecifierSet(written)
        } catch {
            throw fail(error.reason, at: textStart)
        }
    }

    /// packaging's `VERSION_LOCAL_LABEL_TRAIL`: `\+[a-z0-9]+…` (lowercase only).
    func hasLocalLabelTrail() -> Bool {
        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "+") else { return false }
        let next = bytes[position + 1]
        return (next >= 0x30 && next <= 0x39) || (next >= 0x61 && next <= 0x7A)
    }

    mutating func parseRequirementMarker(
        into result: inout PEP508Requirement, spanStart: Int, expected: String
    ) throws(VersionError) {
        guard peek(";") else { throw fail("Expected \(expected) or end", at: spanStart) }
        position += 1
        var markerStart = position
        try parseMarker()
        var markerEnd = position
        consumeWhitespace()
        while markerStart < markerEnd && (bytes[markerStart] == 0x20 || bytes[markerStart] == 0x09) {
            markerStart += 1
        }
        while markerEnd > markerStart && (bytes[markerEnd - 1] == 0x20 || bytes[markerEnd - 1] == 0x09) {
            markerEnd -= 1
        }
        result.marker = text(markerStart..<markerEnd)
        result.markerRange = markerStart..<markerEnd
    }

    // MARK: markers

    mutating func parseMarker() throws(VersionError) {
        try parseMarkerAtom()
        while matchWord("or") || matchWord("and") {
            try parseMarkerAtom()
        }
    }

    mutating func parseMarkerAtom() throws(VersionError) {
        consumeWhitespace()
        if peek("(") {
            let open = position
            position += 1
            consumeWhitespace()
            try parseMarker()
            consumeWhitespace()
            guard peek(")") else {
                throw fail(
                    "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression", at: open)
            }
            position += 1
        } else {
            consumeWhitespace()
            try parseMarkerVariable()
            consumeWhitespace()
            try parseMarkerOperator()
            consumeWhitespace()
            try parseMarkerVariable()
            consumeWhitespace()
        }
        consumeWhitespace()
    }

    static let markerVariables: [String] = [
        "python_version", "python_full_version", "os_name", "os.name", "sys_platform", "sys.platform",
        "platform_release", "platform_system", "platform_version", "platform.version", "platform_machine",
        "platform.machine", "platform_python_implementation", "platform.python_implementation",
        "python_implementation", "implementation_name", "implementation_version", "extras", "extra",
        "dependency_groups",
    ]

    /// `\bword\b` at the current position; consumes it when found.
    mutating func matchWord(_ word: String) -> Bool {
        let utf8 = Array(word.utf8)
        guard position + utf8.count <= bytes.count, bytes[position..<(position + utf8.count)].elementsEqual(utf8),
            isBoundary(at: position), isBoundary(at: position + utf8.count)
        else { return false }
        position += utf8.count
        return true
    }

    mutating func parseMarkerVariable() throws(VersionError) {
        for name in Self.markerVariables where matchWord(name) { return }
        if peek("'") || peek("\"") {
            let quote = bytes[position]
            var end = position + 1
            while end < bytes.count && bytes[end] != quote { end += 1 }
            if end < bytes.count {
                position = end + 1
                return
            }
        }
        throw fail("Expected a marker variable or quoted string")
    }

    mutating func parseMarkerOperator() throws(VersionError) {
        if matchWord("in") { return }
        if matchWord("not") {
            guard peek(" ") || peek("\t") else { throw fail("Expected whitespace after 'not'") }
            consumeWhitespace()
            guard matchWord("in") else { throw fail("Expected 'in' after 'not'") }
            return
        }
        for op in ["===", "==", "~=", "!=", "<=", ">=", "<", ">"] {
            let utf8 = Array(op.utf8)
            if position + utf8.count <= bytes.count && bytes[position..<(position + utf8.count)].elementsEqual(utf8) {
                position += utf8.count
                return
            }
        }
        throw fail("Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in")
    }
}

/// One line of a pip requirements list (the `- pip:` block of an env file, or a requirements file).
///
/// Classification follows pip's requirement-line handling: a `#` that starts the line or follows
/// whitespace begins a comment (pip's `(^|\s+)#.*$`; `pkg#frag` keeps its `#`); per-requirement options
/// after the requirement (`pkg==1 --hash=…`, split at the first space-separated token starting with `-`)
/// are ignored when parsing, and all ranges still index the original line.
public enum PipLine: Sendable, Hashable {
    /// A requirement smsync may read and edit.
    case requirement(PEP508Requirement)
    /// A line that is not a requirement (`-r file`, `-e .`, `--index-url …`, `git+https://…`, a bare path):
    /// kept as it is and never edited. `reason` says what it is.
    case other(reason: String)

    static let archiveSuffixes = [
        ".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tlz", ".tar.lz",
        ".tar.lzma",
    ]

    /// Classifies a line; throws only for a line that looks like a requirement but is malformed.
    public static func parse(_ line: String) throws(VersionError) -> PipLine {
        if let simple = simpleRequirement(line) { return .requirement(simple) }
        return try parseFully(line)
    }

    /// `parse` without the one-pass reading of `name==version`.
    static func parseFully(_ line: String) throws(VersionError) -> PipLine {
        let bytes = Array(line.utf8)
        let contentEnd = commentStart(bytes)
        var requirementEnd = contentEnd
        // pip's break_args_options: the requirement ends before the first " -"-started token.
        var index = 0
        while index < contentEnd {
            if bytes[index] == 0x20 {
                let next = index + 1
                if next < contentEnd && bytes[next] == UInt8(ascii: "-") {
                    requirementEnd = index
                    break
                }
            }
            index += 1
        }
        let body = bytes[..<requirementEnd].withUnsafeBufferPointer { buffer in
            let end = PythonText.trimSpaceEnd(buffer, from: 0, to: buffer.count)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<end]), as: UTF8.self)
        }
        let trimmed = PythonText.strip(String(decoding: bytes[..<contentEnd], as: UTF8.self))
        if trimmed.isEmpty { return .other(reason: "blank line or comment") }
        if trimmed.hasPrefix("-") {
            let option = trimmed.prefix { $0 != " " && $0 != "\t" && $0 != "=" }
            return .other(reason: "pip option \(option)")
        }
        let lower = trimmed.lowercased()
        for vcs in ["git+", "hg+", "svn+", "bzr+"] where lower.hasPrefix(vcs) {
            return .other(reason: "VCS URL")
        }
        if hasURLScheme(lower) || lower.hasPrefix("file:") { return .other(reason: "URL") }
        if lower.hasPrefix(".") || lower.hasPrefix("/") || lower.hasPrefix("~") || lower.hasPrefix("\\")
            || isWindowsDrivePath(lower)
        {
            return .other(reason: "local path")
        }
        let beforeMarker = String(lower.prefix { $0 != ";" })
        let beforeAt = beforeMarker.prefix { $0 != "@" }
        if !beforeMarker.contains("@") {
            if beforeAt.contains("/") || beforeAt.contains("\\") { return .other(reason: "local path") }
            let name = PythonText.strip(beforeMarker)
            if archiveSuffixes.contains(where: { name.hasSuffix($0) }) { return .other(reason: "archive file") }
        }
        return .requirement(try PEP508Requirement.parse(body))
    }

    /// `name==version` as `pip freeze` writes it, read in one pass: a name of ASCII letters, digits, `.`, `_` and
    /// `-` that starts and ends with a letter or digit, `==`, and a version of digits, lowercase letters and dots
    /// that PEP 440 accepts. No space, comment, option, URL, path, extra, marker or archive suffix can be in such a
    /// line, so the full parse would take exactly these steps; nil for anything else (the full parse then decides,
    /// and says why when it refuses).
    static func simpleRequirement(_ line: String) -> PEP508Requirement? {
        var line = line
        return line.withUTF8 { bytes -> PEP508Requirement? in
            let count = bytes.count
            var nameEnd = 0
            while nameEnd < count, RequirementParser.isIdentifierByte(bytes[nameEnd]) { nameEnd += 1 }
            guard nameEnd > 0, isAlphanumeric(bytes[0]), isAlphanumeric(bytes[nameEnd - 1]),
                nameEnd + 2 < count, bytes[nameEnd] == UInt8(ascii: "="), bytes[nameEnd + 1] == UInt8(ascii: "=")
            else { return nil }
            let versionStart = nameEnd + 2
            for index in versionStart..<count {
                let byte = bytes[index]
                guard (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: ".")
                else { return nil }
            }
            let written = String(decoding: UnsafeBufferPointer(rebasing: bytes[nameEnd...]), as: UTF8.self)
            if CondaMatchSpec.isDottedNumber(UnsafeBufferPointer(rebasing: bytes[versionStart...])) {
                var result = PEP508Requirement(
                    name: String(decoding: UnsafeBufferPointer(rebasing: bytes[..<nameEnd]), as: UTF8.self),
                    specifierText: written, specifierRange: nameEnd..<count)
                result.storedSpecifier = .fromText
                result.nameRange = 0..<nameEnd
                result.specifierInsertionOffset = nameEnd
                return result
            }
            let specifier: PEP440SpecifierSet
            if let known = simpleSpecifiers.value(for: written) {
                specifier = known
            } else {
                guard let parsed = try? PEP440SpecifierSet(written) else { return nil }
                simpleSpecifiers.insert(parsed, for: written)
                specifier = parsed
            }
            var result = PEP508Requirement(
                name: String(decoding: UnsafeBufferPointer(rebasing: bytes[..<nameEnd]), as: UTF8.self),
                specifierText: written, specifier: specifier, specifierRange: nameEnd..<count)
            result.nameRange = 0..<nameEnd
            result.specifierInsertionOffset = nameEnd
            return result
        }
    }

    /// `==version` specifier sets parsed so far, by text: the same pins recur across files.
    private static let simpleSpecifiers = ParseCache<PEP440SpecifierSet>()

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    /// Byte offset where pip's comment starts (the whitespace before `#` included), or the line length.
    static func commentStart(_ bytes: [UInt8]) -> Int {
        for index in bytes.indices where bytes[index] == UInt8(ascii: "#") {
            if index == 0 { return 0 }
            let previous = bytes[index - 1]
            if previous == 0x20 || (previous >= 0x09 && previous <= 0x0D) {
                var start = index - 1
                while start > 0 && (bytes[start - 1] == 0x20 || (bytes[start - 1] >= 0x09 && bytes[start - 1] <= 0x0D))
                {
                    start -= 1
                }
                return start
            }
        }
        return bytes.count
    }

    static func hasURLScheme(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else { return false }
        let scheme = text[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter else { return false }
        return scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }
    }

    static func isWindowsDrivePath(_ text: String) -> Bool {
        let chars = Array(text.prefix(3))
        return chars.count == 3 && chars[0].isASCII && chars[0].isLetter && chars[1] == ":"
            && (chars[2] == "\\" || chars[2] == "/")
    }
}
