/// One conda package requirement as it appears in an environment file, parsed as conda's `MatchSpec`
/// (`_parse_spec_str` in conda/models/match_spec.py).
///
/// Accepted forms: `name`, `name=1.2`, `name=1.2=build`, `name==1.2`, `name>=1,<2`, `name 1.2`,
/// `name 1.2 build`, `name * build`, `channel::name…`, `channel/subdir::name…`, and one bracket section
/// `name[version='>=1,<2', build='*cpu*']` (values in single, double or no quotes; keys separated by
/// `,` and/or spaces; bracket keys override the same information outside). A `#` starts a comment.
///
/// Meaning, as in conda: `name=1.2` is version `1.2*` (starts with 1.2); `name=1.2=b` and `name==1.2=b`
/// are exactly `1.2` with build `b`; `name==1.2` and `name 1.2` are exactly 1.2; `name` alone (and
/// `name=` with nothing after it) matches any version. Spaces inside the version are ignored
/// (`name >=1.0 , < 2.0`).
///
/// Rejected here although conda accepts them, because they are mistakes in an environment file or
/// do not describe one package version: package names with characters other than ASCII letters,
/// digits, `.`, `_`, `-` (conda's parser accepts any character except space and `=<>!~`, and `*` as a
/// glob; `*` is accepted here too); builds containing spaces; a single `:` namespace (`ns:name`);
/// parentheses outside brackets (conda silently drops them with their content); `name@` feature specs;
/// package file names and URLs; ` if ` conditions (current conda no longer ignores them).
/// Channel names are kept as written, except that a trailing known platform (`/linux-64`,
/// `/noarch`, …) becomes `subdir`; conda would also shorten channel URLs to their canonical name.
public struct CondaMatchSpec: Sendable, Hashable {
    /// How the version (and build) were written; the lossless editor keeps the form.
    public enum Form: Sendable, Hashable {
        /// `name` alone.
        case nameOnly
        /// `name=1.2` or `name=1.2=build` (conda's `=` separator form).
        case equals
        /// `name 1.2` or `name 1.2 build` (space separated).
        case spaced
        /// `name==1.2`, `name>=1.2,<2`, `name~=1.2`, `name<2|>3` ... (operator glued to the name).
        case glued
        /// `name[version='>=1,<2', build='*cpu*']`.
        case bracket
    }

    public var channel: String? {
        get { rare.stored?.channel }
        set { rare.update { $0.channel = newValue } }
    }
    public var subdir: String? {
        get { rare.stored?.subdir }
        set { rare.update { $0.subdir = newValue } }
    }
    /// The package name as written (conda compares names lower-cased).
    public var name: String
    /// Version-spec text as written: for `name=1.2` it is `=1.2`, for `name==1.2` `==1.2`,
    /// for `name>=1,<2` `>=1,<2`, for `name 1.2` `1.2`, for `name=1.2=b` `=1.2`; for a bracket
    /// `version` key the value without its quotes.
    public var versionText: String?
    /// The parsed version spec (`name=1.2` means `1.2.*`, `name=1.2=b` means exactly `1.2`).
    public var version: CondaVersionSpec? {
        get {
            switch storedVersion {
            case .parsed(let version): version
            case .fromText: versionText.flatMap { try? Self.versionSpec(Self.sanitize($0, hasBuild: build != nil)) }
            }
        }
        set { storedVersion = .parsed(newValue) }
    }
    /// The version spec, or for a plain pin (`=1.2.3`, `==1.2.3`, no build) a note to parse `versionText` each time
    /// it is asked for: such a text always parses, and most readers of an env file never ask (the drift and the
    /// editor read a plain pin's text directly).
    private var storedVersion: StoredVersion

