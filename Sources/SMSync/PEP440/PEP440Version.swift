/// A Python package version under PEP 440, normalised and ordered as `packaging.version.Version` (26.x).
///
/// Parsing accepts everything packaging's permissive pattern accepts: surrounding whitespace (Python's
/// `str.isspace` set, including non-ASCII spaces), a leading `v`, `-`/`_`/`.` separators, the spellings
/// `alpha`/`beta`/`c`/`pre`/`preview`/`rev`/`r`, implicit numbers (`1.0a` is `1.0a0`), the implicit
/// post-release `1.0-5`, local labels `+abc.1`, and any letter case.
///
/// Ordering follows packaging's `_cmpkey`: epoch, then the release with trailing zeros ignored
/// (`1.0 == 1.0.0`), then dev-only < `a` < `b` < `rc` < final, post-releases after, `.devN` before the
/// release it belongs to, and finally the local label (absent < present; alphanumeric parts sort before
/// numeric parts, numeric parts compare as numbers).
///
/// One deliberate difference from Python: numbers in the epoch, release, pre, post and dev segments must
/// fit in a 64-bit signed integer (Python accepts up to 4300 digits); larger numbers are rejected with a
/// reason. Numeric local segments have no such limit (they are compared exactly as digit strings).
public struct PEP440Version: Sendable {
    /// The epoch (`N!`), 0 when absent.
    public let epoch: Int
    // Release segment: the first four numbers inline (0 past the end), all of them in `extra` when longer.
    @usableFromInline let r0: Int
    @usableFromInline let r1: Int
    @usableFromInline let r2: Int
    @usableFromInline let r3: Int
    /// The number of release components (trailing zeros included), 255 meaning "see `extra`".
    @usableFromInline let releaseCount: UInt8
    /// 0 none, 1 `a`, 2 `b`, 3 `rc`.
    @usableFromInline let preKind: UInt8
    @usableFromInline let preNumber: Int
    /// -1 when absent.
    @usableFromInline let postNumber: Int
    /// -1 when absent.
    @usableFromInline let devNumber: Int
    /// Order-preserving prefix of the comparison key: `a.sortKey < b.sortKey` implies `a < b`; equal keys need
    /// the full comparison. See `makeSortKey`.
    @usableFromInline var sortKey: UInt64
    /// Rarely needed parts, kept out of line so that the common value is plain data (cheap to copy and sort).
    @usableFromInline let extra: Extra?

    /// Out-of-line storage: the text when it differs from the canonical form, long releases, local labels.
    @usableFromInline final class Extra: Sendable {
        @usableFromInline let text: String?
        @usableFromInline let release: [Int]?
        @usableFromInline let local: [LocalSegment]?

        init(text: String?, release: [Int]?, local: [LocalSegment]?) {
            self.text = text
            self.release = release
            self.local = local
        }
    }

    /// The text as given (the canonical form for versions built from parts).
    public var text: String { extra?.text ?? description }

    @usableFromInline var releaseOverflow: [Int]? { releaseCount > 4 ? extra?.release : nil }
    @usableFromInline var localSegments: [LocalSegment]? { extra?.local }

    /// A pre-release label, normalised (`alpha` → `a`, `beta` → `b`, `c`/`pre`/`preview` → `rc`).
    public enum PreReleaseKind: String, Sendable, Hashable, Comparable {
        case alpha = "a"
        case beta = "b"
        case releaseCandidate = "rc"

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }

