import Testing

@testable import SMSync

private typealias Spec = PackagingSpecifierTables
private typealias SetData = PackagingSpecifierSetTables

extension Cand {
    func candidate() throws -> PEP440Candidate {
        switch self {
        case .v(let text): .version(try PEP440Version(text))
        case .t(let text): .text(text)
        }
    }
}

private func candidates(_ items: [Cand]) throws -> [PEP440Candidate] { try items.map { try $0.candidate() } }

@Suite("PEP 440 specifiers (packaging test_specifiers.py, Specifier)")
struct PEP440SpecifierTests {
    @Test(arguments: Spec.specifiers + Spec.legacySpecifiers)
    func validSpecifiers(text: String) throws {
        let spec = try PEP440Specifier(text)
        #expect(spec.description == text)
        #expect(spec.hashValue == (try PEP440Specifier(text)).hashValue)
    }

    @Test(arguments: Spec.invalid)
    func invalidSpecifiers(text: String) {
        #expect(throws: VersionError.self) { try PEP440Specifier(text) }
        #expect(throws: VersionError.self) { try PEP440SpecifierSet(text) }
    }

    @Test(arguments: Spec.normalizedVersions)
    func normalizedVersionsAreAccepted(version: String) throws {
        let ops = version.contains("+") ? ["==", "!="] : ["~=", "==", "!=", "<=", ">=", "<", ">"]
        for op in ops { _ = try PEP440Specifier(op + version) }
    }

    @Test(arguments: Spec.strRepr)
    func strRepr(text: String, expected: String) throws {
        #expect(try PEP440Specifier(text).description == expected)
    }

    @Test(arguments: Spec.specifiers.indices)
    func equalityFollowsIdentity(index: Int) throws {
        let left = try PEP440Specifier(Spec.specifiers[index])
        for (other, text) in Spec.specifiers.enumerated() {
            let right = try PEP440Specifier(text)
            #expect((left == right) == (index == other), "\(left) vs \(right)")
        }
    }

    @Test func comparisonCanonicalizes() throws {
        #expect(try PEP440Specifier("==2.8.0") == PEP440Specifier("==2.8"))
        #expect(try PEP440Specifier("==2.8.0").hashValue == PEP440Specifier("==2.8").hashValue)
        #expect(try PEP440Specifier("~=1.18.0") != PEP440Specifier("~=1.18"))
        #expect(try PEP440Specifier("~=1.18.0").hashValue != PEP440Specifier("~=1.18").hashValue)
    }

    @Test(arguments: Spec.contains)
    func contains(version: String, specifier: String, expected: Bool) throws {
        let spec = try PEP440Specifier(specifier, prereleases: true)
        #expect(spec.contains(version) == expected)
        #expect(spec.contains(try PEP440Version(version)) == expected)
    }

    @Test(arguments: Spec.invalidVersion)
    func invalidVersion(specifier: String, version: String, expected: Bool) throws {
        #expect(try PEP440Specifier(specifier, prereleases: true).contains(version) == expected)
    }

    @Test(arguments: Spec.prereleasesSet)
    func prereleasesSet(
        specifier: String, initial: Bool?, updated: Bool?, version: String, before: Bool, after: Bool
    ) throws {
        var spec = try PEP440Specifier(specifier, prereleases: initial)
        #expect(spec.contains(version) == before)
        spec.prereleases = updated
        #expect(spec.contains(version) == after)
    }

    @Test(arguments: Spec.arbitraryEquality)
    func arbitraryEquality(version: String, specifier: String, expected: Bool) throws {
        #expect(try PEP440Specifier(specifier).contains(version) == expected)
    }

    @Test(arguments: Spec.arbitraryNormalization)
    func arbitraryEqualityNormalization(specifier: String, item: Cand, expected: Bool) throws {
        let spec = try PEP440Specifier(specifier, prereleases: true)
        switch try item.candidate() {
        case .version(let version): #expect(spec.contains(version) == expected)
        case .text(let text): #expect(spec.contains(text) == expected)
        }
    }

    @Test(arguments: Spec.prereleasesDetection)
    func prereleasesDetection(specifier: String, expected: Bool) throws {
        #expect(try PEP440Specifier(specifier).prereleases == expected)
    }

    @Test(arguments: Spec.prereleases)
    func prereleases(specifier: String, version: String, specPre: Bool?, containsPre: Bool?, expected: Bool) throws {
        let spec = try PEP440Specifier(specifier, prereleases: specPre)
        #expect(spec.contains(version, prereleases: containsPre) == expected)
        #expect(spec.contains(try PEP440Version(version), prereleases: containsPre) == expected)
    }

    @Test(arguments: Spec.filter)
    func filter(specifier: String, specPre: Bool?, filterPre: Bool?, input: [String], expected: [String]) throws {
        let spec = try PEP440Specifier(specifier, prereleases: specPre)
        #expect(spec.filter(input, prereleases: filterPre) { .text($0) } == expected)
    }

