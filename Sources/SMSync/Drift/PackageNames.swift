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

    /// -1, 0 or 1 as `a` orders before, equal to or after `b`; nil when either is not a version of that scheme.
    public static func compare(_ a: String, _ b: String, manager: PackageManager) -> Int? {
        compare(a, b, manager: manager, memo: nil)
    }

    /// `compare`, with `b` parsed through `memo` when there is one.
    static func compare(_ a: String, _ b: String, manager: PackageManager, memo: DecisionMemo?) -> Int? {
        if manager == .pip, let x = try? PEP440Version(a),
            let y = memo.map({ $0.pep440(b) }) ?? (try? PEP440Version(b))
        {
            return x < y ? -1 : (x == y ? 0 : 1)
        }
        if let x = try? CondaVersion(a), let y = memo.map({ $0.conda(b) }) ?? (try? CondaVersion(b)) {
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