    private enum StoredVersion: Sendable {
        case parsed(CondaVersionSpec?)
        case fromText
    }
    public var build: String? {
        get { rare.stored?.build }
        set { rare.update { $0.build = newValue } }
    }
    public var form: Form
    /// UTF-8 offsets, within the parsed string, of exactly `versionText` (so for `name=1.2=b` they cover `=1.2`).
    public var versionRange: Range<Int>?
    /// UTF-8 offsets of the build string together with the separator before it (`=py36_0` or ` py36_0`);
    /// nil for bracket builds and when there is no build.
    public var buildRange: Range<Int>? {
        get { rare.stored?.buildRange }
        set { rare.update { $0.buildRange = newValue } }
    }
    /// Other bracket keys conda knows (`build_number`, `md5`, `sha256`, `license`, `features`, …),
    /// values without quotes. `name` inside brackets is ignored, as conda does.
    public var otherKeys: [String: String] {
        get { rare.stored?.otherKeys ?? [:] }
        set { rare.update { $0.otherKeys = newValue } }
    }
    /// A bracket section with no `key=value` in it (`[srv]`), dropped when parsed with `dropBareBrackets`.
    public var ignoredBracket: String? {
        get { rare.stored?.ignoredBracket }
        set { rare.update { $0.ignoredBracket = newValue } }
    }

    /// Channel, subdir, build and bracket extras, which most entries of an env file have none of, kept out of
    /// line: a workspace holds a spec per dependency, and inline they would nearly double its size.
    private var rare = OutOfLine<RareFields>()

    private struct RareFields: OutOfLineFields {
        var channel: String?
        var subdir: String?
        var build: String?
        var buildRange: Range<Int>?
        var otherKeys: [String: String] = [:]
        var ignoredBracket: String?
    }

    public init(
        channel: String? = nil, subdir: String? = nil, name: String, versionText: String? = nil,
        version: CondaVersionSpec? = nil, build: String? = nil, form: Form,
        versionRange: Range<Int>? = nil, buildRange: Range<Int>? = nil
    ) {
        self.name = name
        self.versionText = versionText
        self.storedVersion = .parsed(version)
        self.form = form
        self.versionRange = versionRange
        if channel != nil || subdir != nil || build != nil || buildRange != nil {
            rare = OutOfLine(boxing: RareFields(channel: channel, subdir: subdir, build: build, buildRange: buildRange))
        }
    }

    public static func == (lhs: CondaMatchSpec, rhs: CondaMatchSpec) -> Bool {
        lhs.channel == rhs.channel && lhs.subdir == rhs.subdir && lhs.name == rhs.name
            && lhs.versionText == rhs.versionText && lhs.build == rhs.build && lhs.form == rhs.form
            && lhs.versionRange == rhs.versionRange && lhs.buildRange == rhs.buildRange
            && lhs.otherKeys == rhs.otherKeys && lhs.ignoredBracket == rhs.ignoredBracket
            && lhs.version == rhs.version
    }

