// The order key behind `CondaVersion`: conda's component lists encoded as bytes whose plain
// lexicographic order (shorter side padded with `end` bytes) is exactly conda's `VersionOrder`.
//
// Conda compares versions component by component; inside a component it compares subcomponents,
// padding the shorter one with the number 0, and a missing component counts as all zeros.
// Zeros are therefore folded into the key of the next non-zero subcomponent ("z" = how many zeros
// precede it, which is never more than 1 because zeros only come from digit runs and the implicit
// leading fill, and digit runs never touch), trailing zeros are dropped, and every component ends
// with an `end` byte that sorts between strings (below 0) and positive numbers (above 0):
//
//   0x10 / 0x11  string after z = 0 / 1 zeros, then its bytes, then 0x00
//   0x20         end of component (also the padding after the last component)
//   0x31-0x3F    positive number after one zero: low nibble 1-8 = byte length of the value,
//                E = more than 19 digits (then 2-byte digit count and the digits), F = `post`
//   0x41-0x4F    the same after no zero
//
// A string that follows a zero sorts above one that does not (at that position the other side
// has a string against our 0); a number that follows a zero sorts below one that does not.

enum CondaKey {
    static let end: UInt8 = 0x20
    static let stringBase: UInt8 = 0x10
    static let numberAfterZero: UInt8 = 0x30
    static let numberNoZero: UInt8 = 0x40
    static let bigNibble: UInt8 = 0x0E
    static let infNibble: UInt8 = 0x0F
    /// How many bytes of the main key live inline in `CondaVersion`.
    static let inlineBytes = 24

    /// Worst-case encoded size for a normalized version of `n` bytes.
    static func capacity(for n: Int) -> Int { 4 * n + 32 }
}

/// Writes the order key into a caller-provided buffer.
struct CondaKeySink: CondaAtomSink {
    let buf: UnsafeMutableBufferPointer<UInt8>
    var pos = 0
    var zeros = 0
    /// End of the last non-`end` key in the current section (main or local).
    var lastKeyEnd = 0
    var mainLength = -1
    var tooLong = false

    init(buffer: UnsafeMutableBufferPointer<UInt8>) { self.buf = buffer }

    mutating func beginComponent() { zeros = 0 }

    mutating func zero() { zeros += 1 }

    mutating func number(_ digits: UnsafeBufferPointer<UInt8>) {
        let base = zeros == 0 ? CondaKey.numberNoZero : CondaKey.numberAfterZero
        zeros = 0
        let count = digits.count
        if count <= 19 {
            var value: UInt64 = 0
            for d in digits { value = value &* 10 &+ UInt64(d &- 0x30) }
            let bytes = (64 - value.leadingZeroBitCount + 7) / 8
            buf[pos] = base | UInt8(bytes)
            pos += 1
            var shift = (bytes - 1) * 8
            while shift >= 0 {
                buf[pos] = UInt8(truncatingIfNeeded: value >> UInt64(shift))
                pos += 1
                shift -= 8
            }
        } else {
            if count > 0xFFFF { tooLong = true }
            let clipped = min(count, 0xFFFF)
            buf[pos] = base | CondaKey.bigNibble
            buf[pos + 1] = UInt8(truncatingIfNeeded: clipped >> 8)
            buf[pos + 2] = UInt8(truncatingIfNeeded: clipped)
            pos += 3
            for d in digits {
                buf[pos] = d
                pos += 1
            }
        }
        lastKeyEnd = pos
    }

    mutating func infinity() {
        buf[pos] = (zeros == 0 ? CondaKey.numberNoZero : CondaKey.numberAfterZero) | CondaKey.infNibble
        zeros = 0
        pos += 1
        lastKeyEnd = pos
    }

    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) {
        buf[pos] = CondaKey.stringBase | UInt8(truncatingIfNeeded: zeros)
        zeros = 0
        pos += 1
        for b in bytes {
            buf[pos] = b
            pos += 1
        }
        buf[pos] = 0
        pos += 1
        lastKeyEnd = pos
    }

    mutating func endComponent() {
        buf[pos] = CondaKey.end
        pos += 1
    }

    mutating func beginLocal() {
        pos = lastKeyEnd
        mainLength = pos
    }

    /// Drops trailing `end` keys of the local section; returns the total length.
    mutating func finish() -> Int {
        pos = lastKeyEnd
        return pos
    }
}

/// One subcomponent read back from a key: `tag` is 0 for the number zero, `CondaKey.stringBase`
/// for strings, or `CondaKey.numberNoZero | nibble` for numbers; `payload` indexes the key bytes.
struct CondaAtom {
    var tag: UInt8
    var payload: Range<Int>

    static let zero = CondaAtom(tag: 0, payload: 0..<0)

    var isString: Bool { tag == CondaKey.stringBase }
}

/// Reads a key back as subcomponents, expanding the folded zeros. A key section ends with
/// an implied infinity of `end` bytes, so reading past it yields empty components.
struct CondaKeyReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var pos: Int
    let limit: Int
    /// The atom that follows a folded zero which was returned first.
    private var queued: CondaAtom?

    init(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) {
        self.bytes = bytes
        self.pos = from
        self.limit = to
    }

    /// The next subcomponent of the current component, or nil at its end (the `end` byte is consumed).
    mutating func nextAtom() -> CondaAtom? {
        if let q = queued {
            queued = nil
            return q
        }
        if pos >= limit { return nil }
        let c = bytes[pos]
        if c == CondaKey.end {
            pos += 1
            return nil
        }
        let atom: CondaAtom
        let afterZero: Bool
        if c < CondaKey.end {
            afterZero = c & 1 == 1
            var e = pos + 1
            while bytes[e] != 0 { e += 1 }
            atom = CondaAtom(tag: CondaKey.stringBase, payload: (pos + 1)..<e)
            pos = e + 1
        } else {
            let nibble = c & 0x0F
            afterZero = c & 0xF0 == CondaKey.numberAfterZero
            let start = pos + 1
            let stop: Int
            switch nibble {
            case CondaKey.infNibble: stop = start
            case CondaKey.bigNibble: stop = start + 2 + (Int(bytes[start]) << 8 | Int(bytes[start + 1]))
            default: stop = start + Int(nibble)
            }
            atom = CondaAtom(tag: CondaKey.numberNoZero | nibble, payload: start..<stop)
            pos = stop
        }
        if afterZero {
            queued = atom
            return .zero
        }
        return atom
    }

    /// Skips the rest of the current component.
    mutating func skipComponent() {
        while nextAtom() != nil {}
    }
}
