/// A comma-separated set of PEP 440 specifiers, matching as `packaging.specifiers.SpecifierSet` (26.x).
///
/// Pre-release policy, as packaging 26.x (this changed from earlier releases):
/// - `contains` with `prereleases: nil` admits a matching pre-release unless the set's override is `false`:
///   a lone candidate has no final release to prefer, so `SpecifierSet(">=1.0").contains("2.0a1")` is true.
///   Pass `prereleases: false` to exclude pre-releases, `true` to include them explicitly.
/// - The empty set admits every version, pre-releases included, and even strings that are not versions.
/// - `filter` with no explicit policy returns matching pre-releases only when no final release matched
///   (strings that are not versions only pass the empty set or `===`).
/// - A set's `prereleases` is its override when given, else `true` when any specifier names a pre-release
///   (`!=` and `==V.*` never do), else nil.
public struct PEP440SpecifierSet: Sendable, Hashable, CustomStringConvertible {
    /// The text as given (empty for sets built from specifiers).
    public let text: String
    /// The specifiers, in the order written.
    public let specifiers: [PEP440Specifier]
    /// An explicit prerelease override (packaging's `prereleases=` argument); nil uses the default rules.
    public var prereleaseOverride: Bool?

    let hasArbitrary: Bool
    let anyImpliesPrereleases: Bool

