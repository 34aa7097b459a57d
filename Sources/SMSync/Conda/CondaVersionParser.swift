// The grammar of conda versions (conda/models/version.py, `VersionOrder.__init__`), shared by the
// fast order-key encoder used by `CondaVersion` and by the raw component builder used by version specs.

/// Receives the parsed subcomponents of a conda version, component by component.
///
/// Conda splits a version into an epoch component, the main components and the local components;
/// each component is a list of subcomponents (numbers, strings, `post` = +infinity, `dev`).
/// A component that starts with a letter gets an implicit leading `0` (conda's fill value).
protocol CondaAtomSink {
    mutating func beginComponent()
    /// The number zero (including conda's implicit leading fill value).
    mutating func zero()
    /// A non-zero number given by its decimal digits without leading zeros.
    mutating func number(_ digits: UnsafeBufferPointer<UInt8>)
    /// The string `post`, which conda orders above every number.
    mutating func infinity()
    /// A lowercase string run (letters, `_`, or `*`); `dev` arrives as `DEV`.
    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>)
    mutating func endComponent()
    /// Called once, after the main components, before the local components (if any).
    mutating func beginLocal()
}

enum CondaVersionParser {
    static let devUpper: [UInt8] = [0x44, 0x45, 0x56]  // "DEV"

    @inline(__always)
    static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

