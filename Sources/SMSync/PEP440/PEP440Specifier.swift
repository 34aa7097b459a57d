/// One PEP 440 version specifier (`>=1.0`, `==1.2.*`, `~=2.2`, `===foo`), as `packaging.specifiers.Specifier`
/// (26.x).
///
/// Matching rules worth knowing:
/// - `==V` / `!=V` ignore the candidate's local label unless `V` has one; `==V.*` is a prefix match on the
///   zero-padded release (and ignores local labels); `.*` is only allowed with `==`/`!=` on a plain release.
/// - `<V` excludes pre-releases of `V` itself (`<1.0` rejects `1.0rc1`, `1.0.dev0`) unless `V` is a pre-release;
///   `>V` excludes post-releases of `V` (`>1.0` rejects `1.0.post1`) unless `V` is a post-release, and local
///   versions of `V`.
/// - `~=V` is `>=V` plus `==P.*` where `P` is `V`'s release without its last number; `P` is derived from the
///   text as written, exactly as packaging does (so `~=1.0.preview1` behaves as `~=1.0.0rc1` would not).
/// - `===` compares the candidate's text case-insensitively (a `PEP440Version` candidate compares by its
///   canonical form, a string candidate by the string as given).
public struct PEP440Specifier: Sendable, Hashable, CustomStringConvertible {
    /// The comparison operator.
    public enum Operator: String, Sendable, Hashable, CaseIterable {
        case compatible = "~="
        case equal = "=="
        case notEqual = "!="
        case lessThanOrEqual = "<="
        case greaterThanOrEqual = ">="
        case lessThan = "<"
        case greaterThan = ">"
        case arbitrary = "==="
    }

    /// The operator.
    public let op: Operator
    /// The version text as written, trimmed (`1.2.*`, `v1.0`, or anything after `===`).
    public let version: String
    /// An explicit prerelease override (packaging's `prereleases=` argument); nil uses the default rules.
    public var prereleaseOverride: Bool?

    /// The parsed version (the part before `.*` for wildcards); nil only for `===` with a non-PEP 440 string.
    public let parsedVersion: PEP440Version?
    /// Whether this is a `==V.*` / `!=V.*` prefix match.
    public let isWildcard: Bool

    let lowercasedVersion: String
    let specHasLocal: Bool
    let earliestPrerelease: PEP440Version?
    let prefix: WildcardPattern?
    let canonicalVersion: String

    /// Parses one specifier; throws with a reason when packaging would raise `InvalidSpecifier`.
    public init(_ text: String, prereleases: Bool? = nil) throws(VersionError) {
        let stripped = PythonText.strip(text)
        var copy = stripped
        let scanned = copy.withUTF8 { SpecifierScanner.scan($0, from: 0, end: $0.count) }
        guard let scanned, scanned.end == stripped.utf8.count else {
            let reason = copy.withUTF8 { SpecifierScanner.diagnose($0) }
            throw VersionError(scheme: .pep440, input: text, reason: reason)
        }
        let versionText = PythonText.strip(
            String(decoding: Array(stripped.utf8)[scanned.op.rawValue.utf8.count...], as: UTF8.self))
        try self.init(op: scanned.op, version: versionText, input: text, prereleases: prereleases)
    }

    init(op: Operator, version: String, input: String, prereleases: Bool?) throws(VersionError) {
        self.op = op
        self.version = version
        self.prereleaseOverride = prereleases
        self.lowercasedVersion = PythonText.lower(version)
        self.specHasLocal = version.utf8.contains(UInt8(ascii: "+"))
        let wildcard = (op == .equal || op == .notEqual) && version.utf8.count >= 2 && version.hasSuffix(".*")
        self.isWildcard = wildcard
        if op == .arbitrary {
            self.parsedVersion = try? PEP440Version(version)
            self.earliestPrerelease = nil
            self.prefix = nil
            self.canonicalVersion = version
            return
        }
        let versionPart = wildcard ? String(version.utf8.dropLast(2)) ?? version : version
        let parsed: PEP440Version
        do {
            parsed = try PEP440Version(versionPart)
        } catch {
            throw VersionError(scheme: .pep440, input: input, reason: error.reason)
        }
        self.parsedVersion = parsed
        if wildcard {
            self.prefix = WildcardPattern(prefix: versionPart)
            self.canonicalVersion = version
        } else {
            self.prefix = op == .compatible ? WildcardPattern(compatibleWith: version) : nil
            self.canonicalVersion = parsed.canonicalString(stripTrailingZero: op != .compatible)
        }
        self.earliestPrerelease =
            op == .lessThan && !parsed.isPrerelease
            ? PEP440Version(
                uncheckedEpoch: parsed.epoch, release: parsed.release, preKind: parsed.preKind,
                preNumber: parsed.preNumber, postNumber: parsed.postNumber, devNumber: 0, local: nil)
            : nil
    }

