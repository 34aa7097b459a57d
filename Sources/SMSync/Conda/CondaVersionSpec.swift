/// A conda version specification (`>=1.2,<2|1.0.*`), matching as conda's `VersionSpec`
/// (conda/models/version.py).
///
/// Grammar and meaning, as in conda:
/// - `,` (and) binds tighter than `|` (or); parentheses group: `(1.5|1.6),<2`.
/// - `==V`, `!=V`, `<V`, `<=V`, `>V`, `>=V` compare in `CondaVersion` order; no space is allowed after
///   the operator (`>= 1` is rejected), nor a second operator character (`=>1`, `===1`).
/// - `=V` and `V*` / `V.*` mean "starts with V" component-wise (`=1.2` matches `1.2`, `1.2.0`, `1.2.7`,
///   not `1.20`); `!=V.*` negates it; `>=V.*` is `>=V`; with `==`, `<`, `<=`, `>` a trailing `.*` is ignored.
/// - `~=V` is `>=V` and starts with V minus its last `.`-separated part; `~=V.*` is rejected.
/// - a bare `V` without `*` means `==V`; `*` alone matches everything.
/// - a `*` inside the text (`1.*.1`, `*.7.*`) is a glob over the version's text; `^…$` is a regular
///   expression matched against the version's text (both case-sensitive, as in conda).
/// - a bare text containing `@` is compared as a plain string.
///
/// Differences from conda, all on inputs conda mishandles: conda ignores anything after a complete
/// parenthesised expression (`(1.5)(1.6)`), raises only when matching with `~=V` where V has no `.`,
/// and crashes on an empty spec; these are rejected here when the spec is created.
///
/// Equality and hashing use conda's normalized spelling (`normalized`), so `1.7.1*` equals `1.7.1.*`.
public struct CondaVersionSpec: Sendable, Hashable, CustomStringConvertible {
    /// The spec text as given.
    public let text: String
    /// Conda's normalized spelling (`str(VersionSpec(...))`): whitespace around parts removed, `V*` written
    /// `V.*`, parentheses dropped (conda prints nested groups without them).
    public let normalized: String
    let node: Node

    public init(_ text: String) throws(VersionError) {
        self.text = text
        let bytes = Array(text.utf8)
        let built: Built
        do throws(SpecFailure) {
            if bytes.contains(where: { Self.isTreeByte($0) }) {
                let tree = try Self.treeify(bytes)
                built = try Self.build(tree)
            } else {
                built = try Self.buildLeaf(bytes)
            }
        } catch {
            throw VersionError.conda(text, error.reason)
        }
        self.normalized = built.normalized
        self.node = built.node
    }

    public var description: String { text }

    public static func == (lhs: CondaVersionSpec, rhs: CondaVersionSpec) -> Bool {
        lhs.normalized == rhs.normalized
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(normalized) }

    /// Whether `version` satisfies the spec.
    public func matches(_ version: CondaVersion) -> Bool { node.matches(version) }

    /// Whether the spec is a single exact `==V` (or bare `V`), as conda's `is_exact()`.
    public var isExact: Bool {
        if case .leaf(.compare(.eq, _, exact: true)) = node { return true }
        if case .leaf(.exactText) = node { return true }
        return false
    }

    /// One constraint of an and-only spec, as written.
    public struct Clause: Sendable, Hashable {
        /// The operator as written: `==`, `!=`, `<`, `<=`, `>`, `>=`, `~=`, `=`, or empty for a bare
        /// version (`1.2` = exactly 1.2, `1.2.*` / `1.2*` = starts with 1.2, `*` = anything).
        public var `operator`: String
        /// The version text after the operator, as written (may end in `*` or `.*`).
        public var version: String
        /// UTF-8 offsets of `version` within `text`.
        public var versionRange: Range<Int>
    }