        var rank: Int {
            switch self {
            case .alpha: 0
            case .beta: 1
            case .releaseCandidate: 2
            }
        }
    }

    /// One part of a local version label: numeric parts are kept as canonical digit strings (no leading
    /// zeros) so that arbitrarily long numbers compare exactly; other parts are lowercased.
    public enum LocalSegment: Sendable, Hashable, CustomStringConvertible {
        case number(String)
        case text(String)

        public var description: String {
            switch self {
            case .number(let digits): digits
            case .text(let text): text
            }
        }
    }

    /// Parses `text` with packaging's rules; throws with a reason when packaging would raise `InvalidVersion`.
    public init(_ text: String) throws(VersionError) {
        var parsed: PEP440Parse
        if let result = text.utf8.withContiguousStorageIfAvailable({ PEP440Parse.parse($0) }) {
            parsed = result
        } else {
            let bytes = Array(text.utf8)
            parsed = bytes.withUnsafeBufferPointer { PEP440Parse.parse($0) }
        }
        if let reason = parsed.failure {
            throw VersionError(scheme: .pep440, input: text, reason: reason)
        }
        let extra: Extra?
        if parsed.overflow != nil || parsed.local != nil {
            extra = Extra(text: text, release: parsed.overflow, local: parsed.local)
        } else if PEP440Version(parsed: parsed, extra: nil).isCanonicalText(text) {
            extra = nil
        } else {
            extra = Extra(text: text, release: nil, local: nil)
        }
        self.init(parsed: parsed, extra: extra)
    }

    private init(parsed: PEP440Parse, extra: Extra?) {
        self.epoch = parsed.epoch
        self.r0 = parsed.r0
        self.r1 = parsed.r1
        self.r2 = parsed.r2
        self.r3 = parsed.r3
        self.releaseCount = parsed.overflow == nil ? parsed.releaseCount : 255
        self.preKind = parsed.preKind
        self.preNumber = parsed.preNumber
        self.postNumber = parsed.postNumber
        self.devNumber = parsed.devNumber
        self.extra = extra
        self.sortKey = 0
        self.sortKey = makeSortKey()
    }

    /// Builds a version from its parts (as `Version.from_parts`); `text` becomes the canonical form.
    public init(
        epoch: Int = 0, release: [Int], pre: (kind: PreReleaseKind, number: Int)? = nil, post: Int? = nil,
        dev: Int? = nil, local: [LocalSegment]? = nil
    ) throws(VersionError) {
        let bad = { (reason: String) in VersionError(scheme: .pep440, input: "\(release)", reason: reason) }
        guard !release.isEmpty else { throw bad("the release segment needs at least one number") }
        guard epoch >= 0, release.allSatisfy({ $0 >= 0 }), (pre?.number ?? 0) >= 0, (post ?? 0) >= 0,
            (dev ?? 0) >= 0
        else { throw bad("version numbers must not be negative") }
        if let local, local.isEmpty { throw bad("a local label needs at least one part") }
        self.init(
            uncheckedEpoch: epoch, release: release, preKind: pre.map { UInt8($0.kind.rank + 1) } ?? 0,
            preNumber: pre?.number ?? 0, postNumber: post ?? -1, devNumber: dev ?? -1, local: local)
    }

    init(
        uncheckedEpoch epoch: Int, release: [Int], preKind: UInt8, preNumber: Int, postNumber: Int, devNumber: Int,
        local: [LocalSegment]?
    ) {
        self.epoch = epoch
        let count = release.count
        self.r0 = count > 0 ? release[0] : 0
        self.r1 = count > 1 ? release[1] : 0
        self.r2 = count > 2 ? release[2] : 0
        self.r3 = count > 3 ? release[3] : 0
        self.releaseCount = count > 4 ? 255 : UInt8(count)
        self.preKind = preKind
        self.preNumber = preKind == 0 ? 0 : preNumber
        self.postNumber = postNumber
        self.devNumber = devNumber
        self.extra =
            count > 4 || local != nil ? Extra(text: nil, release: count > 4 ? release : nil, local: local) : nil
        self.sortKey = 0
        self.sortKey = makeSortKey()
    }

    private init(copying other: PEP440Version, text: String) {
        self.epoch = other.epoch
        self.r0 = other.r0
        self.r1 = other.r1
        self.r2 = other.r2
        self.r3 = other.r3
        self.releaseCount = other.releaseCount
        self.preKind = other.preKind
        self.preNumber = other.preNumber
        self.postNumber = other.postNumber
        self.devNumber = other.devNumber
        self.extra = Extra(text: text, release: other.extra?.release, local: other.extra?.local)
        self.sortKey = other.sortKey
    }

    /// Whether `text` is byte-for-byte this (plain, out-of-line-free) version's canonical form.
    private func isCanonicalText(_ text: String) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: renderCapacity) { buffer in
            let length = renderPlain(into: buffer)
            return text.utf8.elementsEqual(UnsafeBufferPointer(rebasing: buffer[..<length]))
        }
    }

    /// Number of release components, trailing zeros included.
    @inlinable public var releaseLength: Int { releaseCount <= 4 ? Int(releaseCount) : (extra?.release?.count ?? 0) }

    /// The `i`th release component, 0 past the end (the padding packaging applies when comparing).
    @inlinable public func releaseComponent(_ index: Int) -> Int {
        if releaseCount > 4 {
            guard let overflow = extra?.release else { return 0 }
            return index < overflow.count ? overflow[index] : 0
        }
        switch index {
        case 0: return r0
        case 1: return index < releaseCount ? r1 : 0
        case 2: return index < releaseCount ? r2 : 0
        case 3: return index < releaseCount ? r3 : 0
        default: return 0
        }
    }

    /// The release segment as written (trailing zeros kept): `1.2.0` → `[1, 2, 0]`.
    public var release: [Int] {
        if let overflow = releaseOverflow { return overflow }
        return (0..<Int(releaseCount)).map { releaseComponent($0) }
    }

    /// The pre-release label and number (`1.0rc1` → `(.releaseCandidate, 1)`), nil for none.
    public var pre: (kind: PreReleaseKind, number: Int)? {
        switch preKind {
        case 1: (.alpha, preNumber)
        case 2: (.beta, preNumber)
        case 3: (.releaseCandidate, preNumber)
        default: nil
        }
    }

    /// The post-release number, nil for none.
    public var post: Int? { postNumber >= 0 ? postNumber : nil }
    /// The development-release number, nil for none.
    public var dev: Int? { devNumber >= 0 ? devNumber : nil }
    /// The normalised local label (`1.0+AbC-01` → `abc.1`), nil for none.
    public var local: String? { localSegments.map { $0.map(\.description).joined(separator: ".") } }
    /// The parts of the local label, nil for none.
    public var localParts: [LocalSegment]? { localSegments }

    /// A pre-release or a development release (packaging's `is_prerelease`).
    @inlinable public var isPrerelease: Bool { preKind != 0 || devNumber >= 0 }
    /// Has a post-release segment.
    @inlinable public var isPostRelease: Bool { postNumber >= 0 }
    /// Has a development-release segment.
    @inlinable public var isDevRelease: Bool { devNumber >= 0 }
    /// Has a local label.
    @inlinable public var hasLocal: Bool { extra?.local != nil }

    /// The canonical form without the local label (`1!1.0a1+abc` → `1!1.0a1`), as packaging's `public`.
    public var publicVersion: String { render(includeSuffixes: true, includeLocal: false) }
    /// Epoch and release only (`1!1.0a1.post2+abc` → `1!1.0`), as packaging's `base_version`.
    public var baseVersion: String { render(includeSuffixes: false, includeLocal: false) }

    /// This version without its local label.
    public var withoutLocal: PEP440Version {
        guard localSegments != nil else { return self }
        return PEP440Version(
            uncheckedEpoch: epoch, release: release, preKind: preKind, preNumber: preNumber,
            postNumber: postNumber, devNumber: devNumber, local: nil)
    }

    func render(includeSuffixes: Bool, includeLocal: Bool) -> String {
        var capacity = includeSuffixes ? renderCapacity : 21 * (releaseLength + 1)
        if includeLocal, let local = localSegments {
            capacity += local.reduce(1) { $0 + $1.description.utf8.count + 1 }
        }
        return String(unsafeUninitializedCapacity: capacity) { buffer in
            var length = includeSuffixes ? renderPlain(into: buffer) : renderBase(into: buffer, at: 0)
            if includeLocal, let local = localSegments {
                buffer[length] = UInt8(ascii: "+")
                length += 1
                for (index, part) in local.enumerated() {
                    if index > 0 {
                        buffer[length] = UInt8(ascii: ".")
                        length += 1
                    }
                    for byte in part.description.utf8 {
                        buffer[length] = byte
                        length += 1
                    }
                }
            }
            return length
        }
    }

    /// Enough bytes for the canonical form without the local label.
    var renderCapacity: Int { 21 * (releaseLength + 1) + 3 * 26 }

    /// Writes `N!` and the release; returns the new length.
    func renderBase(into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var length = start
        if epoch != 0 {
            length = Self.writeNumber(epoch, into: buffer, at: length)
            buffer[length] = UInt8(ascii: "!")
            length += 1
        }
        for index in 0..<releaseLength {
            if index > 0 {
                buffer[length] = UInt8(ascii: ".")
                length += 1
            }
            length = Self.writeNumber(releaseComponent(index), into: buffer, at: length)
        }
        return length
    }

    /// Writes the canonical form without the local label; returns its length.
    func renderPlain(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var length = renderBase(into: buffer, at: 0)
        func append(_ word: StaticString) {
            for offset in 0..<word.utf8CodeUnitCount {
                buffer[length] = word.utf8Start[offset]
                length += 1
            }
        }
        switch preKind {
        case 1: append("a")
        case 2: append("b")
        case 3: append("rc")
        default: break
        }
        if preKind != 0 { length = Self.writeNumber(preNumber, into: buffer, at: length) }
        if postNumber >= 0 {
            append(".post")
            length = Self.writeNumber(postNumber, into: buffer, at: length)
        }
        if devNumber >= 0 {
            append(".dev")
            length = Self.writeNumber(devNumber, into: buffer, at: length)
        }
        return length
    }

    /// Writes the decimal digits of a non-negative number; returns the new length.
    static func writeNumber(_ value: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var digits = 1
        var probe = value
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        var rest = value
        for offset in stride(from: start + digits - 1, through: start, by: -1) {
            buffer[offset] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        return start + digits
    }

    /// Index just past the last non-zero release component (the release as compared).
    @inlinable var trimmedReleaseLength: Int {
        var length = releaseLength
        while length > 0 && releaseComponent(length - 1) == 0 { length -= 1 }
        return length
    }

    /// packaging's suffix key `(pre_rank, pre_n, post_rank, post_n, dev_rank, dev_n)`, packed into ranks.
    @inlinable var preRank: Int {
        if preKind == 0 { return (postNumber < 0 && devNumber >= 0) ? -1 : 3 }
        return Int(preKind) - 1
    }

    /// Three-way comparison of everything but the local label.
    @inlinable static func comparePublic(_ lhs: PEP440Version, _ rhs: PEP440Version) -> Int {
        if lhs.sortKey != rhs.sortKey { return lhs.sortKey < rhs.sortKey ? -1 : 1 }
        if lhs.epoch != rhs.epoch { return lhs.epoch < rhs.epoch ? -1 : 1 }
        if lhs.releaseCount <= 4 && rhs.releaseCount <= 4 {
            // Components past releaseCount are stored as 0, which is exactly the padding we need.
            if lhs.r0 != rhs.r0 { return lhs.r0 < rhs.r0 ? -1 : 1 }
            if lhs.r1 != rhs.r1 { return lhs.r1 < rhs.r1 ? -1 : 1 }
            if lhs.r2 != rhs.r2 { return lhs.r2 < rhs.r2 ? -1 : 1 }
            if lhs.r3 != rhs.r3 { return lhs.r3 < rhs.r3 ? -1 : 1 }
        } else {
            let count = max(lhs.releaseLength, rhs.releaseLength)
            for index in 0..<count {
                let left = lhs.releaseComponent(index)
                let right = rhs.releaseComponent(index)
                if left != right { return left < right ? -1 : 1 }
            }
        }
        let lp = lhs.preRank
        let rp = rhs.preRank
        if lp != rp { return lp < rp ? -1 : 1 }
        if lhs.preNumber != rhs.preNumber { return lhs.preNumber < rhs.preNumber ? -1 : 1 }
        // post_rank then post_n: absent (-1) sorts first, which the raw numbers already give.
        if lhs.postNumber != rhs.postNumber { return lhs.postNumber < rhs.postNumber ? -1 : 1 }
        // dev_rank: present sorts before absent; then dev_n.
        if lhs.devNumber != rhs.devNumber {
            if lhs.devNumber < 0 { return 1 }
            if rhs.devNumber < 0 { return -1 }
            return lhs.devNumber < rhs.devNumber ? -1 : 1
        }
        return 0
    }

    /// Three-way comparison of local labels: none < any; parts compared in order, text < number,
    /// numbers numerically, text by code points, a shorter prefix first.
    @usableFromInline static func compareLocal(_ lhs: [LocalSegment]?, _ rhs: [LocalSegment]?) -> Int {
        guard let lhs else { return rhs == nil ? 0 : -1 }
        guard let rhs else { return 1 }
        for (left, right) in zip(lhs, rhs) {
            switch (left, right) {
            case (.text, .number): return -1
            case (.number, .text): return 1
            case (.number(let a), .number(let b)):
                if a.utf8.count != b.utf8.count { return a.utf8.count < b.utf8.count ? -1 : 1 }
                let order = compareBytes(a, b)
                if order != 0 { return order }
            case (.text(let a), .text(let b)):
                let order = compareBytes(a, b)
                if order != 0 { return order }
            }
        }
        if lhs.count != rhs.count { return lhs.count < rhs.count ? -1 : 1 }
        return 0
    }

    static func compareBytes(_ lhs: String, _ rhs: String) -> Int {
        // Local parts are ASCII, so byte order is code-point order.
        var left = lhs.utf8.makeIterator()
        var right = rhs.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let a?, let b?): if a != b { return a < b ? -1 : 1 }
            }
        }
    }

    /// Packs epoch, release[0..<4], "any later release number is non-zero", pre rank and pre number into 64
    /// bits, most significant first. A field too large for its width is stored as all ones and every later
    /// field as zero, so the packed order never contradicts the real one (ties fall back to `compare`).
    func makeSortKey() -> UInt64 {
        var key: UInt64 = 0
        var open = true
        func put(_ value: Int, bits: UInt64) {
            key <<= bits
            guard open else { return }
            let limit = (UInt64(1) << bits) - 1
            if value >= 0 && UInt64(value) < limit {
                key |= UInt64(value)
            } else {
                key |= limit
                open = false
            }
        }
        put(epoch, bits: 3)
        put(releaseComponent(0), bits: 16)
        put(releaseComponent(1), bits: 13)
        put(releaseComponent(2), bits: 12)
        put(releaseComponent(3), bits: 10)
        var tail = 0
        if releaseCount > 4 {
            for index in 4..<releaseLength where releaseComponent(index) != 0 { tail = 1 }
        }
        put(tail == 0 ? 0 : Int.max, bits: 1)
        put(preRank + 1, bits: 3)
        put(preNumber, bits: 6)
        return key
    }

    /// An order-preserving 64-bit prefix of the comparison: `a.orderingPrefix < b.orderingPrefix` implies `a < b`;
    /// equal prefixes need `compare`. Sorting small (prefix, index) pairs moves far less memory than sorting versions.
    @inlinable public var orderingPrefix: UInt64 { sortKey }

    /// Three-way comparison with packaging's ordering (-1, 0, 1).
    @inlinable public static func compare(_ lhs: PEP440Version, _ rhs: PEP440Version) -> Int {
        if lhs.sortKey != rhs.sortKey { return lhs.sortKey < rhs.sortKey ? -1 : 1 }
        let order = comparePublic(lhs, rhs)
        if order != 0 { return order }
        if lhs.extra == nil && rhs.extra == nil { return 0 }
        return compareLocal(lhs.localSegments, rhs.localSegments)
    }
}