    /// Python's `str.isspace` for ASCII: space, `\t\n\v\f\r` and the separators `\x1c`-`\x1f`.
    @inline(__always)
    static func isASCIISpace(_ c: UInt8) -> Bool {
        c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)
    }

    /// Python's `str.isspace` for any scalar.
    static func isPythonSpace(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return isASCIISpace(UInt8(s.value)) }
        return s.properties.isWhitespace
    }

    /// Conda's version text after `strip().lower()` and the dash rule, or the reason it is rejected
    /// by the character checks. `out` receives the normalized bytes; returns their count.
    ///
    /// Conda accepts `[*.+!_0-9a-z]` after lower-casing; `-` is accepted only when the text has no `_`,
    /// and then means `_`. Python's `lower()` maps only one non-ASCII character into that set:
    /// U+212A KELVIN SIGN becomes `k`.
    static func normalize(
        _ input: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>
    ) -> Result<Int, VersionError.Reason> {
        var lo = 0
        var hi = input.count
        while lo < hi && isASCIISpace(input[lo]) { lo += 1 }
        while hi > lo && isASCIISpace(input[hi - 1]) { hi -= 1 }
        if lo == hi { return .failure(.empty) }
        var n = 0
        var sawDash = false
        var sawUnderscore = false
        var i = lo
        while i < hi {
            var c = input[i]
            if c >= 0x80 {
                // U+212A KELVIN SIGN is E2 84 AA in UTF-8; Python lower-cases it to "k".
                if c == 0xE2 && i + 2 < hi && input[i + 1] == 0x84 && input[i + 2] == 0xAA {
                    out[n] = 0x6B
                    n += 1
                    i += 3
                    continue
                }
                return .failure(.invalidCharacters)
            }
            if c >= 0x41 && c <= 0x5A { c |= 0x20 }
            switch c {
            case 0x61...0x7A, 0x30...0x39, 0x2A, 0x2E, 0x2B, 0x21: break
            case 0x5F: sawUnderscore = true
            case 0x2D: sawDash = true
            default: return .failure(.invalidCharacters)
            }
            out[n] = c
            n += 1
            i += 1
        }
        if sawDash {
            if sawUnderscore { return .failure(.invalidCharacters) }
            for k in 0..<n where out[k] == 0x2D { out[k] = 0x5F }
        }
        return .success(n)
    }

    /// Parses normalized version bytes (see `normalize`) into `sink`.
    static func parse<S: CondaAtomSink>(
        _ v: UnsafeBufferPointer<UInt8>, into sink: inout S
    ) -> VersionError.Reason? {
        let n = v.count
        var bang = -1
        var plus = -1
        for i in 0..<n {
            let c = v[i]
            if c == 0x21 {
                if bang >= 0 { return .duplicateEpoch }
                bang = i
            }
        }
        // epoch
        sink.beginComponent()
        if bang >= 0 {
            if bang == 0 { return .badEpoch }
            for i in 0..<bang where !isDigit(v[i]) { return .badEpoch }
            emitDigits(v, 0, bang, into: &sink)
        } else {
            sink.zero()
        }
        sink.endComponent()
        let start = bang + 1
        for i in start..<n where v[i] == 0x2B {
            if plus >= 0 { return .duplicateLocal }
            plus = i
        }
        let mainEnd = plus >= 0 ? plus : n
        if mainEnd == start { return plus >= 0 ? .missingMain : .empty }
        // main components, split at '.' and '_'; a trailing '_' stays glued to the last component
        let trailingUnderscore = v[mainEnd - 1] == 0x5F
        let splitEnd = trailingUnderscore ? mainEnd - 1 : mainEnd
        var compStart = start
        var i = start
        while i <= splitEnd {
            if i == splitEnd || v[i] == 0x2E || v[i] == 0x5F {
                let compEnd = (i == splitEnd && trailingUnderscore) ? mainEnd : i
                if compEnd == compStart { return .emptyComponent }
                emitComponent(v, compStart, compEnd, into: &sink)
                compStart = i + 1
            }
            i += 1
        }
        sink.beginLocal()
        if plus >= 0 {
            compStart = plus + 1
            i = compStart
            while i <= n {
                if i == n || v[i] == 0x2E || v[i] == 0x5F {
                    if i == compStart { return .emptyComponent }
                    emitComponent(v, compStart, i, into: &sink)
                    compStart = i + 1
                }
                i += 1
            }
        }
        return nil
    }

    @inline(__always)
    static func emitDigits<S: CondaAtomSink>(
        _ v: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, into sink: inout S
    ) {
        var s = from
        while s < to && v[s] == 0x30 { s += 1 }
        if s == to {
            sink.zero()
        } else {
            sink.number(UnsafeBufferPointer(rebasing: v[s..<to]))
        }
    }

    static func emitComponent<S: CondaAtomSink>(
        _ v: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, into sink: inout S
    ) {
        sink.beginComponent()
        if !isDigit(v[from]) { sink.zero() }
        var i = from
        while i < to {
            let c = v[i]
            var j = i + 1
            if isDigit(c) {
                while j < to && isDigit(v[j]) { j += 1 }
                emitDigits(v, i, j, into: &sink)
            } else if c == 0x2A {
                while j < to && v[j] == 0x2A { j += 1 }
                sink.string(UnsafeBufferPointer(rebasing: v[i..<j]))
            } else {
                while j < to && !isDigit(v[j]) && v[j] != 0x2A { j += 1 }
                let len = j - i
                if len == 4 && c == 0x70 && v[i + 1] == 0x6F && v[i + 2] == 0x73 && v[i + 3] == 0x74 {
                    sink.infinity()
                } else if len == 3 && c == 0x64 && v[i + 1] == 0x65 && v[i + 2] == 0x76 {
                    devUpper.withUnsafeBufferPointer { sink.string($0) }
                } else {
                    sink.string(UnsafeBufferPointer(rebasing: v[i..<j]))
                }
            }
            i = j
        }
        sink.endComponent()
    }
}

extension VersionError {
    /// Why conda rejects a version text.
    enum Reason: Error, Sendable {
        case empty, invalidCharacters, duplicateEpoch, badEpoch, duplicateLocal, missingMain, emptyComponent
        case tooLong

        var text: String {
            switch self {
            case .empty: "empty version"
            case .invalidCharacters:
                "invalid character(s): only letters, digits and . _ + ! * are allowed"
                    + " (- only when the version contains no _)"
            case .duplicateEpoch: "duplicated epoch separator '!'"
            case .badEpoch: "epoch must be an integer"
            case .duplicateLocal: "duplicated local version separator '+'"
            case .missingMain: "missing version before local version separator '+'"
            case .emptyComponent: "empty version component (leading, trailing or doubled '.', '_' or '-')"
            case .tooLong: "version component number too long"
            }
        }
    }

    static func conda(_ input: String, _ reason: Reason) -> VersionError {
        VersionError(scheme: .conda, input: input, reason: reason.text)
    }

    static func conda(_ input: String, _ reason: String) -> VersionError {
        VersionError(scheme: .conda, input: input, reason: reason)
    }
}