    /// `op` followed by the version as written (`>=1.0`), as `str(Specifier)`.
    public var description: String { op.rawValue + version }

    /// Whether pre-releases are admitted by default: the override when set; otherwise false for `!=` and
    /// `==V.*`, nil for `===` with a non-version string, else whether the version names a pre-release.
    public var prereleases: Bool? {
        get {
            if let prereleaseOverride { return prereleaseOverride }
            return impliedPrereleases
        }
        set { prereleaseOverride = newValue }
    }

    var impliedPrereleases: Bool? {
        if op == .notEqual { return false }
        if op == .equal && isWildcard { return false }
        guard let parsedVersion else { return nil }
        return parsedVersion.isPrerelease
    }

    /// Specifiers are equal when operator and canonical version agree (`==2.8.0` equals `==2.8`; `~=` keeps
    /// trailing zeros); the prerelease override is ignored, as in packaging.
    public static func == (lhs: PEP440Specifier, rhs: PEP440Specifier) -> Bool {
        lhs.op == rhs.op && lhs.canonicalVersion == rhs.canonicalVersion
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(op)
        hasher.combine(canonicalVersion)
    }

    /// Whether `version` satisfies the operator alone, ignoring pre-release policy.
    @inlinable public func matches(_ version: PEP440Version) -> Bool {
        matches(version, raw: nil)
    }

    @usableFromInline func matches(_ candidate: PEP440Version, raw: String?) -> Bool {
        guard let spec = parsedVersion else { return arbitraryMatches(raw ?? candidate.description) }
        switch op {
        case .arbitrary:
            return arbitraryMatches(raw ?? candidate.description)
        case .equal:
            return equalMatches(candidate, spec)
        case .notEqual:
            return !equalMatches(candidate, spec)
        case .lessThanOrEqual:
            return PEP440Version.comparePublic(candidate, spec) <= 0
        case .greaterThanOrEqual:
            return PEP440Version.comparePublic(candidate, spec) >= 0
        case .lessThan:
            guard PEP440Version.compare(candidate, spec) < 0 else { return false }
            if let earliest = earliestPrerelease, candidate.isPrerelease,
                PEP440Version.compare(candidate, earliest) >= 0
            {
                return false
            }
            return true
        case .greaterThan:
            guard PEP440Version.compare(candidate, spec) > 0 else { return false }
            if !spec.isPostRelease, candidate.isPostRelease, Self.isPostRelease(candidate, of: spec) {
                return false
            }
            if candidate.hasLocal, PEP440Version.comparePublic(candidate, spec) == 0, !spec.hasLocal {
                return false
            }
            return true
        case .compatible:
            guard PEP440Version.comparePublic(candidate, spec) >= 0 else { return false }
            return prefix?.matches(candidate) ?? false
        }
    }

    func equalMatches(_ candidate: PEP440Version, _ spec: PEP440Version) -> Bool {
        if isWildcard { return prefix?.matches(candidate) ?? false }
        if specHasLocal { return PEP440Version.compare(candidate, spec) == 0 }
        return PEP440Version.comparePublic(candidate, spec) == 0
    }

    func arbitraryMatches(_ raw: String) -> Bool { PythonText.lower(raw) == lowercasedVersion }

    /// `candidate` with post, dev and local removed equals `spec` (packaging's `_post_base(c) == spec`).
    static func isPostRelease(_ candidate: PEP440Version, of spec: PEP440Version) -> Bool {
        guard spec.devNumber < 0, spec.postNumber < 0, !spec.hasLocal, candidate.epoch == spec.epoch,
            candidate.preKind == spec.preKind, candidate.preNumber == spec.preNumber
        else { return false }
        let count = max(candidate.releaseLength, spec.releaseLength)
        for index in 0..<count where candidate.releaseComponent(index) != spec.releaseComponent(index) {
            return false
        }
        return true
    }