    /// Every field but the parsed version (equal specs have equal texts, so the hash stays consistent).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(channel)
        hasher.combine(subdir)
        hasher.combine(name)
        hasher.combine(versionText)
        hasher.combine(build)
        hasher.combine(form)
        hasher.combine(versionRange)
        hasher.combine(buildRange)
        hasher.combine(otherKeys)
        hasher.combine(ignoredBracket)
    }

    /// Whether a package with this name, version and build satisfies the spec: the name compared
    /// lower-cased (with `*` globs), the version spec, and the build as a glob (`*`) or `^…$` regex,
    /// as conda's `MatchSpec.match` does for these three fields.
    public func matches(
        name candidateName: String, version candidate: CondaVersion, build candidateBuild: String
    )
        -> Bool
    {
        guard Self.globMatch(name.lowercased(), candidateName.lowercased()) else { return false }
        if let version, !version.matches(candidate) { return false }
        if let build {
            if build.hasPrefix("^") && build.hasSuffix("$") {
                guard let rx = try? CondaRegex(build) else { return false }
                return rx.matches(candidateBuild)
            }
            return Self.globMatch(build, candidateBuild)
        }
        return true
    }

    static func globMatch(_ pattern: String, _ text: String) -> Bool {
        var t = text
        return t.withUTF8 { CondaVersionSpec.Leaf.globMatch(Array(pattern.utf8)[...], $0[...]) }
    }

    // MARK: Parsing

    static let knownKeys: Set<String> = [
        "channel", "subdir", "name", "version", "build", "build_number", "track_features", "features", "url",
        "md5", "sha256", "license", "license_family", "fn", "when", "extras", "flags",
    ]

    static let knownSubdirs: Set<String> = [
        "noarch", "emscripten-wasm32", "wasi-wasm32", "freebsd-64", "linux-32", "linux-64", "linux-aarch64",
        "linux-armv6l", "linux-armv7l", "linux-ppc64", "linux-ppc64le", "linux-riscv64", "linux-s390x",
        "osx-64", "osx-arm64", "win-32", "win-64", "win-arm64", "zos-z",
    ]

    /// Text kept for parsing with the UTF-8 offset of every byte in the original input.
    struct Piece {
        var bytes: [UInt8]
        var offsets: [Int]

        var string: String { String(decoding: bytes, as: UTF8.self) }

        func slice(_ r: Range<Int>) -> Piece { Piece(bytes: Array(bytes[r]), offsets: Array(offsets[r])) }

        /// Original offsets covered by `r` (non-empty).
        func original(_ r: Range<Int>) -> Range<Int> { offsets[r.lowerBound]..<(offsets[r.upperBound - 1] + 1) }

        func trimmed() -> Piece {
            var lo = 0
            var hi = bytes.count
            while lo < hi && CondaVersionParser.isASCIISpace(bytes[lo]) { lo += 1 }
            while hi > lo && CondaVersionParser.isASCIISpace(bytes[hi - 1]) { hi -= 1 }
            return slice(lo..<hi)
        }
    }

    struct Failure: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// Parses one requirement; throws a `VersionError` (scheme `.conda`) naming the problem.
    ///
    /// `dropBareBrackets`: a bracket section with no `key=value` in it (`pymongo[srv]==4.2.0`, pip extras written in
    /// a conda list) is dropped and kept in `ignoredBracket`, as conda's `_parse_spec_str` has long done when it
    /// reads an environment file (its bracket regex matches nothing and the section goes); without it, refused.
    public static func parse(_ text: String, dropBareBrackets: Bool = false) throws(VersionError) -> CondaMatchSpec {
        do throws(Failure) {
            return try parseSpec(text, dropBareBrackets: dropBareBrackets)
        } catch {
            throw VersionError.conda(text, error.reason)
        }
    }

    /// Whether the bytes hold ` if ` (a conditional spec), without the cost of a string search.
    static func containsConditional(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 0x20 && bytes[index + 1] == 0x69 && bytes[index + 2] == 0x66 && bytes[index + 3] == 0x20 {
            return true
        }
        return false
    }

    static func parseSpec(_ text: String, dropBareBrackets: Bool = false) throws(Failure) -> CondaMatchSpec {
        if let simple = simpleSpec(text) { return simple }
        return try fullSpec(text, dropBareBrackets: dropBareBrackets)
    }

    /// Every step of conda's `_parse_spec_str`, for any spec.
    static func fullSpec(_ text: String, dropBareBrackets: Bool = false) throws(Failure) -> CondaMatchSpec {
        let all = Array(text.utf8)
        if all.contains(0x0A) || all.contains(0x0D) { throw Failure("line break inside a package spec") }
        var piece = Piece(bytes: all, offsets: Array(0..<all.count))
        // Step 1: a '#' comment
        if let hash = piece.bytes.firstIndex(of: 0x23) { piece = piece.slice(0..<hash) }
        let spec = piece.string
        if spec.trimmingASCIISpaces().hasSuffix("@") { throw Failure("feature specs ('name@') are not supported") }
        if Self.containsConditional(piece.bytes) { throw Failure("conditional specs (' if ') are not supported") }
        if spec.hasSuffix(".conda") || spec.hasSuffix(".tar.bz2") {
            throw Failure("package files and URLs are not supported here")
        }

        // Step 3: the bracket section
        var brackets: [(key: String, value: Piece)] = []
        var ignoredBracket: String?
        if let open = piece.bytes.firstIndex(of: 0x5B) {
            let close = try bracketEnd(piece.bytes, open)
            let inner = piece.slice((open + 1)..<close)
            if dropBareBrackets, !inner.bytes.contains(0x3D) {
                // conda's bracket regex finds no `key=value` in `[srv]` and the section goes, silently.
                ignoredBracket = piece.slice(open..<(close + 1)).string
            } else {
                brackets = try parseBrackets(inner)
            }
            let after = piece.slice((close + 1)..<piece.bytes.count)
            if after.bytes.contains(0x5B) || after.bytes.contains(0x5D) {
                throw Failure("only one bracket section is allowed")
            }
            piece = Piece(
                bytes: Array(piece.bytes[..<open]) + after.bytes, offsets: Array(piece.offsets[..<open]) + after.offsets
            )
        } else if piece.bytes.contains(0x5D) {
            throw Failure("unbalanced brackets: ']' without '['")
        }
        // Step 4: parentheses
        if piece.bytes.contains(0x28) || piece.bytes.contains(0x29) {
            throw Failure("parentheses are only supported inside a bracket version, e.g. name[version='(>=1,<2)|>3']")
        }

        // Step 5: channel
        var channel: String?
        var subdir: String?
        if let lastColon = piece.bytes.lastIndex(of: 0x3A) {
            guard lastColon > 0 && piece.bytes[lastColon - 1] == 0x3A else {
                throw Failure("a single ':' is not supported; write the channel as 'channel::name'")
            }
            let chan = piece.slice(0..<(lastColon - 1)).string
            piece = piece.slice((lastColon + 1)..<piece.bytes.count)
            (channel, subdir) = splitChannel(chan)
        }
        for (key, value) in brackets {
            if key == "channel" {
                let (c, s) = splitChannel(value.string)
                if let c { channel = c }
                if let s { subdir = s }
            }
        }
        for (key, value) in brackets where key == "subdir" { subdir = value.string }

        // Step 6: name
        var nameEnd = 0
        while nameEnd < piece.bytes.count && !isNameStop(piece.bytes[nameEnd]) { nameEnd += 1 }
        guard nameEnd > 0 else {
            throw Failure("no package name found in '\(piece.string)'")
        }
        let name = piece.slice(0..<nameEnd).string
        for c in name.utf8 where !isNameByte(c) {
            throw Failure("invalid character '\(Unicode.Scalar(c))' in package name '\(name)'")
        }
        var result = CondaMatchSpec(name: name, form: .nameOnly)
        result.channel = channel
        result.subdir = subdir
        result.ignoredBracket = ignoredBracket

        // Step 7: version and build
        var versionPiece: Piece?
        var buildText: String?
        if piece.bytes.count - nameEnd >= 2 {
            let rest = piece.slice(nameEnd..<piece.bytes.count)
            let separator = rest.bytes[0]
            let body = rest.trimmed()
            if !body.bytes.isEmpty {
                let (v, b) = splitVersionBuild(body)
                versionPiece = v.trimmed()
                if let b, !body.slice(b.build).trimmed().bytes.isEmpty {
                    let bt = body.slice(b.build).trimmed()
                    if bt.bytes.contains(where: { CondaVersionParser.isASCIISpace($0) }) {
                        throw Failure("unexpected text after the build string '\(bt.string)'")
                    }
                    buildText = bt.string
                    result.build = bt.string
                    result.buildRange = body.offsets[b.separator]..<(bt.offsets[bt.offsets.count - 1] + 1)
                }
                if separator == 0x20 {
                    result.form = .spaced
                } else if separator == 0x3D && rest.bytes[1] != 0x3D {
                    result.form = .equals
                } else {
                    result.form = .glued
                }
            }
        }
        if let vp = versionPiece, !vp.bytes.isEmpty {
            let written = vp.string
            let compact = String(decoding: vp.bytes.filter { $0 != 0x20 }, as: UTF8.self)
            let sanitized = sanitize(compact, hasBuild: buildText != nil)
            result.versionText = written
            result.versionRange = vp.original(0..<vp.bytes.count)
            result.version = try versionSpec(sanitized)
        }

        // bracket keys override
        var seen: Set<String> = []
        for (key, value) in brackets {
            guard seen.insert(key).inserted else { throw Failure("bracket key '\(key)' can only be specified once") }
            switch key {
            case "version":
                result.versionText = value.string
                result.versionRange = value.bytes.isEmpty ? nil : value.original(0..<value.bytes.count)
                result.version = try versionSpec(sanitize(value.string, hasBuild: false))
                result.form = .bracket
            case "build":
                result.build = value.string
                result.buildRange = nil
                if result.versionText == nil { result.form = .bracket }
            case "channel", "subdir", "name":
                break
            default:
                result.otherKeys[key] = value.string
            }
        }
        return result
    }

    /// The most common specs, `name`, `name=1.2`, `name==1.2`, `name>=1.2` (one operator, a version of letters,
    /// digits, `.`, `_`, `+`, `!`), read in one pass: no comment, bracket, channel, build, space or second clause
    /// can be in them, so the full parse would take exactly these steps. Nil for anything else, and when the
    /// version spec does not parse (the full parse then says why).
    static func simpleSpec(_ text: String) -> CondaMatchSpec? {
        guard !text.hasSuffix(".conda"), !text.hasSuffix(".tar.bz2") else { return nil }
        var text = text
        return text.withUTF8 { bytes -> CondaMatchSpec? in
            let count = bytes.count
            var nameEnd = 0
            while nameEnd < count, isSimpleNameByte(bytes[nameEnd]) { nameEnd += 1 }
            guard nameEnd > 0 else { return nil }
            let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<nameEnd]), as: UTF8.self)
            if nameEnd == count { return CondaMatchSpec(name: name, form: .nameOnly) }
            // One operator, then the version.
            var versionStart = nameEnd
            while versionStart < count, versionStart - nameEnd < 2, isOperatorByte(bytes[versionStart]) {
                versionStart += 1
            }
            let op = UnsafeBufferPointer(rebasing: bytes[nameEnd..<versionStart])
            guard Self.simpleOperators.contains(where: { $0.elementsEqual(op) }), versionStart < count else {
                return nil
            }
            for index in versionStart..<count where !isSimpleVersionByte(bytes[index]) { return nil }
            let written = String(decoding: UnsafeBufferPointer(rebasing: bytes[nameEnd...]), as: UTF8.self)
            let form: Form = op.count == 1 && op[0] == UInt8(ascii: "=") ? .equals : .glued
            if op[0] == UInt8(ascii: "="), isDottedNumber(UnsafeBufferPointer(rebasing: bytes[versionStart...])) {
                var spec = CondaMatchSpec(name: name, versionText: written, form: form, versionRange: nameEnd..<count)
                spec.storedVersion = .fromText
                return spec
            }
            guard let version = try? versionSpec(sanitize(written, hasBuild: false)) else { return nil }
            return CondaMatchSpec(
                name: name, versionText: written, version: version, form: form, versionRange: nameEnd..<count)
        }
    }

    /// Digits in dot-separated groups (`1`, `1.26.4`): a version conda always accepts, as `1.26.4*` and `1.26.4`.
    static func isDottedNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var previousIsDigit = false
        for byte in bytes {
            if byte >= 0x30 && byte <= 0x39 {
                previousIsDigit = true
            } else if byte == UInt8(ascii: "."), previousIsDigit {
                previousIsDigit = false
            } else {
                return false
            }
        }
        return previousIsDigit
    }

    private static let simpleOperators: [[UInt8]] = ["=", "==", ">=", "<=", ">", "<", "!=", "~="].map {
        Array($0.utf8)
    }

    private static func isSimpleNameByte(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2E, 0x5F, 0x2D: true
        default: false
        }
    }

    private static func isOperatorByte(_ c: UInt8) -> Bool {
        c == 0x3D || c == 0x3C || c == 0x3E || c == 0x21 || c == 0x7E
    }

    private static func isSimpleVersionByte(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2E, 0x5F, 0x2B, 0x21: true
        default: false
        }
    }

    static func versionSpec(_ text: String) throws(Failure) -> CondaVersionSpec {
        let cacheable = isCacheable(text)
        if cacheable, let known = specCache.value(for: text) { return known }
        let spec: CondaVersionSpec
        do {
            spec = try CondaVersionSpec(text)
        } catch {
            throw Failure("invalid version spec '\(text)': \(error.reason)")
        }
        if cacheable { specCache.insert(spec, for: text) }
        return spec
    }

    /// Version specs parsed so far, by text (`1.2.3*`, `>=1.2,<2`).
    private static let specCache = ParseCache<CondaVersionSpec>()

    /// Whether a spec text is one whose parsed form holds no regular expression, so that sharing it between
    /// threads shares plain values only: no `^…$`, and no `*` other than a last one (an inner `*` is a glob that
    /// may become a regular expression).
    static func isCacheable(_ text: String) -> Bool {
        var stars = 0
        var lastIsStar = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: "^") || byte == UInt8(ascii: "$") { return false }
            lastIsStar = byte == UInt8(ascii: "*")
            if lastIsStar { stars += 1 }
        }
        return stars == 0 || (stars == 1 && lastIsStar)
    }

    static func isNameStop(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x3D || c == 0x3C || c == 0x3E || c == 0x21 || c == 0x7E
    }

    static func isNameByte(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2E, 0x5F, 0x2D, 0x2A: true
        default: false
        }
    }

    static func splitChannel(_ text: String) -> (String?, String?) {
        if text.isEmpty { return (nil, nil) }
        if let slash = text.lastIndex(of: "/") {
            let sub = String(text[text.index(after: slash)...])
            if knownSubdirs.contains(sub) { return (String(text[..<slash]), sub) }
        }
        return (text, nil)
    }

    /// Conda's `_sanitize_version_str`: `=1.2` becomes `1.2*` (without build), `==1.2` becomes `1.2`
    /// (without build), `=1.2` / `==1.2` with a build become `1.2`.
    static func sanitize(_ v: String, hasBuild: Bool) -> String {
        var text = v
        if let ascii = text.withUTF8({ bytes in sanitizeASCII(bytes, v, hasBuild: hasBuild) }) { return ascii }
        return sanitizeCharacters(v, hasBuild: hasBuild)
    }

    /// `sanitize` on the bytes of ASCII text (where each byte is a character); nil for other text.
    private static func sanitizeASCII(_ bytes: UnsafeBufferPointer<UInt8>, _ v: String, hasBuild: Bool) -> String? {
        let equals = UInt8(ascii: "=")
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        let count = bytes.count
        if count == 1 && bytes[0] == equals || count == 2 && bytes[0] == equals && bytes[1] == equals { return v }
        guard count > 0, bytes[0] == equals else { return v }
        var start = 0
        while start < count, bytes[start] == equals { start += 1 }
        let bare = String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self)
        if count > 1, bytes[1] == equals, !hasBuild { return bare }
        let split = bytes[start...].contains { $0 == equals || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "|") }
        if !split {
            if !hasBuild && bytes[count - 1] != UInt8(ascii: "*") { return bare + "*" }
            return bare
        }
        return v
    }

    /// `sanitize` character by character (any text).
    static func sanitizeCharacters(_ v: String, hasBuild: Bool) -> String {
        if v == "==" || v == "=" { return v }
        guard v.hasPrefix("=") else { return v }
        let bare = String(v.drop(while: { $0 == "=" }))
        if v.hasPrefix("==") && !hasBuild { return bare }
        if !bare.contains(where: { $0 == "=" || $0 == "," || $0 == "|" }) {
            if !hasBuild && !bare.hasSuffix("*") { return bare + "*" }
            return bare
        }
        return v
    }

    /// Conda's `_parse_version_plus_build` regex
    /// `((?:.+?)[^><!,|]?)(?:(?<![=!|,<>~])(?:[ =])([^-=,|<>~]+?))?$`, evaluated with the same
    /// backtracking order: the shortest version such that the rest is a build after ` ` or `=`.
    static func splitVersionBuild(_ s: Piece) -> (Piece, (separator: Int, build: Range<Int>)?) {
        let b = s.bytes
        let n = b.count
        func buildFrom(_ q: Int) -> Bool {
            guard q < n - 1, b[q] == 0x20 || b[q] == 0x3D else { return false }
            switch b[q - 1] {
            case 0x3D, 0x21, 0x7C, 0x2C, 0x3C, 0x3E, 0x7E: return false
            default: break
            }
            for k in (q + 1)..<n {
                switch b[k] {
                case 0x2D, 0x3D, 0x2C, 0x7C, 0x3C, 0x3E, 0x7E: return false
                default: continue
                }
            }
            return true
        }
        for l in 1...max(n, 1) {
            var options: [Int] = []
            if l < n {
                switch b[l] {
                case 0x3E, 0x3C, 0x21, 0x2C, 0x7C: break
                default: options.append(l + 1)
                }
            }
            options.append(l)
            for q in options {
                if q <= n && q >= 1 && buildFrom(q) { return (s.slice(0..<q), (q, (q + 1)..<n)) }
                if q == n { return (s, nil) }
            }
        }
        return (s, nil)
    }

    /// Index of the `]` closing the bracket section opened at `open` (list values `[a, b]` nest).
    static func bracketEnd(_ b: [UInt8], _ open: Int) throws(Failure) -> Int {
        var depth = 0
        var quote: UInt8 = 0
        var i = open
        while i < b.count {
            let c = b[i]
            if quote != 0 {
                if c == quote { quote = 0 }
            } else if c == 0x27 || c == 0x22 {
                quote = c
            } else if c == 0x5B {
                depth += 1
            } else if c == 0x5D {
                depth -= 1
                if depth == 0 { return i }
            }
            i += 1
        }
        throw Failure("unbalanced brackets: '[' without ']'")
    }

    /// `key=value` pairs separated by `,` and/or spaces; values quoted with `'` or `"`, a `[…]` list,
    /// or bare up to the next `,` or space.
    static func parseBrackets(_ p: Piece) throws(Failure) -> [(key: String, value: Piece)] {
        let b = p.bytes
        var out: [(key: String, value: Piece)] = []
        var i = 0
        func skipSeparators() {
            while i < b.count && (b[i] == 0x20 || b[i] == 0x2C) { i += 1 }
        }
        skipSeparators()
        while i < b.count {
            let keyStart = i
            while i < b.count && isKeyByte(b[i]) { i += 1 }
            let key = String(decoding: b[keyStart..<i], as: UTF8.self)
            while i < b.count && b[i] == 0x20 { i += 1 }
            guard i < b.count && b[i] == 0x3D else {
                if key.isEmpty { throw Failure("unexpected text in brackets: '\(p.string)'") }
                if out.isEmpty && (i == b.count || b[i] == 0x2C) {
                    throw Failure("no key=value pairs found in square brackets: '[\(p.string)]'")
                }
                throw Failure("a key or a value is missing in brackets near '\(key)'")
            }
            if key.isEmpty { throw Failure("a key or a value is missing in brackets: '[\(p.string)]'") }
            i += 1
            while i < b.count && b[i] == 0x20 { i += 1 }
            var value: Piece
            if i < b.count && (b[i] == 0x27 || b[i] == 0x22) {
                let q = b[i]
                guard let close = b[(i + 1)...].firstIndex(of: q) else {
                    throw Failure("unterminated quote in brackets: '[\(p.string)]'")
                }
                value = p.slice((i + 1)..<close)
                i = close + 1
            } else if i < b.count && b[i] == 0x5B {
                guard let close = b[i...].firstIndex(of: 0x5D) else {
                    throw Failure("unbalanced brackets in list value: '[\(p.string)]'")
                }
                value = p.slice(i..<(close + 1))
                i = close + 1
            } else {
                let start = i
                while i < b.count && b[i] != 0x2C && b[i] != 0x20 && b[i] != 0x27 && b[i] != 0x22 { i += 1 }
                value = p.slice(start..<i)
            }
            if value.bytes.isEmpty || value.bytes.allSatisfy({ $0 == 0x20 }) {
                throw Failure("a key or a value is missing in brackets near '\(key)='")
            }
            guard knownKeys.contains(key) else { throw Failure("cannot match on bracket key '\(key)'") }
            out.append((key, value))
            guard i == b.count || b[i] == 0x2C || b[i] == 0x20 else {
                throw Failure("unexpected text after '\(key)=\(value.string)' in brackets")
            }
            skipSeparators()
        }
        if out.isEmpty { throw Failure("no key=value pairs found in square brackets") }
        return out
    }

    static func isKeyByte(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F, 0x2D: true
        default: false
        }
    }
}

extension String {
    fileprivate func trimmingASCIISpaces() -> Substring {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