extension PEP440Version: Comparable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The canonical form, exactly as `str(packaging.version.Version(text))`.
    public var description: String { render(includeSuffixes: true, includeLocal: true) }

    public var debugDescription: String { "PEP440Version(\(description.debugDescription))" }

    @inlinable public static func < (lhs: PEP440Version, rhs: PEP440Version) -> Bool { compare(lhs, rhs) < 0 }

    @inlinable public static func == (lhs: PEP440Version, rhs: PEP440Version) -> Bool { compare(lhs, rhs) == 0 }

    /// Consistent with `==`: trailing release zeros and spelling do not change the hash.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(epoch)
        let length = trimmedReleaseLength
        hasher.combine(length)
        for index in 0..<length { hasher.combine(releaseComponent(index)) }
        hasher.combine(preRank)
        hasher.combine(preNumber)
        hasher.combine(postNumber)
        hasher.combine(devNumber)
        if let localSegments {
            hasher.combine(localSegments.count)
            for part in localSegments { hasher.combine(part) }
        }
    }
}

/// Result of scanning a version string; `failure` set when invalid.
struct PEP440Parse {
    var failure: String?
    var epoch = 0
    var r0 = 0
    var r1 = 0
    var r2 = 0
    var r3 = 0
    var overflow: [Int]?
    var releaseCount: UInt8 = 0
    var preKind: UInt8 = 0
    var preNumber = 0
    var postNumber = -1
    var devNumber = -1
    var local: [PEP440Version.LocalSegment]?