    /// Whether `version` is admitted, with packaging's `Specifier.contains` pre-release rules: a matching
    /// pre-release is admitted when `prereleases` (or else this specifier's `prereleases`) is true, or when
    /// neither `prereleases` nor the override is given as false (a lone candidate has no final to prefer).
    public func contains(_ version: PEP440Version, prereleases: Bool? = nil) -> Bool {
        admits(parsed: version, raw: nil, prereleases: prereleases)
    }

    /// As `contains(_:prereleases:)` for a version string; a string that is not a valid version only
    /// matches `===`.
    public func contains(_ text: String, prereleases: Bool? = nil) -> Bool {
        admits(parsed: try? PEP440Version(text), raw: text, prereleases: prereleases)
    }

    func admits(parsed: PEP440Version?, raw: String?, prereleases: Bool?) -> Bool {
        guard let parsed else { return op == .arbitrary && arbitraryMatches(raw ?? "") }
        guard matches(parsed, raw: raw) else { return false }
        if !parsed.isPrerelease || (prereleases ?? self.prereleases) == true { return true }
        return prereleases == nil && prereleaseOverride != false
    }

    /// packaging's `Specifier.filter`: keeps matching items in order; with no explicit policy, matching
    /// pre-releases are returned only when no final release matched.
    public func filter<Item>(
        _ items: some Sequence<Item>, prereleases: Bool? = nil, candidate: (Item) -> PEP440Candidate
    ) -> [Item] {
        var result: [Item] = []
        var heldPrereleases: [Item] = []
        var foundFinal = false
        let include = (prereleases ?? self.prereleases) == true
        for item in items {
            let entry = candidate(item)
            guard let parsed = entry.parsed else {
                if op == .arbitrary && arbitraryMatches(entry.raw) { result.append(item) }
                continue
            }
            guard matches(parsed, raw: entry.rawText) else { continue }
            if !parsed.isPrerelease || include {
                foundFinal = true
                result.append(item)
            } else if prereleases == nil && prereleaseOverride != false {
                heldPrereleases.append(item)
            }
        }
        if !foundFinal && prereleases == nil && prereleaseOverride != false { result += heldPrereleases }
        return result
    }
}

/// A candidate for `filter`: a parsed version, or a string as given (which may not be a valid version).
public enum PEP440Candidate: Sendable, Hashable {
    case version(PEP440Version)
    case text(String)

    var parsed: PEP440Version? {
        switch self {
        case .version(let version): version
        case .text(let text): try? PEP440Version(text)
        }
    }

    /// The text `===` compares: the string as given, or the canonical form of a version.
    var raw: String {
        switch self {
        case .version(let version): version.description
        case .text(let text): text
        }
    }

    var rawText: String? {
        if case .text(let text) = self { return text }
        return nil
    }
}

/// The prefix test of `==V.*` (and the `==P.*` half of `~=`), following packaging's component split.
struct WildcardPattern: Sendable {
    /// Fast form when every component is a number: epoch then release numbers.
    let numeric: [Int]?
    /// packaging's `_version_split` of the canonicalised prefix.
    let split: [String]
    let numericLength: Int

    init(prefix: String) {
        let canonical = (try? PEP440Version(prefix)).map { $0.description } ?? prefix
        self.init(components: WildcardPattern.versionSplit(canonical))
    }

    /// `~=V`: the prefix is `V` split into components, suffix components dropped, then the last one.
    init(compatibleWith version: String) {
        var parts = WildcardPattern.versionSplit(version)
        var keep = 0
        while keep < parts.count && WildcardPattern.isNotSuffix(parts[keep]) { keep += 1 }
        parts = Array(parts.prefix(keep).dropLast())
        guard let epoch = parts.first else {
            self.init(components: ["", "never"])
            return
        }
        let joined = epoch + "!" + parts.dropFirst().joined(separator: ".")
        self.init(prefix: joined)
    }

    init(components: [String]) {
        split = components
        numericLength = components.prefix { WildcardPattern.isDigits($0) }.count
        if numericLength == components.count {
            var numbers: [Int] = []
            for part in components {
                guard let value = Int(part) else {
                    numeric = nil
                    return
                }
                numbers.append(value)
            }
            numeric = numbers
        } else {
            numeric = nil
        }
    }

