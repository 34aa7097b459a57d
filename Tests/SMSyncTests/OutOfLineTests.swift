import Testing

@testable import SMSync

/// Fields kept out of line behave as stored properties: value semantics, and back to none when all are default.
@Suite("Out-of-line fields")
struct OutOfLineTests {
    struct Pair: OutOfLineFields {
        var name: String?
        var tags: [String] = []
    }

    @Test func fieldsAreValuesAndVanishWhenAllAreDefault() {
        var first = OutOfLine<Pair>()
        #expect(first.stored == nil)
        first.update { $0.name = "a" }
        var second = first
        second.update { $0.tags = ["t"] }
        #expect(first.stored == Pair(name: "a"))
        #expect(second.stored == Pair(name: "a", tags: ["t"]))
        second.update { $0 = Pair() }
        #expect(second.stored == nil)
        #expect(OutOfLine(boxing: Pair(name: "b")).stored?.name == "b")
    }

    @Test func specsRequirementsAndChangesReadBackWhatIsSet() throws {
        var spec = try CondaMatchSpec.parse("conda-forge::numpy=1.2=py_0")
        #expect(spec.channel == "conda-forge" && spec.build == "py_0")
        var copy = spec
        copy.channel = nil
        copy.otherKeys["md5"] = "abc"
        #expect(spec.channel == "conda-forge" && spec.otherKeys.isEmpty)
        #expect(copy.channel == nil && copy.otherKeys == ["md5": "abc"] && copy.build == "py_0")
        spec.channel = nil
        spec.build = nil
        spec.buildRange = nil
        #expect(spec.channel == nil && spec.build == nil && spec.buildRange == nil && spec.name == "numpy")

        var requirement = try PEP508Requirement.parse("requests[socks]==2.0 ; python_version >= '3'")
        #expect(requirement.extras == ["socks"] && requirement.marker == "python_version >= '3'")
        requirement.extras = []
        #expect(requirement.extras.isEmpty && requirement.marker != nil)

        let origin = DriftOrigin(source: "s", kind: .distribution, release: nil, name: "n", version: "2", manager: nil)
        var change = DriftChange(
            package: "n", manager: .conda, line: 1, upstream: "2", kind: .major, action: .update, origin: origin)
        #expect(change.runnerUp == nil && change.availability == nil)
        change.availability = ChangeAvailability(status: .available)
        change.runnerUp = origin
        #expect(change.availability?.status == .available && change.runnerUp == origin)
        change.availability = nil
        #expect(change.availability == nil && change.runnerUp == origin)
    }
}