    @Test(arguments: Spec.filterArbitraryNormalization)
    func filterArbitraryNormalization(specifier: String, input: [Cand], expected: [Cand]) throws {
        let spec = try PEP440Specifier(specifier, prereleases: true)
        #expect(spec.filter(try candidates(input)) { $0 } == (try candidates(expected)))
    }

    @Test(arguments: [(nil, [1]), (true, [1]), (false, [])] as [(Bool?, [Int])])
    func filterWithKey(prereleases: Bool?, expectedIndexes: [Int]) throws {
        let items = [["version": "1.0"], ["version": "2.1a1"]]
        let spec = try PEP440Specifier(">=2.0")
        let result = spec.filter(items, prereleases: prereleases) { .text($0["version"] ?? "") }
        #expect(result == expectedIndexes.map { items[$0] })
    }

    @Test(arguments: Spec.operatorProperty)
    func operatorProperty(specifier: String, op: String) throws {
        #expect(try PEP440Specifier(specifier).op.rawValue == op)
    }

    @Test(arguments: Spec.versionProperty)
    func versionProperty(specifier: String, version: String) throws {
        #expect(try PEP440Specifier(specifier).version == version)
    }

    @Test(arguments: Spec.length)
    func length(specifier: String, expected: Int) throws {
        #expect(try PEP440SpecifierSet(specifier).count == expected)
    }

    @Test(arguments: Spec.iteration)
    func iteration(specifier: String, expected: [String]) throws {
        let set = try PEP440SpecifierSet(specifier)
        #expect(Set(set.specifiers.map(\.description)) == Set(expected))
        #expect(set.pairs.map { $0.op.rawValue + $0.version } == expected)
    }
}

@Suite("PEP 440 specifier sets (packaging test_specifiers.py, SpecifierSet)")
struct PEP440SpecifierSetTests {
    @Test(arguments: PackagingVersionTables.versions)
    func emptySpecifier(version: String) throws {
        let set = try PEP440SpecifierSet("", prereleases: true)
        #expect(set.contains(version))
        #expect(set.contains(try PEP440Version(version)))
    }

    @Test(arguments: SetData.emptyArbitraryString)
    func emptyArbitraryString(prereleases: Bool?, versions: [String], expected: [String]) throws {
        let set = try PEP440SpecifierSet("", prereleases: prereleases)
        #expect(set.contains("foobar"))
        #expect(set.filter(versions) == expected)
    }

    @Test(arguments: SetData.emptyOrderingWithArbitrary)
    func emptyOrderingWithArbitrary(versions: [String], expected: [String]) throws {
        #expect(try PEP440SpecifierSet("").filter(versions) == expected)
    }

    @Test func createFromSpecifiers() throws {
        let specs = try [">=1.0", "!=1.1", "!=1.2", "<2.0"].map { try PEP440Specifier($0) }
        let set = PEP440SpecifierSet(specs)
        #expect(Set(set.specifiers) == Set(specs))
        #expect(set == (try PEP440SpecifierSet(">=1.0,!=1.1,!=1.2,<2.0")))
    }

    @Test(arguments: SetData.prereleasesExplicit)
    func prereleasesExplicit(
        initial: Bool?, updated: Bool?, version: String, before: Bool, after: Bool, specifier: String
    ) throws {
        var set = try PEP440SpecifierSet(specifier, prereleases: initial)
        #expect(set.contains(version) == before)
        set.prereleases = updated
        #expect(set.contains(version) == after)
    }

    @Test func containsPrereleases() throws {
        var set = try PEP440SpecifierSet("")
        #expect(set.prereleases == nil)
        #expect(set.contains("1.0.dev1"))
        #expect(set.contains("1.0.dev1", prereleases: true))
        set = try PEP440SpecifierSet("", prereleases: true)
        #expect(set.prereleases == true)
        #expect(set.contains("1.0.dev1"))
        #expect(!set.contains("1.0.dev1", prereleases: false))
    }

    @Test(arguments: SetData.containsInstalled)
    func containsInstalled(
        specifier: String, version: String, setPre: Bool?, containsPre: Bool?, installed: Bool?, expected: Bool
    ) throws {
        let set = try PEP440SpecifierSet(specifier, prereleases: setPre)
        #expect(set.contains(version, prereleases: containsPre, installed: installed ?? false) == expected)
        let fixed = try PEP440SpecifierSet("~=1.0", prereleases: false)
        #expect(fixed.contains("1.1.0.dev1", installed: true))
        #expect(!fixed.contains("1.1.0.dev1", prereleases: false, installed: false))
    }

    @Test(arguments: SetData.filter)
    func filter(specifier: String, setPre: Bool?, filterPre: Bool?, input: [Cand], expected: [Cand]) throws {
        let set = try PEP440SpecifierSet(specifier, prereleases: setPre)
        #expect(set.filter(try candidates(input), prereleases: filterPre) { $0 } == (try candidates(expected)))
    }

