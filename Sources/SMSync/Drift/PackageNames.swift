/// Decides when a local dependency and an upstream package are the same package, whichever manager each side
/// uses: names are compared PEP 503-normalised (`scikit_learn` is `scikit-learn`), through alias groups
/// (`pytorch`/`torch`).
public struct PackageNames: Sendable {
    /// Names that are one package under different managers or feedstocks.
    public static let defaultAliases: [[String]] = [
        ["pytorch", "torch"],
        ["msgpack-python", "msgpack"],
        ["matplotlib-base", "matplotlib"],
        ["tensorflow-base", "tensorflow"],
        ["py-xgboost", "xgboost"],
        ["pytorch-cpu", "torch"],
        ["pyqt", "pyqt5"],
        ["python-graphviz", "graphviz"],
    ]

    private var canonical: [String: String] = [:]

    /// The default groups plus `extra` (from the configuration's `aliases:`).
    public init(extra: [[String]] = []) {
        for group in Self.defaultAliases + extra {
            let names = group.map(normalizedPythonPackageName)
            guard let first = names.first else { continue }
            // Joining a group that already has a canonical name keeps that name for all of them.
            let target = names.compactMap { canonical[$0] }.first ?? first
            for name in names { canonical[name] = target }
        }
    }

    /// The key two names share exactly when they are one package.
    public func key(_ name: String) -> String {
        let normalized = normalizedPythonPackageName(name)
        return canonical[normalized] ?? normalized
    }
}

/// How far apart two versions are, by the numbers they start with.
public enum VersionDelta {
    /// The change kind from `current` to `upstream` under the rules of `manager`.
    ///
    /// An upstream version with fewer numbers that match the start of the local one (`3.10` against `3.10.14`)
    /// is `same`: the source states no more than that. For Python itself a minor bump (3.10 → 3.11) is `major`.
    public static func kind(current: String, upstream: String, manager: PackageManager, isPython: Bool) -> ChangeKind {
        kind(current: current, upstream: upstream, manager: manager, isPython: isPython, memo: nil)
    }

    /// `kind`, with the upstream version parsed through `memo` (it recurs across kernels).
    static func kind(
        current: String, upstream: String, manager: PackageManager, isPython: Bool, memo: DecisionMemo?
    ) -> ChangeKind {
        if current == upstream { return .same }
        if let small = LeadingNumbers(current), let upstreamSmall = LeadingNumbers(upstream) {
            return kind(
                current: current, small, upstream: upstream, upstreamSmall, manager: manager, isPython: isPython,
                memo: memo)
        }
        return kindUsingArrays(current: current, upstream: upstream, manager: manager, isPython: isPython, memo: memo)
    }

    /// `kind` for any number of leading numbers.
    static func kindUsingArrays(
        current: String, upstream: String, manager: PackageManager, isPython: Bool, memo: DecisionMemo?
    ) -> ChangeKind {
        if current == upstream { return .same }
        let currentNumbers = leadingNumbers(current)
        let upstreamNumbers = leadingNumbers(upstream)
        if let currentNumbers, let upstreamNumbers, upstreamNumbers.count < currentNumbers.count,
            isPlainNumbers(upstream), Array(currentNumbers.prefix(upstreamNumbers.count)) == upstreamNumbers
        {
            return .same
        }
        guard let order = compare(current, upstream, manager: manager, memo: memo) else { return .other }
        if order == 0 { return .same }
        if order > 0 { return .downgrade }
        guard let currentNumbers, let upstreamNumbers else { return .other }
        let width = max(currentNumbers.count, upstreamNumbers.count)
        for index in 0..<width {
            let a = index < currentNumbers.count ? currentNumbers[index] : 0
            let b = index < upstreamNumbers.count ? upstreamNumbers[index] : 0
            if a != b {
                switch index {
                case 0: return .major
                case 1: return isPython ? .major : .minor
                default: return .patch
                }
            }
        }
        return .patch
    }

    /// `kind` for versions of at most eight leading numbers each, read without allocating (the same steps).
    private static func kind(
        current: String, _ currentNumbers: LeadingNumbers, upstream: String, _ upstreamNumbers: LeadingNumbers,
        manager: PackageManager, isPython: Bool, memo: DecisionMemo?
    ) -> ChangeKind {
        if currentNumbers.count > 0, upstreamNumbers.count > 0, upstreamNumbers.count < currentNumbers.count,
            isPlainNumbers(upstream), currentNumbers.startsWith(upstreamNumbers)
        {
            return .same
        }
        let order: Int
        if LeadingNumbers.isStrictlyNumeric(current), LeadingNumbers.isStrictlyNumeric(upstream) {
            // Dotted whole numbers order alike under conda's and PEP 440's rules: number by number, the shorter
            // padded with zeros (`1.2` == `1.2.0`).
            order = currentNumbers.compare(upstreamNumbers)
        } else {
            guard let general = compare(current, upstream, manager: manager, memo: memo) else { return .other }
            order = general
        }
        if order == 0 { return .same }
        if order > 0 { return .downgrade }
        guard currentNumbers.count > 0, upstreamNumbers.count > 0 else { return .other }
        for index in 0..<max(currentNumbers.count, upstreamNumbers.count)
        where currentNumbers[index] != upstreamNumbers[index] {
            switch index {
            case 0: return .major
            case 1: return isPython ? .major : .minor
            default: return .patch
            }
        }
        return .patch
    }

