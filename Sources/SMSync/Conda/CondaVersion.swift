/// A conda package version, ordered exactly as conda's `VersionOrder` (conda/models/version.py).
///
/// Parsing follows conda:
/// - surrounding whitespace is ignored and comparison is case-insensitive;
/// - allowed characters are letters, digits and `. _ + ! *`; `-` is allowed only when the text has no `_`,
///   and then means `_` (`1.0-1` equals `1.0_1`, `1.0-1_2` is rejected);
/// - an optional integer epoch `N!` comes first (absent means 0), an optional local version follows `+`;
/// - the main and local versions split into components at `.` and `_`; empty components are rejected
///   (`1..2`, `.1`, `1.`, `1+`), except that a single trailing `_` (or `-`) stays glued to the last
///   component (`1.1_` is `[1, "_"]`), the openssl convention that sorts `1.0.1_` below `1.0.1a`;
/// - every component splits into runs of digits, of `*`, and of other characters; a component that
///   starts with a non-digit gets an implicit leading 0 (`1.1.a1` equals `1.1.0a1`).
///
/// Ordering compares components left to right, padding with 0 (`1.0 == 1.0.0`, `1.0+0 == 1.0`):
/// numbers numerically (any size), strings by code point, every string below every number,
/// `dev` below every other string (`*` is lower still), and `post` above every number. The local
/// version is compared only when the main versions are equal. So
/// `1.1dev1 < 1.1_ < 1.1a1 < 1.1.dev1 < 1.1.a1 < 1.1 < 1.1.post1 < 1.1post1 < 1!0.1`.
///
/// Equality and hashing agree with that order: versions that conda considers equal are `==`
/// and hash alike even when their texts differ.
public struct CondaVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The text as given, without surrounding whitespace.
    public let text: String
    // The first 24 bytes of the main order key (padded with `end` bytes), big-endian.
    @usableFromInline let k0: UInt64
    @usableFromInline let k1: UInt64
    @usableFromInline let k2: UInt64
    /// The whole key (main, then local) when it does not fit inline or has a local part; else empty.
    @usableFromInline let storage: [UInt8]
    @usableFromInline let mainLength: Int32

    public init(_ text: String) throws(VersionError) {
        var source = text
        var outcome = Self.parseText(text)
        if case .failure(.invalidCharacters) = outcome, text.utf8.contains(where: { $0 >= 0x80 }) {
            // Python's strip() also removes non-ASCII whitespace.
            let scalars = Array(text.unicodeScalars)
            var lo = 0
            var hi = scalars.count
            while lo < hi && CondaVersionParser.isPythonSpace(scalars[lo]) { lo += 1 }
            while hi > lo && CondaVersionParser.isPythonSpace(scalars[hi - 1]) { hi -= 1 }
            if lo > 0 || hi < scalars.count {
                var trimmed = ""
                trimmed.unicodeScalars.append(contentsOf: scalars[lo..<hi])
                outcome = Self.parseText(trimmed)
                source = trimmed
            }
        }
        switch outcome {
        case .failure(let reason):
            throw VersionError.conda(text, reason)
        case .success(let parsed):
            if parsed.trimmed.lowerBound == 0 && parsed.trimmed.upperBound == source.utf8.count {
                self.text = source
            } else {
                var bytes = Array(source.utf8)
                bytes = Array(bytes[parsed.trimmed])
                self.text = String(decoding: bytes, as: UTF8.self)
            }
            self.k0 = parsed.k0
            self.k1 = parsed.k1
            self.k2 = parsed.k2
            self.storage = parsed.storage
            self.mainLength = parsed.mainLength
        }
    }

    public var description: String { text }

    /// Conda's normalized spelling (`str(VersionOrder(...))`): trimmed, lower-cased, `-` written as `_`.
    public var normalized: String {
        var bytes: [UInt8] = []
        withNormalizedBytes { bytes = Array($0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether conda orders this version before the plain release it qualifies: the main version
    /// (not the local part) contains a string other than `post`, e.g. `1.0rc1`, `2.0.dev3`, `1.0a`,
    /// `1.1_`, and also openssl-style letters such as `1.0.1g` (conda sorts `1.0.1g < 1.0.1`).
    public var isPrerelease: Bool {
        withKey { key, mainLength, _ in
            var pos = 0
            while pos < mainLength {
                let c = key[pos]
                if c == CondaKey.end {
                    pos += 1
                } else if c < CondaKey.end {
                    return true
                } else {
                    let nibble = c & 0x0F
                    switch nibble {
                    case CondaKey.infNibble: pos += 1
                    case CondaKey.bigNibble: pos += 3 + (Int(key[pos + 1]) << 8 | Int(key[pos + 2]))
                    default: pos += 1 + Int(nibble)
                    }
                }
            }
            return false
        }
    }

    /// The leading numbers of the main version (epoch and local part excluded), read from the text:
    /// each component's leading digits, stopping after the first component that is not purely
    /// numeric. `1.19.5` → `[1, 19, 5]`, `1.0.1g` → `[1, 0, 1]`, `2.0rc1` → `[2, 0]`,
    /// `1.2.post1` → `[1, 2]`, `1!2.3+4` → `[2, 3]`; nil when the main version does not start
    /// with a digit (`dev`) or its first number does not fit in `Int`.
    public var numericRelease: [Int]? {
        var result: [Int] = []
        withNormalizedBytes { v in
            var start = 0
            if let bang = v.firstIndex(of: 0x21) { start = bang + 1 }
            var end = v.count
            if let plus = v[start...].firstIndex(of: 0x2B) { end = plus }
            var i = start
            while i < end {
                guard CondaVersionParser.isDigit(v[i]) else { return }
                var value = 0
                while i < end && CondaVersionParser.isDigit(v[i]) {
                    let (m, o1) = value.multipliedReportingOverflow(by: 10)
                    let (a, o2) = m.addingReportingOverflow(Int(v[i] &- 0x30))
                    if o1 || o2 { return }
                    value = a
                    i += 1
                }
                result.append(value)
                if i == end { return }
                if v[i] != 0x2E && v[i] != 0x5F { return }
                i += 1
            }
        }
        return result.isEmpty ? nil : result
    }

    // MARK: Ordering

    public static func < (lhs: CondaVersion, rhs: CondaVersion) -> Bool { compare(lhs, rhs) < 0 }

    public static func == (lhs: CondaVersion, rhs: CondaVersion) -> Bool {
        lhs.k0 == rhs.k0 && lhs.k1 == rhs.k1 && lhs.k2 == rhs.k2 && lhs.mainLength == rhs.mainLength
            && lhs.storage == rhs.storage
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(k0)
        hasher.combine(k1)
        hasher.combine(k2)
        hasher.combine(mainLength)
        hasher.combine(storage)
    }

    /// Three-way comparison in conda's order: negative, zero or positive.
    @inlinable
    public static func compare(_ a: CondaVersion, _ b: CondaVersion) -> Int {
        if a.k0 != b.k0 { return a.k0 < b.k0 ? -1 : 1 }
        if a.k1 != b.k1 { return a.k1 < b.k1 ? -1 : 1 }
        if a.k2 != b.k2 { return a.k2 < b.k2 ? -1 : 1 }
        if a.storage.isEmpty && b.storage.isEmpty { return 0 }
        return slowCompare(a, b)
    }

    @usableFromInline
    static func slowCompare(_ a: CondaVersion, _ b: CondaVersion) -> Int {
        let inline = CondaKey.inlineBytes
        let aMain = a.storage.isEmpty ? inline : Int(a.mainLength)
        let bMain = b.storage.isEmpty ? inline : Int(b.mainLength)
        let m = padCompare(a.storage, inline, aMain, b.storage, inline, bMain)
        if m != 0 { return m }
        return padCompare(a.storage, aMain, a.storage.count, b.storage, bMain, b.storage.count)
    }

    /// Compares `a[aFrom..<aTo]` with `b[bFrom..<bTo]`, the shorter padded with `end` bytes.
    static func padCompare(_ a: [UInt8], _ aFrom: Int, _ aTo: Int, _ b: [UInt8], _ bFrom: Int, _ bTo: Int) -> Int {
        var i = aFrom
        var j = bFrom
        while i < aTo || j < bTo {
            let x = i < aTo ? a[i] : CondaKey.end
            let y = j < bTo ? b[j] : CondaKey.end
            if x != y { return x < y ? -1 : 1 }
            i += 1
            j += 1
        }
        return 0
    }

    // MARK: Key access

    /// Calls `body` with the whole order key, the length of its main part and its total length.
    func withKey<R>(_ body: (UnsafeBufferPointer<UInt8>, Int, Int) -> R) -> R {
        if !storage.isEmpty {
            let main = Int(mainLength)
            return storage.withUnsafeBufferPointer { body($0, main, $0.count) }
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: CondaKey.inlineBytes) { buf in
            for (w, word) in [k0, k1, k2].enumerated() {
                for b in 0..<8 { buf[w * 8 + b] = UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * b)) }
            }
            let view = UnsafeBufferPointer(buf)
            return body(view, CondaKey.inlineBytes, CondaKey.inlineBytes)
        }
    }

    private func withNormalizedBytes(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var copy = text
        copy.withUTF8 { input in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: input.count + 1) { out in
                if case .success(let n) = CondaVersionParser.normalize(input, into: out) {
                    body(UnsafeBufferPointer(rebasing: out[0..<n]))
                }
            }
        }
    }

    // MARK: Parsing

    struct Parsed {
        var k0: UInt64
        var k1: UInt64
        var k2: UInt64
        var storage: [UInt8]
        var mainLength: Int32
        var trimmed: Range<Int>
    }

    static func parseText(_ text: String) -> Result<Parsed, VersionError.Reason> {
        if let r = text.utf8.withContiguousStorageIfAvailable({ parseBytes($0) }) { return r }
        return Array(text.utf8).withUnsafeBufferPointer { parseBytes($0) }
    }

    static func parseBytes(_ input: UnsafeBufferPointer<UInt8>) -> Result<Parsed, VersionError.Reason> {
        var lo = 0
        var hi = input.count
        while lo < hi && CondaVersionParser.isASCIISpace(input[lo]) { lo += 1 }
        while hi > lo && CondaVersionParser.isASCIISpace(input[hi - 1]) { hi -= 1 }
        let trimmedRange = lo..<hi
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: input.count + 1) { norm in
            let n: Int
            switch CondaVersionParser.normalize(input, into: norm) {
            case .failure(let r): return .failure(r)
            case .success(let count): n = count
            }
            let normalized = UnsafeBufferPointer(rebasing: norm[0..<n])
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: CondaKey.capacity(for: n)) { keyBuf in
                var sink = CondaKeySink(buffer: keyBuf)
                if let reason = CondaVersionParser.parse(normalized, into: &sink) { return .failure(reason) }
                if sink.tooLong { return .failure(.tooLong) }
                let total = sink.finish()
                let main = sink.mainLength
                var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
                func word(_ w: Int) -> UInt64 {
                    var x: UInt64 = 0
                    for b in 0..<8 {
                        let idx = w * 8 + b
                        x = x << 8 | UInt64(idx < main ? keyBuf[idx] : CondaKey.end)
                    }
                    return x
                }
                words = (word(0), word(1), word(2))
                let needsStorage = main > CondaKey.inlineBytes || total > main
                let storage = needsStorage ? Array(UnsafeBufferPointer(rebasing: keyBuf[0..<total])) : []
                return .success(
                    Parsed(
                        k0: words.0, k1: words.1, k2: words.2, storage: storage,
                        mainLength: Int32(truncatingIfNeeded: needsStorage ? main : 0), trimmed: trimmedRange))
            }
        }
    }
}
