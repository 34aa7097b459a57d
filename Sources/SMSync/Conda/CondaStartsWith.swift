// Conda's `VersionOrder.startswith`, used by `=1.2`, `1.2.*`, `1.2*`, `!=1.2.*` and `~=`.

/// One subcomponent exactly as conda's parser produced it (zeros explicit, nothing dropped).
enum CondaRawAtom: Equatable {
    case zero
    case number([UInt8])
    case infinity
    case string([UInt8])
}

/// Collects the raw component lists (epoch first) of a version.
struct CondaRawSink: CondaAtomSink {
    var main: [[CondaRawAtom]] = []
    var local: [[CondaRawAtom]] = []
    var inLocal = false
    var current: [CondaRawAtom] = []

    mutating func beginComponent() { current = [] }
    mutating func zero() { current.append(.zero) }
    mutating func number(_ digits: UnsafeBufferPointer<UInt8>) { current.append(.number(Array(digits))) }
    mutating func infinity() { current.append(.infinity) }
    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) { current.append(.string(Array(bytes))) }
    mutating func endComponent() {
        if inLocal { local.append(current) } else { main.append(current) }
    }
    mutating func beginLocal() { inLocal = true }

    /// Parses `text` (already known to be a valid conda version) into raw components.
    static func parse(_ text: String) -> CondaRawSink {
        var sink = CondaRawSink()
        var copy = text
        copy.withUTF8 { input in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: input.count + 1) { out in
                if case .success(let n) = CondaVersionParser.normalize(input, into: out) {
                    _ = CondaVersionParser.parse(UnsafeBufferPointer(rebasing: out[0..<n]), into: &sink)
                }
            }
        }
        return sink
    }
}

/// A subcomponent in the byte form used by the order key (tag 0 = zero).
struct CondaKeyAtom: Sendable, Hashable {
    var tag: UInt8
    var payload: [UInt8]

    init(_ raw: CondaRawAtom) {
        switch raw {
        case .zero:
            self.init(tag: 0, payload: [])
        case .string(let s):
            self.init(tag: CondaKey.stringBase, payload: s)
        case .infinity, .number:
            var tag: UInt8 = 0
            var payload: [UInt8] = []
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: CondaKey.capacity(for: 0) + 8 + raw.digitCount) {
                buf in
                var sink = CondaKeySink(buffer: buf)
                sink.beginComponent()
                if case .number(let d) = raw {
                    d.withUnsafeBufferPointer { sink.number($0) }
                } else {
                    sink.infinity()
                }
                var reader = CondaKeyReader(UnsafeBufferPointer(buf), from: 0, to: sink.pos)
                if let atom = reader.nextAtom() {
                    tag = atom.tag
                    payload = Array(buf[atom.payload])
                }
            }
            self.init(tag: tag, payload: payload)
        }
    }

    init(tag: UInt8, payload: [UInt8]) {
        self.tag = tag
        self.payload = payload
    }

    @inline(__always)
    func equals(_ atom: CondaAtom, in key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard atom.tag == tag, atom.payload.count == payload.count else { return false }
        var i = atom.payload.lowerBound
        for b in payload {
            if key[i] != b { return false }
            i += 1
        }
        return true
    }
}

extension CondaRawAtom {
    /// An upper bound of the bytes this atom takes in an order key.
    var keyBytes: Int {
        switch self {
        case .zero, .infinity: 1
        case .number(let d): d.count + 3
        case .string(let s): s.count + 2
        }
    }

    var digitCount: Int {
        if case .number(let d) = self { return d.count }
        return 0
    }
}

/// `candidate.startswith(target)` as conda defines it: the components of the target up to its
/// last one must equal the candidate's (with zero padding), the subcomponents of the target's last
/// component up to its last one must equal, and the target's final subcomponent must equal the
/// candidate's (a string only needs to be a prefix of the candidate's string). When the target has
/// a local part, the main versions must be equal and the rule applies to the local parts.
struct CondaStartsWith: Sendable, Hashable {
    /// Set when the target has a local part: the main version that must be equal.
    let mainVersion: CondaVersion?
    /// The order key of the target's components before its last one, each ending with `end`.
    let prefix: [UInt8]
    /// The target's last component before its final subcomponent.
    let lastLeading: [CondaKeyAtom]
    let final: CondaKeyAtom