    /// `leadingNumbers` of a version with at most eight of them, held inline; nil for more.
    struct LeadingNumbers {
        private var values = SIMD8<Int>()
        /// How many numbers (0 when the version starts with none).
        private(set) var count = 0

        init?(_ version: String) {
            var text = version
            guard let read = text.withUTF8({ Self.read($0) }) else { return nil }
            self = read
        }

        private init() {}

        private static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> LeadingNumbers? {
            var numbers = LeadingNumbers()
            var index = 0
            if let bang = bytes.firstIndex(of: UInt8(ascii: "!")) { index = bang + 1 }
            if index < bytes.count, bytes[index] == UInt8(ascii: "v") || bytes[index] == UInt8(ascii: "V") {
                index += 1
            }
            var value = 0
            var digits = 0
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte >= 0x30 && byte <= 0x39 {
                    guard digits < 18 else { break }
                    value = value * 10 + Int(byte - 0x30)
                    digits += 1
                } else if byte == UInt8(ascii: "."), digits > 0 {
                    guard numbers.count < 8 else { return nil }
                    numbers.values[numbers.count] = value
                    numbers.count += 1
                    value = 0
                    digits = 0
                } else {
                    break
                }
            }
            if digits > 0 {
                guard numbers.count < 8 else { return nil }
                numbers.values[numbers.count] = value
                numbers.count += 1
            }
            return numbers
        }

        /// Whether `version` is whole numbers joined by dots and nothing else (at most eight, of at most 17
        /// digits each), so that these numbers are all of it.
        static func isStrictlyNumeric(_ version: String) -> Bool {
            var components = 1
            var digits = 0
            for byte in version.utf8 {
                if byte >= 0x30 && byte <= 0x39 {
                    digits += 1
                    if digits > 17 { return false }
                } else if byte == UInt8(ascii: "."), digits > 0 {
                    components += 1
                    if components > 8 { return false }
                    digits = 0
                } else {
                    return false
                }
            }
            return digits > 0
        }

        /// -1, 0 or 1 comparing number by number, the shorter padded with zeros.
        func compare(_ other: LeadingNumbers) -> Int {
            for index in 0..<max(count, other.count) where self[index] != other[index] {
                return self[index] < other[index] ? -1 : 1
            }
            return 0
        }

        /// The number at `index`, 0 past the end.
        subscript(index: Int) -> Int { index < count ? values[index] : 0 }

        /// Whether these numbers start with all of `prefix`'s.
        func startsWith(_ prefix: LeadingNumbers) -> Bool {
            guard prefix.count <= count else { return false }
            for index in 0..<prefix.count where values[index] != prefix.values[index] { return false }
            return true
        }
    }

    /// -1, 0 or 1 as `a` orders before, equal to or after `b`; nil when either is not a version of that scheme.
    public static func compare(_ a: String, _ b: String, manager: PackageManager) -> Int? {
        compare(a, b, manager: manager, memo: nil)
    }

    /// `compare`, with `b` parsed through `memo` when there is one.
    static func compare(_ a: String, _ b: String, manager: PackageManager, memo: DecisionMemo?) -> Int? {
        if manager == .pip, let x = memo.map({ $0.pep440(a) }) ?? (try? PEP440Version(a)),
            let y = memo.map({ $0.pep440(b) }) ?? (try? PEP440Version(b))
        {
            return x < y ? -1 : (x == y ? 0 : 1)
        }
        if let x = memo.map({ $0.conda(a) }) ?? (try? CondaVersion(a)),
            let y = memo.map({ $0.conda(b) }) ?? (try? CondaVersion(b))
        {
            return x < y ? -1 : (x == y ? 0 : 1)
        }
        return nil
    }

    /// The dot-separated whole numbers a version starts with (`1.0.1g` → [1, 0, 1]; `2!1.2` → [1, 2]).
    public static func leadingNumbers(_ version: String) -> [Int]? {
        var bytes = Substring(version).utf8[...]
        if let bang = bytes.firstIndex(of: UInt8(ascii: "!")) { bytes = bytes[bytes.index(after: bang)...] }
        if let first = bytes.first, first == UInt8(ascii: "v") || first == UInt8(ascii: "V") {
            bytes = bytes.dropFirst()
        }
        var numbers: [Int] = []
        var value = 0
        var digits = 0
        for byte in bytes {
            if byte >= 0x30 && byte <= 0x39 {
                guard digits < 18 else { break }
                value = value * 10 + Int(byte - 0x30)
                digits += 1
            } else if byte == UInt8(ascii: "."), digits > 0 {
                numbers.append(value)
                value = 0
                digits = 0
            } else {
                break
            }
        }
        if digits > 0 { numbers.append(value) }
        return numbers.isEmpty ? nil : numbers
    }

    private static func isPlainNumbers(_ version: String) -> Bool {
        version.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }
    }
}
