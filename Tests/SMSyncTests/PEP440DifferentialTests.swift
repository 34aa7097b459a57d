import Testing

@testable import SMSync

private func rows(_ text: String) -> [[String]] {
    text.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
}

@Suite("PEP 440 agreement with packaging 26.2 on generated samples")
struct PEP440DifferentialTests {
    @Test func versionSamples() throws {
        let samples = rows(PackagingDifferentialSamples.versions)
        #expect(samples.count == 1500)
        for sample in samples {
            let input = sample[0]
            let expected = sample[1]
            if expected == "INVALID" {
                #expect(throws: VersionError.self, "\(input.debugDescription)") { try PEP440Version(input) }
            } else {
                #expect(try PEP440Version(input).description == expected, "\(input.debugDescription)")
            }
        }
    }

    @Test func sampleOrderingMatchesCanonicalReparse() throws {
        let parsed = rows(PackagingDifferentialSamples.versions).compactMap { try? PEP440Version($0[0]) }
        for version in parsed {
            let again = try PEP440Version(version.description)
            #expect(again == version)
            #expect(again.hashValue == version.hashValue)
        }
        let sorted = parsed.sorted()
        for index in sorted.indices.dropFirst() { #expect(sorted[index - 1] <= sorted[index]) }
    }

    @Test func specifierSamples() throws {
        let samples = rows(PackagingDifferentialSamples.specifierChecks)
        #expect(samples.count == 2000)
        for sample in samples {
            let (spec, candidate, flags, canonical) = (sample[0], sample[1], sample[2], sample[3])
            if flags == "INVALID" {
                #expect(throws: VersionError.self, "\(spec)") { try PEP440SpecifierSet(spec) }
                continue
            }
            let set = try PEP440SpecifierSet(spec)
            let got = [
                set.contains(candidate), set.contains(candidate, prereleases: true),
                set.contains(candidate, prereleases: false),
            ].map { $0 ? "1" : "0" }.joined()
            #expect(got == flags, "\(spec) contains \(candidate)")
            #expect(set.description == canonical, "\(spec)")
        }
    }
}
