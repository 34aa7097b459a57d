import Testing

@testable import SMSync

private typealias Data = PackagingVersionTables

private func version(_ text: String) throws -> PEP440Version { try PEP440Version(text) }

@Suite("PEP 440 versions (packaging test_version.py)")
struct PEP440VersionTests {
    @Test(arguments: Data.versions)
    func validVersions(text: String) throws {
        _ = try version(text)
    }

    @Test(arguments: Data.invalid)
    func invalidVersions(text: String) {
        #expect(throws: VersionError.self) { try PEP440Version(text) }
    }

    @Test(arguments: Data.normalized)
    func normalizedVersions(text: String, expected: String) throws {
        #expect(try version(text).description == expected)
    }

    @Test(arguments: Data.strRepr)
    func strRepr(text: String, expected: String) throws {
        #expect(try version(text).description == expected)
    }

    @Test func rcAndCAreEqual() throws {
        #expect(try version("1.0rc1") == version("1.0c1"))
    }

    @Test(arguments: Data.versions)
    func hashIsStable(text: String) throws {
        #expect(try version(text).hashValue == version(text).hashValue)
    }

    @Test(arguments: Data.publicVersions)
    func publicVersion(text: String, expected: String) throws {
        #expect(try version(text).publicVersion == expected)
    }

    @Test(arguments: Data.baseVersions)
    func baseVersion(text: String, expected: String) throws {
        #expect(try version(text).baseVersion == expected)
    }

    @Test(arguments: Data.epochs)
    func epoch(text: String, expected: Int) throws {
        #expect(try version(text).epoch == expected)
    }

    @Test(arguments: Data.releases)
    func release(text: String, expected: [Int]) throws {
        #expect(try version(text).release == expected)
    }

    @Test(arguments: Data.locals)
    func local(text: String, expected: String?) throws {
        #expect(try version(text).local == expected)
    }

    @Test(arguments: Data.pres)
    func pre(text: String, letter: String?, number: Int?) throws {
        let pre = try version(text).pre
        #expect(pre?.kind.rawValue == letter)
        #expect(pre?.number == number)
    }

    @Test(arguments: Data.isPrerelease)
    func isPrerelease(text: String, expected: Bool) throws {
        #expect(try version(text).isPrerelease == expected)
    }

    @Test(arguments: Data.devs)
    func dev(text: String, expected: Int?) throws {
        #expect(try version(text).dev == expected)
    }

    @Test(arguments: Data.isDevrelease)
    func isDevRelease(text: String, expected: Bool) throws {
        #expect(try version(text).isDevRelease == expected)
    }

    @Test(arguments: Data.posts)
    func post(text: String, expected: Int?) throws {
        #expect(try version(text).post == expected)
    }

    @Test(arguments: Data.isPostrelease)
    func isPostRelease(text: String, expected: Bool) throws {
        #expect(try version(text).isPostRelease == expected)
    }

    /// `test_comparison_true` / `test_comparison_false`: every pair of `VERSIONS` compares by position.
    @Test(arguments: Data.versions.indices)
    func comparisonFollowsTableOrder(index: Int) throws {
        let left = try version(Data.versions[index])
        for (other, text) in Data.versions.enumerated() {
            let right = try version(text)
            #expect((left < right) == (index < other), "\(left) < \(right)")
            #expect((left <= right) == (index <= other), "\(left) <= \(right)")
            #expect((left == right) == (index == other), "\(left) == \(right)")
            #expect((left != right) == (index != other), "\(left) != \(right)")
            #expect((left >= right) == (index >= other), "\(left) >= \(right)")
            #expect((left > right) == (index > other), "\(left) > \(right)")
        }
    }

    @Test func majorMinorRelease() throws {
        #expect(try version("1.2.3").release == [1, 2, 3])
        #expect(try version("1").release == [1])
    }
}