    /// Parses a comma-separated set; empty items are skipped, so `""` is the empty set.
    public init(_ text: String, prereleases: Bool? = nil) throws(VersionError) {
        var specs: [PEP440Specifier] = []
        for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = PythonText.strip(String(piece))
            if item.isEmpty { continue }
            do {
                specs.append(try PEP440Specifier(item))
            } catch {
                throw VersionError(
                    scheme: .pep440, input: text, reason: "in '\(item)': \(error.reason)")
            }
        }
        self.init(specifiers: specs, text: text, prereleases: prereleases)
    }

    /// A set made of the given specifiers (each keeps its own override).
    public init(_ specifiers: [PEP440Specifier], prereleases: Bool? = nil) {
        self.init(specifiers: specifiers, text: "", prereleases: prereleases)
    }

    private init(specifiers: [PEP440Specifier], text: String, prereleases: Bool?) {
        self.text = text
        self.specifiers = specifiers
        self.prereleaseOverride = prereleases
        self.hasArbitrary = specifiers.contains { $0.op == .arbitrary }
        self.anyImpliesPrereleases = specifiers.contains { $0.prereleases == true }
    }

    /// The `(operator, version)` pairs in the order written, versions as written.
    public var pairs: [(op: PEP440Specifier.Operator, version: String)] { specifiers.map { ($0.op, $0.version) } }

    /// Number of specifiers (duplicates included).
    public var count: Int { specifiers.count }
    /// No specifiers at all.
    public var isEmpty: Bool { specifiers.isEmpty }

    /// Specifiers sorted by their text and de-duplicated by canonical form, as packaging orders them.
    public var canonicalSpecifiers: [PEP440Specifier] {
        let sorted = specifiers.sorted {
            $0.description.unicodeScalars.lexicographicallyPrecedes($1.description.unicodeScalars)
        }
        var seen = Set<PEP440Specifier>()
        return sorted.filter { seen.insert($0).inserted }
    }

    /// As `str(SpecifierSet)`: canonical specifiers joined by commas (`>=1.0,!=1.1` → `!=1.1,>=1.0`).
    public var description: String { canonicalSpecifiers.map(\.description).joined(separator: ",") }

    /// The specifiers joined with commas in the order written (`>=1.0,<2`).
    public var writtenDescription: String { specifiers.map(\.description).joined(separator: ",") }

    /// The override when set; otherwise nil for the empty set, true when a specifier implies pre-releases,
    /// else nil. Setting it sets the override.
    public var prereleases: Bool? {
        get {
            if let prereleaseOverride { return prereleaseOverride }
            return anyImpliesPrereleases ? true : nil
        }
        set { prereleaseOverride = newValue }
    }

    /// Equal when the canonical specifiers agree; overrides are ignored.
    public static func == (lhs: PEP440SpecifierSet, rhs: PEP440SpecifierSet) -> Bool {
        lhs.canonicalSpecifiers == rhs.canonicalSpecifiers
    }

    public func hash(into hasher: inout Hasher) {
        let canonical = canonicalSpecifiers
        hasher.combine(canonical.count)
        for spec in canonical { hasher.combine(spec) }
    }

    /// Whether `version` is admitted; `prereleases` is packaging's `prereleases=` argument (nil: default
    /// rules, see the type's documentation); `installed: true` admits a pre-release as if
    /// `prereleases` were true.
    public func contains(_ version: PEP440Version, prereleases: Bool? = nil, installed: Bool = false) -> Bool {
        let policy = installed && version.isPrerelease ? true : prereleases
        return admits(parsed: version, raw: nil, prereleases: policy)
    }

    /// As `contains(_:prereleases:installed:)` for a version string. A string that is not a valid version
    /// is admitted only by the empty set or by `===` specifiers that all match it. When the set has a
    /// `===` specifier, `===` compares the string as given.
    public func contains(_ text: String, prereleases: Bool? = nil, installed: Bool = false) -> Bool {
        let parsed = try? PEP440Version(text)
        let policy = installed && (parsed?.isPrerelease ?? false) ? true : prereleases
        return admits(parsed: parsed, raw: text, prereleases: policy)
    }

    func admits(parsed: PEP440Version?, raw: String?, prereleases: Bool?) -> Bool {
        let policy = prereleases ?? self.prereleases
        guard !specifiers.isEmpty else {
            guard policy == false, let parsed else { return true }
            return !parsed.isPrerelease
        }
        guard let parsed else {
            guard let raw else { return false }
            return specifiers.allSatisfy { $0.op == .arbitrary && $0.arbitraryMatches(raw) }
        }
        if policy == false && parsed.isPrerelease { return false }
        for spec in specifiers where !spec.matches(parsed, raw: hasArbitrary ? raw : nil) { return false }
        return true
    }

    /// Whether a `PEP440Candidate` passes every specifier (no pre-release policy applied).
    func passesAll(_ parsed: PEP440Version?, _ entry: PEP440Candidate) -> Bool {
        guard let parsed else {
            return specifiers.allSatisfy { $0.op == .arbitrary && $0.arbitraryMatches(entry.raw) }
        }
        return specifiers.allSatisfy { $0.matches(parsed, raw: entry.rawText) }
    }

    /// packaging's `SpecifierSet.filter`: items whose candidate passes every specifier, in order. With no
    /// explicit policy (argument or override), pre-releases are kept only when no final release passed;
    /// non-version strings pass only the empty set or `===`.
    public func filter<Item>(
        _ items: some Sequence<Item>, prereleases: Bool? = nil, candidate: (Item) -> PEP440Candidate
    ) -> [Item] {
        let policy = prereleases ?? self.prereleases
        var kept: [(item: Item, parsed: PEP440Version?)] = []
        if specifiers.count == 1, let only = specifiers.first {
            let filtered = only.filter(items.map { $0 }, prereleases: policy ?? true, candidate: candidate)
            kept = filtered.map { ($0, candidate($0).parsed) }
        } else {
            for item in items {
                let entry = candidate(item)
                let parsed = entry.parsed
                if specifiers.isEmpty {
                    if policy == false, let parsed, parsed.isPrerelease { continue }
                    kept.append((item, parsed))
                    continue
                }
                if policy == false, let parsed, parsed.isPrerelease { continue }
                if passesAll(parsed, entry) { kept.append((item, parsed)) }
            }
        }
        if policy != nil { return kept.map(\.item) }
        return Self.preferFinals(kept)
    }

    /// Filters versions (see `filter(_:prereleases:candidate:)`).
    public func filter(_ versions: [PEP440Version], prereleases: Bool? = nil) -> [PEP440Version] {
        filter(versions, prereleases: prereleases) { .version($0) }
    }

    /// Filters version strings (see `filter(_:prereleases:candidate:)`).
    public func filter(_ strings: [String], prereleases: Bool? = nil) -> [String] {
        filter(strings, prereleases: prereleases) { .text($0) }
    }

    /// packaging's `_pep440_filter_prereleases`: drop pre-releases when a final release is present;
    /// non-version strings are kept either way.
    static func preferFinals<Item>(_ items: [(item: Item, parsed: PEP440Version?)]) -> [Item] {
        var result: [Item] = []
        var nonFinal: [Item] = []
        var arbitrary: [Item] = []
        var foundFinal = false
        for (item, parsed) in items {
            guard let parsed else {
                if foundFinal {
                    result.append(item)
                } else {
                    arbitrary.append(item)
                    nonFinal.append(item)
                }
                continue
            }
            if !parsed.isPrerelease {
                if !foundFinal {
                    result += arbitrary
                    foundFinal = true
                }
                result.append(item)
            } else if !foundFinal {
                nonFinal.append(item)
            }
        }
        if !foundFinal { result += nonFinal }
        return result
    }
}