    static func fail(_ reason: String) -> PEP440Parse {
        var result = PEP440Parse()
        result.failure = reason
        return result
    }

    mutating func appendRelease(_ value: Int, count: Int) {
        switch count {
        case 0: r0 = value
        case 1: r1 = value
        case 2: r2 = value
        case 3: r3 = value
        case 4: overflow = [r0, r1, r2, r3, value]
        default: overflow?.append(value)
        }
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> PEP440Parse {
        var start = 0
        var end = bytes.count
        start = PythonText.skipSpace(bytes, from: start, to: end)
        end = PythonText.trimSpaceEnd(bytes, from: start, to: end)
        if start == end { return fail("empty version") }
        var scan = ByteScanner(bytes: bytes, position: start, end: end)
        var result = PEP440Parse()

        if scan.peekLower == UInt8(ascii: "v") { scan.position += 1 }
        guard scan.peekIsDigit else { return fail("expected a release number\(scan.whereText)") }
        guard var first = scan.readNumber() else { return fail("number too large") }
        if scan.peek == UInt8(ascii: "!") {
            scan.position += 1
            result.epoch = first
            guard scan.peekIsDigit else { return fail("expected a release number after the epoch '!'") }
            guard let value = scan.readNumber() else { return fail("number too large") }
            first = value
        }
        result.r0 = first
        var count = 1
        while scan.peek == UInt8(ascii: "."), scan.peekIsDigit(at: scan.position + 1) {
            scan.position += 1
            guard let value = scan.readNumber() else { return fail("number too large") }
            result.appendRelease(value, count: count)
            count += 1
        }
        result.releaseCount = UInt8(clamping: count)

        // Pre-release: [._-]?(alpha|a|beta|b|preview|pre|c|rc)[._-]?[0-9]*   (all-or-nothing)
        let preStart = scan.position
        scan.skipSeparator()
        if let kind = scan.readPreLabel() {
            scan.skipSeparator()
            result.preKind = kind
            if scan.peekIsDigit {
                guard let value = scan.readNumber() else { return fail("number too large") }
                result.preNumber = value
            }
        } else {
            scan.position = preStart
        }

        // Post-release: -N | [._-]?(post|rev|r)[._-]?[0-9]*
        if scan.peek == UInt8(ascii: "-"), scan.peekIsDigit(at: scan.position + 1) {
            scan.position += 1
            guard let value = scan.readNumber() else { return fail("number too large") }
            result.postNumber = value
        } else {
            let postStart = scan.position
            scan.skipSeparator()
            if scan.readPostLabel() {
                scan.skipSeparator()
                result.postNumber = 0
                if scan.peekIsDigit {
                    guard let value = scan.readNumber() else { return fail("number too large") }
                    result.postNumber = value
                }
            } else {
                scan.position = postStart
            }
        }

        // Development release: [._-]?dev[._-]?[0-9]*
        let devStart = scan.position
        scan.skipSeparator()
        if scan.readWord("dev") {
            scan.skipSeparator()
            result.devNumber = 0
            if scan.peekIsDigit {
                guard let value = scan.readNumber() else { return fail("number too large") }
                result.devNumber = value
            }
        } else {
            scan.position = devStart
        }

        // Local label: +[a-z0-9]+([._-][a-z0-9]+)*
        if scan.peek == UInt8(ascii: "+"), scan.peekIsAlnum(at: scan.position + 1) {
            scan.position += 1
            var parts: [PEP440Version.LocalSegment] = []
            while true {
                let partStart = scan.position
                var allDigits = true
                while scan.peekIsAlnum(at: scan.position) {
                    if !scan.peekIsDigit { allDigits = false }
                    scan.position += 1
                }
                parts.append(localPart(bytes, partStart, scan.position, allDigits: allDigits))
                if scan.peekIsSeparator, scan.peekIsAlnum(at: scan.position + 1) {
                    scan.position += 1
                } else {
                    break
                }
            }
            result.local = parts
        }

        if scan.position != end {
            return fail("unexpected \(scan.restDescription) in the version")
        }
        return result
    }

    static func localPart(
        _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, allDigits: Bool
    ) -> PEP440Version.LocalSegment {
        if allDigits {
            var from = start
            while from < end - 1 && bytes[from] == UInt8(ascii: "0") { from += 1 }
            return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<end]), as: UTF8.self))
        }
        var lowered = [UInt8]()
        lowered.reserveCapacity(end - start)
        for index in start..<end { lowered.append(PythonText.lowerASCII(bytes[index])) }
        return .text(String(decoding: lowered, as: UTF8.self))
    }
}