    /// The constraints of a spec that only uses `,` (and), in order, for editors that rewrite one
    /// bound: `>=1.16,<2` → `[(">=", "1.16"), ("<", "2")]`, `1.2.*` → `[("", "1.2.*")]`.
    /// Nil when the spec uses `|`, parentheses or a `^…$` regex.
    public var clauses: [Clause]? {
        let bytes = Array(text.utf8)
        if bytes.contains(where: { $0 == 0x7C || $0 == 0x28 || $0 == 0x29 || $0 == 0x5E || $0 == 0x24 }) {
            return nil
        }
        var result: [Clause] = []
        var start = 0
        for end in 0...bytes.count where end == bytes.count || bytes[end] == 0x2C {
            let part = Self.strip(bytes[start..<end])
            start = end + 1
            guard !part.isEmpty else { return nil }
            var op = ""
            var rest = part
            if let first = part.first, [0x3D, 0x3C, 0x3E, 0x21, 0x7E].contains(first) {
                guard let split = Self.splitRelation(part) else { return nil }
                rest = split.rest
                op = String(decoding: part[part.startIndex..<rest.startIndex], as: UTF8.self)
            }
            result.append(
                Clause(
                    operator: op, version: String(decoding: rest, as: UTF8.self),
                    versionRange: rest.startIndex..<rest.endIndex))
        }
        return result
    }

    // MARK: Tree

    enum Operator: Sendable, Hashable {
        case eq, ne, lt, le, gt, ge
    }

    indirect enum Node: Sendable {
        case all([Node])
        case any([Node])
        case leaf(Leaf)

        func matches(_ v: CondaVersion) -> Bool {
            switch self {
            case .all(let nodes):
                for n in nodes where !n.matches(v) { return false }
                return true
            case .any(let nodes):
                for n in nodes where n.matches(v) { return true }
                return false
            case .leaf(let leaf):
                return leaf.matches(v)
            }
        }
    }

    enum Leaf: Sendable {
        case always
        case compare(Operator, CondaVersion, exact: Bool)
        case startsWith(CondaStartsWith, negated: Bool)
        case compatible(CondaVersion, CondaStartsWith)
        case glob([UInt8])
        case regex(CondaRegex)
        case exactText(String)

        func matches(_ v: CondaVersion) -> Bool {
            switch self {
            case .always: return true
            case .compare(let op, let target, _):
                let c = CondaVersion.compare(v, target)
                switch op {
                case .eq: return c == 0
                case .ne: return c != 0
                case .lt: return c < 0
                case .le: return c <= 0
                case .gt: return c > 0
                case .ge: return c >= 0
                }
            case .startsWith(let sw, let negated):
                return sw.matches(v) != negated
            case .compatible(let target, let sw):
                return v >= target && sw.matches(v)
            case .glob(let pattern):
                var t = v.text
                return t.withUTF8 { Self.globMatch(pattern[...], $0[...]) }
            case .regex(let rx):
                return rx.matches(v.text)
            case .exactText(let s):
                return v.text == s
            }
        }

        /// `*` matches any run; everything else literally (conda escapes `.` and `+`).
        static func globMatch(_ p: ArraySlice<UInt8>, _ s: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
            var pi = p.startIndex
            var si = s.startIndex
            var starP = -1
            var starS = 0
            while si < s.endIndex {
                if pi < p.endIndex && p[pi] == 0x2A {
                    starP = pi
                    starS = si
                    pi += 1
                } else if pi < p.endIndex && p[pi] == s[si] {
                    pi += 1
                    si += 1
                } else if starP >= 0 {
                    pi = starP + 1
                    starS += 1
                    si = starS
                } else {
                    return false
                }
            }
            while pi < p.endIndex && p[pi] == 0x2A { pi += 1 }
            return pi == p.endIndex
        }
    }

    // MARK: Building

    struct SpecFailure: Error {
        var reason: String
    }

    struct Built {
        var node: Node
        var normalized: String
    }

    indirect enum Tree {
        case item([UInt8])
        case group(UInt8, [Tree])
    }

    static func isTreeByte(_ c: UInt8) -> Bool {
        c == 0x28 || c == 0x29 || c == 0x7C || c == 0x2C || c == 0x5E || c == 0x24
    }

    static func isSpace(_ c: UInt8) -> Bool { CondaVersionParser.isASCIISpace(c) }

    static func strip(_ b: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var lo = b.startIndex
        var hi = b.endIndex
        while lo < hi && isSpace(b[lo]) { lo += 1 }
        while hi > lo && isSpace(b[hi - 1]) { hi -= 1 }
        return b[lo..<hi]
    }