@Suite("PEP 440 versions (smsync rules)")
struct PEP440VersionExtraTests {
    @Test(arguments: [
        ("1.0", "1.0.0"), ("1.0", "1"), ("0", "0.0.0"), ("1.0+abc", "1.0.0+ABC"), ("1.0+1", "1.0+01"),
        ("1.0rc1", "1.0c1"), ("1.0-5", "1.0.post5"), ("1!1.0", "1!1"), ("1.0.0.0.0.0.0", "1"),
        ("1.2.3.4.5.0", "1.2.3.4.5"),
    ])
    func equalVersionsHashAlike(left: String, right: String) throws {
        let a = try version(left)
        let b = try version(right)
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(Set([a, b]).count == 1)
    }

    @Test(arguments: [
        ("1.0.0", "1.0.0"), ("1.0-5", "1.0.post5"), ("v1.0", "1.0"), ("1.0c1", "1.0rc1"), ("1.0dev-", "1.0.dev0"),
        ("1.0a-", "1.0a0"), ("1.0.post.", "1.0.post0"), ("1.0a.post1", "1.0a0.post1"), ("1.0.r", "1.0.post0"),
        ("1.0+a_b-c", "1.0+a.b.c"), ("1.0+0a.01.ABC", "1.0+0a.1.abc"), ("1.0-a1-1", "1.0a1.post1"),
        ("1.0-1.dev1", "1.0.post1.dev1"), ("1.2.3.4.5.6", "1.2.3.4.5.6"), ("\u{3000}1.0\u{a0}", "1.0"),
        ("1.0+123456789012345678901234", "1.0+123456789012345678901234"), ("1.0\n", "1.0"),
    ])
    func moreNormalisation(text: String, expected: String) throws {
        #expect(try version(text).description == expected)
    }

    @Test(arguments: [
        "", " ", "1.0-", "1.0+abc-", "1!", "1.0.", "1.0a1.", "1.0-1-1", "1.0.post1-1", "1.0+", "v", "1.0 +a",
        "99999999999999999999", "1.0a99999999999999999999", "1\u{0}", "1.0é", "a1.0", "1.0 a1", "1.0*",
    ])
    func moreInvalid(text: String) {
        #expect(throws: VersionError.self) { try PEP440Version(text) }
    }

    @Test func errorNamesTheInput() {
        do {
            _ = try PEP440Version("1.0 x")
            Issue.record("expected an error")
        } catch {
            #expect(error.scheme == .pep440)
            #expect(error.input == "1.0 x")
            #expect(error.reason.contains("' x'"))
        }
    }

    @Test func localOrdering() throws {
        let ordered = ["1.0", "1.0+a", "1.0+a.1", "1.0+b", "1.0+0", "1.0+1", "1.0+1.a", "1.0+1.0", "1.0+2", "1.0+10"]
        let parsed = try ordered.map(version)
        #expect(parsed == parsed.sorted())
        for index in parsed.indices.dropFirst() { #expect(parsed[index - 1] < parsed[index]) }
    }

    @Test func longReleasesCompareWithPadding() throws {
        #expect(try version("1.2.3.4.5") < version("1.2.3.4.6"))
        #expect(try version("1.2.3.4.5") > version("1.2.3.4"))
        #expect(try version("1.2.3.4.0.0") == version("1.2.3.4"))
        #expect(try version("1.2.3.4.0.1") > version("1.2.3.4.0.0.9"))
    }

    @Test func fromParts() throws {
        let built = try PEP440Version(epoch: 1, release: [2, 0], pre: (.beta, 3), post: 4, dev: 5, local: [.text("x")])
        #expect(built.description == "1!2.0b3.post4.dev5+x")
        #expect(built == (try version("1!2.0b3.post4.dev5+x")))
        #expect(throws: VersionError.self) { try PEP440Version(release: []) }
        #expect(throws: VersionError.self) { try PEP440Version(release: [1, -1]) }
    }
}