    @Test(arguments: [(nil, [1]), (true, [1]), (false, [])] as [(Bool?, [Int])])
    func filterWithKey(prereleases: Bool?, expectedIndexes: [Int]) throws {
        let items = [["version": "1.0"], ["version": "2.1a1"]]
        let set = try PEP440SpecifierSet(">=2")
        let result = set.filter(items, prereleases: prereleases) { .text($0["version"] ?? "") }
        #expect(result == expectedIndexes.map { items[$0] })
    }

    @Test(arguments: [(nil, [1]), (true, [0, 1]), (false, [1])] as [(Bool?, [Int])])
    func emptyFilterWithKey(prereleases: Bool?, expectedIndexes: [Int]) throws {
        let items = [["version": "2.0a1"], ["version": "2.1"]]
        let set = try PEP440SpecifierSet("", prereleases: prereleases)
        let result = set.filter(items) { .text($0["version"] ?? "") }
        #expect(result == expectedIndexes.map { items[$0] })
    }

    @Test(arguments: SetData.filterBridges)
    func filterExclusionaryBridges(specifier: String, prereleases: Bool?, input: [String], expected: [String]) throws {
        #expect(try PEP440SpecifierSet(specifier).filter(input, prereleases: prereleases) == expected)
    }

    @Test(arguments: SetData.containsBridges)
    func containsExclusionaryBridges(specifier: String, prereleases: Bool?, version: String, expected: Bool) throws {
        let set = try PEP440SpecifierSet(specifier)
        #expect(set.contains(version, prereleases: prereleases) == expected)
        #expect(set.contains(try PEP440Version(version), prereleases: prereleases) == expected)
    }

    @Test func containsRejectsInvalidVersion() throws {
        #expect(!(try PEP440SpecifierSet(">=1.0", prereleases: true).contains("not a valid version")))
    }

    @Test(arguments: SetData.containsArbitrary)
    func containsArbitraryEquality(version: String, specifier: String, expected: Bool) throws {
        #expect(try PEP440SpecifierSet(specifier).contains(version) == expected)
    }

    @Test(arguments: SetData.containsArbitraryNormalization)
    func containsArbitraryNormalization(specifier: String, item: Cand, expected: Bool) throws {
        let set = try PEP440SpecifierSet(specifier, prereleases: true)
        switch try item.candidate() {
        case .version(let version): #expect(set.contains(version) == expected)
        case .text(let text): #expect(set.contains(text) == expected)
        }
    }

    @Test(arguments: SetData.strRepr)
    func strRepr(specifier: String, expected: String) throws {
        #expect(try PEP440SpecifierSet(specifier).description == expected)
    }

    @Test(arguments: Spec.specifiers + Spec.legacySpecifiers)
    func hashIsStable(specifier: String) throws {
        #expect(try PEP440SpecifierSet(specifier).hashValue == PEP440SpecifierSet(specifier).hashValue)
    }

    @Test func duplicateNormalization() throws {
        let a = try PEP440SpecifierSet(">1.0.0,>1.0")
        let b = try PEP440SpecifierSet(">1.0")
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a.description == b.description)
        #expect(try PEP440SpecifierSet(">=1.0,>=1.0,<5.0").description == "<5.0,>=1.0")
    }

    @Test(arguments: Spec.specifiers.indices)
    func equalityFollowsIdentity(index: Int) throws {
        let left = try PEP440SpecifierSet(Spec.specifiers[index])
        for (other, text) in Spec.specifiers.enumerated() {
            #expect((left == (try PEP440SpecifierSet(text))) == (index == other))
        }
    }

    @Test func comparisonCanonicalizes() throws {
        #expect(try PEP440SpecifierSet("==2.8.0") == PEP440SpecifierSet("==2.8"))
    }

    @Test(arguments: SetData.ignoresLocal)
    func comparisonIgnoresLocal(version: String, specifier: String, expected: Bool) throws {
        #expect(try PEP440SpecifierSet(specifier).contains(PEP440Version(version)) == expected)
    }

    @Test func containsWithCompatibleOperator() throws {
        let combination = try PEP440SpecifierSet("~=1.18.0,~=1.18")
        #expect(!combination.contains("1.19.5"))
        #expect(combination.contains("1.18.0"))
    }

    @Test(arguments: SetData.intersectionPreserving)
    func arbitraryEqualityIsIntersectionPreserving(first: String, second: String, versions: [String]) throws {
        let one = Set(try PEP440Specifier(first).filter(versions) { .text($0) })
        let two = Set(try PEP440Specifier(second).filter(versions) { .text($0) })
        let both = Set(try PEP440SpecifierSet("\(first),\(second)").filter(versions))
        #expect(one.intersection(two) == both)
    }
}