    /// Conda's `treeify`: tokens are regexes `^…$`, the characters `( ) | ,`, and everything else.
    static func treeify(_ spec: [UInt8]) throws(SpecFailure) -> Tree {
        let s: [UInt8] = [0x28] + spec + [0x29]
        var output: [Tree] = []
        var stack: [UInt8] = []

        func applyOps(_ stop: [UInt8]) throws(SpecFailure) {
            while let top = stack.last, !stop.contains(top) {
                guard output.count >= 2 else { throw SpecFailure(reason: "cannot join single expression") }
                stack.removeLast()
                let r = output.removeLast()
                let l = output.removeLast()
                var parts: [Tree] = []
                for t in [l, r] {
                    if case .group(let op, let kids) = t, op == top {
                        parts += kids
                    } else {
                        parts.append(t)
                    }
                }
                output.append(.group(top, parts))
            }
        }

        var pos = 0
        let n = s.count
        while pos < n {
            var p = pos
            while p < n && isSpace(s[p]) { p += 1 }
            var token: ArraySlice<UInt8>
            if p < n && s[p] == 0x5E, let dollar = s[p...].firstIndex(of: 0x24) {
                token = s[pos...dollar]
                pos = dollar + 1
            } else if p < n && (s[p] == 0x28 || s[p] == 0x29 || s[p] == 0x7C || s[p] == 0x2C) {
                token = s[pos...p]
                pos = p + 1
            } else {
                var q = pos
                while q < n && !(s[q] == 0x28 || s[q] == 0x29 || s[q] == 0x7C || s[q] == 0x2C) { q += 1 }
                token = s[pos..<q]
                pos = q
            }
            token = strip(token)
            if token.count == 1 {
                switch token[token.startIndex] {
                case 0x7C:
                    try applyOps([0x28])
                    stack.append(0x7C)
                    continue
                case 0x2C:
                    try applyOps([0x7C, 0x28])
                    stack.append(0x2C)
                    continue
                case 0x28:
                    stack.append(0x28)
                    continue
                case 0x29:
                    try applyOps([0x28])
                    guard stack.last == 0x28 else { throw SpecFailure(reason: "unbalanced ')'") }
                    stack.removeLast()
                    continue
                default: break
                }
            }
            if token.isEmpty { continue }
            output.append(.item(Array(token)))
        }
        if !stack.isEmpty { throw SpecFailure(reason: "unbalanced '('") }
        guard let first = output.first else { throw SpecFailure(reason: "empty version spec") }
        if output.count > 1 { throw SpecFailure(reason: "unexpected text after a complete expression") }
        return first
    }

    static func build(_ tree: Tree) throws(SpecFailure) -> Built {
        switch tree {
        case .item(let bytes):
            return try buildLeaf(bytes)
        case .group(let op, let kids):
            var nodes: [Node] = []
            var texts: [String] = []
            for k in kids {
                let b = try build(k)
                nodes.append(b.node)
                texts.append(b.normalized)
            }
            let joined = texts.joined(separator: op == 0x7C ? "|" : ",")
            return Built(node: op == 0x7C ? .any(nodes) : .all(nodes), normalized: joined)
        }
    }

    static func version(_ bytes: ArraySlice<UInt8>) throws(SpecFailure) -> CondaVersion {
        do {
            return try CondaVersion(String(decoding: bytes, as: UTF8.self))
        } catch {
            throw SpecFailure(reason: "invalid version '\(String(decoding: bytes, as: UTF8.self))': \(error.reason)")
        }
    }

    static let operators: [(text: [UInt8], op: String)] = [
        ([0x3D], "="), ([0x3D, 0x3D], "=="), ([0x21, 0x3D], "!="), ([0x3C, 0x3D], "<="),
        ([0x3E, 0x3D], ">="), ([0x3C], "<"), ([0x3E], ">"), ([0x7E, 0x3D], "~="),
    ]

    /// Conda's `version_relation_re`: the operator (tried in conda's order), then at least one
    /// character that is not an operator character, and no whitespace to the end.
    static func splitRelation(_ s: ArraySlice<UInt8>) -> (op: String, rest: ArraySlice<UInt8>)? {
        for (text, op) in operators where s.starts(with: text) {
            let rest = s.dropFirst(text.count)
            guard let first = rest.first else { continue }
            if first == 0x3D || first == 0x3C || first == 0x3E || first == 0x21 || first == 0x7E { continue }
            if rest.contains(where: { isSpace($0) }) { continue }
            return (op, rest)
        }
        return nil
    }