/// A cursor over UTF-8 bytes with the small matchers the PEP 440 grammar needs.
struct ByteScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int
    let end: Int

    var peek: UInt8? { position < end ? bytes[position] : nil }
    var peekLower: UInt8? { peek.map(PythonText.lowerASCII) }
    var peekIsDigit: Bool { peekIsDigit(at: position) }
    var peekIsSeparator: Bool {
        guard let byte = peek else { return false }
        return byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    func peekIsDigit(at index: Int) -> Bool {
        index < end && bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9")
    }

    func peekIsAlnum(at index: Int) -> Bool {
        guard index < end else { return false }
        let byte = PythonText.lowerASCII(bytes[index])
        return (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
    }

    var whereText: String { position < end ? " at \(restDescription)" : " but the text ended" }

    var restDescription: String {
        let rest = String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
        return "'\(rest)'"
    }

    mutating func skipSeparator() { if peekIsSeparator { position += 1 } }

    /// Reads ASCII digits (at least one must be present); nil when the value overflows `Int`.
    mutating func readNumber() -> Int? {
        var value = 0
        var overflowed = false
        while peekIsDigit {
            let digit = Int(bytes[position] &- UInt8(ascii: "0"))
            if !overflowed {
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(digit)
                if o1 || o2 { overflowed = true } else { value = plus }
            }
            position += 1
        }
        return overflowed ? nil : value
    }

    /// Case-insensitively reads `word` if it is next.
    mutating func readWord(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard end - position >= count else { return false }
        let pointer = word.utf8Start
        for offset in 0..<count where PythonText.lowerASCII(bytes[position + offset]) != pointer[offset] {
            return false
        }
        position += count
        return true
    }

    /// `alpha|a|beta|b|preview|pre|c|rc`, longest spelling first; returns the normalised kind.
    mutating func readPreLabel() -> UInt8? {
        if readWord("alpha") || readWord("a") { return 1 }
        if readWord("beta") || readWord("b") { return 2 }
        if readWord("preview") || readWord("pre") || readWord("c") || readWord("rc") { return 3 }
        return nil
    }

    /// `post|rev|r`.
    mutating func readPostLabel() -> Bool { readWord("post") || readWord("rev") || readWord("r") }
}

/// Python text rules the packaging regexes rely on.
enum PythonText {
    @inline(__always) static func lowerASCII(_ byte: UInt8) -> UInt8 {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) ? byte | 0x20 : byte
    }

    /// Length of the Python whitespace character (`str.isspace`) starting at `index`, 0 when none.
    static func spaceLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, end: Int) -> Int {
        guard index < end else { return 0 }
        let byte = bytes[index]
        if byte < 0x80 {
            return (byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) || (byte >= 0x1C && byte <= 0x1F)) ? 1 : 0
        }
        guard let scalar = scalarAt(bytes, index, end) else { return 0 }
        return isPythonSpace(scalar.value) ? scalar.length : 0
    }

    /// Python's `str.isspace` for non-ASCII code points.
    static func isPythonSpace(_ value: UInt32) -> Bool {
        switch value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F,
            0x3000:
            true
        default: false
        }
    }

    /// Decodes the (valid) UTF-8 scalar starting at `index`.
    static func scalarAt(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int, _ end: Int) -> (value: UInt32, length: Int)?
    {
        let lead = bytes[index]
        let length: Int
        var value: UInt32
        switch lead {
        case 0x00..<0x80: return (UInt32(lead), 1)
        case 0xC0..<0xE0:
            length = 2
            value = UInt32(lead & 0x1F)
        case 0xE0..<0xF0:
            length = 3
            value = UInt32(lead & 0x0F)
        case 0xF0..<0xF8:
            length = 4
            value = UInt32(lead & 0x07)
        default: return nil
        }
        guard index + length <= end else { return nil }
        for offset in 1..<length { value = (value << 6) | UInt32(bytes[index + offset] & 0x3F) }
        return (value, length)
    }

    static func skipSpace(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to end: Int) -> Int {
        var index = from
        while true {
            let length = spaceLength(bytes, at: index, end: end)
            if length == 0 { return index }
            index += length
        }
    }

    static func trimSpaceEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
        var stop = end
        while stop > start {
            // Find the start of the last scalar.
            var lead = stop - 1
            while lead > start && (bytes[lead] & 0xC0) == 0x80 { lead -= 1 }
            let length = spaceLength(bytes, at: lead, end: stop)
            if length == 0 || lead + length != stop { return stop }
            stop = lead
        }
        return stop
    }

    /// Python's `str.strip()` (whitespace per `str.isspace`).
    static func strip(_ text: String) -> String {
        var copy = text
        return copy.withUTF8 { bytes in
            let start = skipSpace(bytes, from: 0, to: bytes.count)
            let end = trimSpaceEnd(bytes, from: start, to: bytes.count)
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
    }

    /// Python's `str.lower()` restricted to what matters here (full Unicode lowercasing via Swift).
    static func lower(_ text: String) -> String { text.lowercased() }
}