    func matches(_ candidate: PEP440Version) -> Bool {
        if let numeric, let epoch = numeric.first {
            guard candidate.epoch == epoch else { return false }
            for index in 1..<numeric.count where candidate.releaseComponent(index - 1) != numeric[index] {
                return false
            }
            return true
        }
        // General case: compare split components of the canonical public version, zero-padded.
        var parts = WildcardPattern.versionSplit(candidate.publicVersion)
        let have = parts.prefix { WildcardPattern.isDigits($0) }.count
        if have < numericLength {
            parts.insert(contentsOf: repeatElement("0", count: numericLength - have), at: have)
        }
        return Array(parts.prefix(split.count)) == split
    }

    static func isDigits(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    static func isNotSuffix(_ segment: String) -> Bool {
        !["dev", "a", "b", "rc", "post"].contains { segment.hasPrefix($0) }
    }

    /// packaging's `_version_split`: epoch (or "0") then dot-separated parts, with `1rc2`-style parts split
    /// into `1`, `rc2`.
    static func versionSplit(_ version: String) -> [String] {
        var result: [String] = []
        let rest: Substring
        if let bang = version.lastIndex(of: "!") {
            let epoch = version[..<bang]
            result.append(epoch.isEmpty ? "0" : String(epoch))
            rest = version[version.index(after: bang)...]
        } else {
            result.append("0")
            rest = Substring(version)
        }
        for item in rest.split(separator: ".", omittingEmptySubsequences: false) {
            let bytes = Array(item.utf8)
            var digits = 0
            while digits < bytes.count && bytes[digits] >= UInt8(ascii: "0") && bytes[digits] <= UInt8(ascii: "9") {
                digits += 1
            }
            if digits > 0, let letters = preLetters(bytes, from: digits) {
                let tail = bytes[(digits + letters)...]
                if !tail.isEmpty && tail.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                    result.append(String(decoding: bytes[..<digits], as: UTF8.self))
                    result.append(String(decoding: bytes[digits...], as: UTF8.self))
                    continue
                }
            }
            result.append(String(item))
        }
        return result
    }

    /// Length of `a|b|c|rc` at `index` (case-sensitive, as packaging's `_prefix_regex`).
    static func preLetters(_ bytes: [UInt8], from index: Int) -> Int? {
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "c"): return 1
        case UInt8(ascii: "r"):
            return index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "c") ? 2 : nil
        default: return nil
        }
    }
}

extension PEP440Version {
    /// packaging's `canonicalize_version`: the canonical form, with trailing release zeros removed (one kept)
    /// when `stripTrailingZero`.
    public func canonicalString(stripTrailingZero: Bool = true) -> String {
        guard stripTrailingZero else { return description }
        var length = releaseLength
        while length > 1 && releaseComponent(length - 1) == 0 { length -= 1 }
        if length == releaseLength { return description }
        let trimmed = PEP440Version(
            uncheckedEpoch: epoch, release: Array(release.prefix(length)), preKind: preKind, preNumber: preNumber,
            postNumber: postNumber, devNumber: devNumber, local: localSegments)
        return trimmed.description
    }
}

/// Recognises one specifier as packaging's specifier regex does (greedy, from a start position).
enum SpecifierScanner {
    struct Match {
        var op: PEP440Specifier.Operator
        /// End of the whole match.
        var end: Int
    }