    static func buildLeaf(_ raw: [UInt8]) throws(SpecFailure) -> Built {
        var s = strip(raw[...])
        guard let first = s.first, let last = s.last else { throw SpecFailure(reason: "empty version spec") }
        let text = String(decoding: s, as: UTF8.self)
        if first == 0x5E || last == 0x24 {
            guard first == 0x5E && last == 0x24 else {
                throw SpecFailure(reason: "regex specs must start with '^' and end with '$'")
            }
            do {
                return Built(node: .leaf(.regex(try CondaRegex(text))), normalized: text)
            } catch {
                throw SpecFailure(reason: "invalid regular expression \(text)")
            }
        }
        if first == 0x3D || first == 0x3C || first == 0x3E || first == 0x21 || first == 0x7E {
            guard var (op, vo) = splitRelation(s) else { throw SpecFailure(reason: "invalid operator in '\(text)'") }
            if vo.count >= 2 && vo.suffix(2).elementsEqual([0x2E, 0x2A]) {
                switch op {
                case "~=": throw SpecFailure(reason: "invalid operator with '.*': '\(text)'")
                case "!=": op = "!=startswith"
                default: break
                }
                vo = vo.dropLast(2)
            }
            let target = try version(vo)
            let leaf: Leaf
            switch op {
            case "==": leaf = .compare(.eq, target, exact: true)
            case "!=": leaf = .compare(.ne, target, exact: false)
            case "<": leaf = .compare(.lt, target, exact: false)
            case "<=": leaf = .compare(.le, target, exact: false)
            case ">": leaf = .compare(.gt, target, exact: false)
            case ">=": leaf = .compare(.ge, target, exact: false)
            case "=": leaf = .startsWith(CondaStartsWith(target), negated: false)
            case "!=startswith": leaf = .startsWith(CondaStartsWith(target), negated: true)
            default:
                // ~=: starts with the normalized text minus its last '.'-separated part
                let norm = Array(target.normalized.utf8)
                guard let dot = norm.lastIndex(of: 0x2E) else {
                    throw SpecFailure(reason: "'~=' needs a version with at least two '.'-separated parts")
                }
                let prefix = try version(norm[..<dot])
                leaf = .compatible(target, CondaStartsWith(prefix))
            }
            return Built(node: .leaf(leaf), normalized: text)
        }
        if s.elementsEqual([0x2A]) { return Built(node: .leaf(.always), normalized: text) }
        var trimmedStars = s
        while trimmedStars.last == 0x2A { trimmedStars = trimmedStars.dropLast() }
        if trimmedStars.contains(0x2A) {
            if s.allSatisfy({ isGlobLiteral($0) }) {
                return Built(node: .leaf(.glob(Array(s))), normalized: text)
            }
            var rx = "^(?:"
            for c in s {
                switch c {
                case 0x2E: rx += "\\."
                case 0x2B: rx += "\\+"
                case 0x2A: rx += ".*"
                default: rx.unicodeScalars.append(Unicode.Scalar(c))
                }
            }
            rx += ")$"
            do {
                return Built(node: .leaf(.regex(try CondaRegex(rx))), normalized: text)
            } catch {
                throw SpecFailure(reason: "invalid glob \(text)")
            }
        }
        if last == 0x2A {
            if !(s.count >= 2 && s[s.endIndex - 2] == 0x2E) {
                s = s.dropLast() + [0x2E, 0x2A]
            }
            let normalized = String(decoding: s, as: UTF8.self)
            var vo = s
            while vo.last == 0x2A { vo = vo.dropLast() }
            while vo.last == 0x2E { vo = vo.dropLast() }
            let target = try version(vo)
            return Built(node: .leaf(.startsWith(CondaStartsWith(target), negated: false)), normalized: normalized)
        }
        if !s.contains(0x40) {
            return Built(node: .leaf(.compare(.eq, try version(s), exact: true)), normalized: text)
        }
        return Built(node: .leaf(.exactText(text)), normalized: text)
    }

    static func isGlobLiteral(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2A, 0x2E, 0x2B, 0x5F, 0x2D, 0x21: true
        default: false
        }
    }
}

/// A compiled regular expression shared by specs. Swift's `Regex` is not declared `Sendable`;
/// it is immutable once built and only read here.
final class CondaRegex: @unchecked Sendable {
    let pattern: String
    let regex: Regex<AnyRegexOutput>

    init(_ pattern: String) throws {
        self.pattern = pattern
        self.regex = try Regex(pattern)
    }

    /// Python's `re.match`: anchored at the start (the patterns here also carry `^` and `$`).
    func matches(_ text: String) -> Bool {
        (try? regex.prefixMatch(in: text)) != nil
    }
}