    init(_ target: CondaVersion) {
        let raw = CondaRawSink.parse(target.text)
        let comps: [[CondaRawAtom]]
        if raw.local.isEmpty {
            mainVersion = nil
            comps = raw.main
        } else {
            mainVersion = target
            comps = raw.local
        }
        let head = comps.dropLast()
        let last = comps.last ?? [.zero]
        var prefixBytes: [UInt8] = []
        let cap = CondaKey.capacity(for: 0) + head.reduce(0) { acc, c in acc + c.reduce(1) { $0 + $1.keyBytes } }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: cap) { buf in
            var sink = CondaKeySink(buffer: buf)
            for comp in head {
                sink.beginComponent()
                for atom in comp {
                    switch atom {
                    case .zero: sink.zero()
                    case .infinity: sink.infinity()
                    case .number(let d): d.withUnsafeBufferPointer { sink.number($0) }
                    case .string(let s): s.withUnsafeBufferPointer { sink.string($0) }
                    }
                }
                sink.endComponent()
            }
            prefixBytes = Array(buf[0..<sink.pos])
        }
        prefix = prefixBytes
        lastLeading = last.dropLast().map { CondaKeyAtom($0) }
        final = CondaKeyAtom(last.last ?? .zero)
    }

    func matches(_ candidate: CondaVersion) -> Bool {
        candidate.withKey { key, mainLength, total in
            var from = 0
            var to = mainLength
            if let main = mainVersion {
                let equalMain = main.withKey { other, otherMain, _ in
                    Self.sectionsEqual(key, 0, mainLength, other, 0, otherMain)
                }
                guard equalMain else { return false }
                from = mainLength
                to = total
            }
            var i = from
            for b in prefix {
                let x = i < to ? key[i] : CondaKey.end
                if x != b { return false }
                i += 1
            }
            var reader = CondaKeyReader(key, from: i, to: to)
            for want in lastLeading {
                let got = reader.nextAtom() ?? .zero
                if !want.equals(got, in: key) { return false }
            }
            let got = reader.nextAtom() ?? .zero
            let want = final
            if want.tag == CondaKey.stringBase {
                guard got.isString, got.payload.count >= want.payload.count else { return false }
                var j = got.payload.lowerBound
                for b in want.payload {
                    if key[j] != b { return false }
                    j += 1
                }
                return true
            }
            return want.equals(got, in: key)
        }
    }

    static func sectionsEqual(
        _ a: UnsafeBufferPointer<UInt8>, _ aFrom: Int, _ aTo: Int,
        _ b: UnsafeBufferPointer<UInt8>, _ bFrom: Int, _ bTo: Int
    ) -> Bool {
        var i = aFrom
        var j = bFrom
        while i < aTo || j < bTo {
            let x = i < aTo ? a[i] : CondaKey.end
            let y = j < bTo ? b[j] : CondaKey.end
            if x != y { return false }
            i += 1
            j += 1
        }
        return true
    }
}

extension CondaVersion {
    /// Conda's component lists (`VersionOrder.version`, epoch first, and `.local`) spelled as strings:
    /// numbers in decimal, `post` for +infinity, `DEV` for dev. For tests and diagnostics.
    var condaComponents: (main: [[String]], local: [[String]]) {
        let raw = CondaRawSink.parse(text)
        func spell(_ comps: [[CondaRawAtom]]) -> [[String]] {
            comps.map { comp in
                comp.map { atom in
                    switch atom {
                    case .zero: "0"
                    case .infinity: "post"
                    case .number(let d), .string(let d): String(decoding: d, as: UTF8.self)
                    }
                }
            }
        }
        return (spell(raw.main), spell(raw.local))
    }
}