    static func readOperator(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> PEP440Specifier.Operator?
    {
        func at(_ offset: Int) -> UInt8? { start + offset < end ? bytes[start + offset] : nil }
        let eq = UInt8(ascii: "=")
        switch at(0) {
        case UInt8(ascii: "="):
            guard at(1) == eq else { return nil }
            return at(2) == eq ? .arbitrary : .equal
        case UInt8(ascii: "!"): return at(1) == eq ? .notEqual : nil
        case UInt8(ascii: "~"): return at(1) == eq ? .compatible : nil
        case UInt8(ascii: "<"): return at(1) == eq ? .lessThanOrEqual : .lessThan
        case UInt8(ascii: ">"): return at(1) == eq ? .greaterThanOrEqual : .greaterThan
        default: return nil
        }
    }

    /// The longest specifier starting at `start`, nil when none does.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, end: Int) -> Match? {
        guard let op = readOperator(bytes, start, end) else { return nil }
        var scan = ByteScanner(bytes: bytes, position: start + op.rawValue.utf8.count, end: end)
        scan.position = PythonText.skipSpace(bytes, from: scan.position, to: end)
        if op == .arbitrary {
            while let byte = scan.peek, byte != UInt8(ascii: ";"), byte != UInt8(ascii: ")"),
                PythonText.spaceLength(bytes, at: scan.position, end: end) == 0
            {
                scan.position += 1
            }
            return Match(op: op, end: scan.position)
        }
        if scan.peekLower == UInt8(ascii: "v") { scan.position += 1 }
        guard scan.skipDigits() else { return nil }
        if scan.peek == UInt8(ascii: "!"), scan.peekIsDigit(at: scan.position + 1) {
            scan.position += 1
            _ = scan.skipDigits()
        }
        var releaseParts = 1
        while scan.peek == UInt8(ascii: "."), scan.peekIsDigit(at: scan.position + 1) {
            scan.position += 1
            _ = scan.skipDigits()
            releaseParts += 1
        }
        if op == .compatible && releaseParts < 2 { return nil }
        let prefixOK = op == .equal || op == .notEqual
        if prefixOK, scan.peek == UInt8(ascii: "."), scan.position + 1 < end,
            bytes[scan.position + 1] == UInt8(ascii: "*")
        {
            return Match(op: op, end: scan.position + 2)
        }
        // pre
        let preStart = scan.position
        scan.skipSeparator()
        if scan.readPreLabel() != nil {
            scan.skipSeparator()
            _ = scan.skipDigits()
        } else {
            scan.position = preStart
        }
        // post
        if scan.peek == UInt8(ascii: "-"), scan.peekIsDigit(at: scan.position + 1) {
            scan.position += 1
            _ = scan.skipDigits()
        } else {
            let postStart = scan.position
            scan.skipSeparator()
            if scan.readPostLabel() {
                scan.skipSeparator()
                _ = scan.skipDigits()
            } else {
                scan.position = postStart
            }
        }
        // dev
        let devStart = scan.position
        scan.skipSeparator()
        if scan.readWord("dev") {
            scan.skipSeparator()
            _ = scan.skipDigits()
        } else {
            scan.position = devStart
        }
        if prefixOK, scan.peek == UInt8(ascii: "+"), scan.peekIsAlnum(at: scan.position + 1) {
            scan.position += 1
            while true {
                while scan.peekIsAlnum(at: scan.position) { scan.position += 1 }
                if scan.peekIsSeparator, scan.peekIsAlnum(at: scan.position + 1) {
                    scan.position += 1
                } else {
                    break
                }
            }
        }
        return Match(op: op, end: scan.position)
    }

    /// A user-facing reason why `bytes` (already stripped) is not one specifier.
    static func diagnose(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let end = bytes.count
        if end == 0 { return "empty specifier" }
        guard let op = readOperator(bytes, 0, end) else {
            return "expected an operator (~=, ==, !=, <=, >=, <, >, ===) before the version"
        }
        let versionStart = PythonText.skipSpace(bytes, from: op.rawValue.utf8.count, to: end)
        let versionText = String(decoding: UnsafeBufferPointer(rebasing: bytes[versionStart...]), as: UTF8.self)
        if versionStart == end { return "missing version after '\(op.rawValue)'" }
        if versionText.hasSuffix(".*") || versionText.contains(".*") {
            if op != .equal && op != .notEqual { return "a '.*' suffix can only be used with == or !=" }
            return "'.*' must directly follow a release number (no pre, post, dev or local segment after it)"
        }
        if versionText.contains("+") && op != .equal && op != .notEqual {
            return "a local version label (+…) can only be used with == or !="
        }
        if op == .compatible {
            var probe = ByteScanner(bytes: bytes, position: versionStart, end: end)
            if probe.peekLower == UInt8(ascii: "v") { probe.position += 1 }
            _ = probe.skipDigits()
            if probe.peek == UInt8(ascii: "!") {
                probe.position += 1
                _ = probe.skipDigits()
            }
            if !(probe.peek == UInt8(ascii: ".") && probe.peekIsDigit(at: probe.position + 1)) {
                return "~= needs at least two release numbers (as in ~=1.2)"
            }
        }
        if let match = scan(bytes, from: 0, end: end) {
            let rest = String(decoding: UnsafeBufferPointer(rebasing: bytes[match.end...]), as: UTF8.self)
            return
                "unexpected '\(rest)' after '\(String(decoding: UnsafeBufferPointer(rebasing: bytes[..<match.end]), as: UTF8.self))'"
        }
        return "'\(versionText)' is not a valid version"
    }
}

extension ByteScanner {
    /// Skips one or more ASCII digits; false when there were none.
    mutating func skipDigits() -> Bool {
        let start = position
        while peekIsDigit { position += 1 }
        return position > start
    }
}
