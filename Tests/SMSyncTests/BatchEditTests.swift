import Foundation
import Testing

@testable import SMSync

/// `settingVersions` makes every edit of a file in one pass and one read-back proof; the result must be the same
/// bytes as making the edits one after another.
@Suite("Environment: several edits in one pass")
struct BatchEditTests {
    static let text =
        "name: batch\r\nchannels:\r\n  - conda-forge\r\ndependencies:\r\n"
        + "  - numpy=1.19.5=py36h2aa4a07_1   # keep\r\n  - \"pandas==1.1.5\"\r\n  - scipy >= 1.5\r\n"
        + "  - python=3.6\r\n  - pip:\r\n    - boto3==1.17.0\r\n    - requests>2.0,<3\r\n"

    static let changes = [
        VersionChange(package: "pandas", version: "1.3.0", manager: .conda),
        VersionChange(package: "numpy", version: "1.21.0", manager: .conda),
        VersionChange(package: "boto3", version: "1.20.1", manager: .pip),
        VersionChange(package: "scipy", version: "1.7.1"),
    ]

    @Test("the same bytes and edits as one edit after another")
    func sameAsSequential() throws {
        let file = try EnvironmentFile(text: Self.text, path: "batch.yml")
        let batch = try file.settingVersions(Self.changes)
        var sequential = file
        var edits: [VersionEdit] = []
        for change in Self.changes {
            let result = try sequential.settingVersion(of: change.package, to: change.version, manager: change.manager)
            edits += result.edits
            sequential = try EnvironmentFile(text: result.text, path: "batch.yml")
        }
        #expect(batch.text == sequential.text)
        #expect(batch.edits == edits)
        #expect(batch.text.contains("  - numpy=1.21.0   # keep\r\n"))
        #expect(batch.text.contains("  - scipy >= 1.7.1\r\n"))
        #expect(batch.edits.first { $0.package == "numpy" }?.droppedBuild == "py36h2aa4a07_1")
    }

    @Test("a spec that already admits the version is left as is, with the note")
    func admitsEverything() throws {
        let file = try EnvironmentFile(text: Self.text, path: "batch.yml")
        let result = try file.settingVersions([VersionChange(package: "requests", version: "2.31.0", manager: .pip)])
        #expect(result.edits.isEmpty)
        #expect(result.text == Self.text)
        #expect(result.unchanged == "`requests>2.0,<3` already admits 2.31.0; left as is")
    }

    @Test("one change that cannot be made refuses the whole batch")
    func oneBadChangeRefusesAll() throws {
        let file = try EnvironmentFile(text: Self.text, path: "batch.yml")
        #expect(throws: EnvironmentFileError.self) {
            try file.settingVersions(
                Self.changes + [VersionChange(package: "requests", version: "3.1", manager: .pip)])
        }
    }

    @Test("the proof names the dependency a tampered batch changed")
    func proofCoversEveryTarget() throws {
        let file = try EnvironmentFile(text: Self.text, path: "batch.yml")
        let numpy = try #require(file.dependencies(named: "numpy").first)
        let pandas = try #require(file.dependencies(named: "pandas").first)
        let honest = try file.settingVersions(Array(Self.changes.prefix(2))).text
        try file.proveOnlyChanged(honest, edited: [(pandas, "==1.3.0"), (numpy, "=1.21.0")])
        // Only numpy is declared as edited: the pandas change must be caught.
        #expect(throws: EnvironmentFileError.self) {
            try file.proveOnlyChanged(honest, edited: [(numpy, "=1.21.0")])
        }
    }
}

/// The name index a batch edit looks entries up in finds what the one-name lookup finds, in the same order.
@Suite("Batch edits: the dependency name index")
struct DependencyIndexTests {
    @Test func theIndexFindsWhatTheLookupFinds() throws {
        let folder = TestPaths.fixture("env")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yml") }
        var files = 0
        var lookups = 0
        for name in names.sorted() {
            guard
                let file = try? EnvironmentFile(bytes: TestPaths.bytes(folder.appendingPathComponent(name)), path: name)
            else { continue }
            files += 1
            let index = EnvironmentFile.DependencyIndex(file)
            var asked = Set(file.dependencies.compactMap(\.name))
            for written in Array(asked) {
                asked.insert(written.uppercased())
                asked.insert(written.replacingOccurrences(of: "-", with: "_"))
                asked.insert(written.replacingOccurrences(of: "_", with: "."))
            }
            asked.insert("not-there")
            for package in asked {
                for manager in [nil, PackageManager.conda, .pip] {
                    let expected = file.dependencies(named: package, manager: manager)
                    let found = index.dependencies(named: package, manager: manager)
                    #expect(found == expected, "\(name): \(package) \(String(describing: manager))")
                    lookups += 1
                }
            }
        }
        #expect(files >= 10)
        #expect(lookups > 300)
    }
}

/// The read-back proof compares every entry: an edit that touches another entry, or reads back other than
/// planned, is refused.
@Suite("Batch edits: the read-back proof")
struct EditProofTests {
    static let text = "name: p\ndependencies:\n  - numpy=1.19.5\n  - scipy=1.5.0\n  - pip:\n    - requests==2.0.0\n"

    @Test func onlyThePlannedVersionsMayChange() throws {
        let file = try EnvironmentFile(text: Self.text, path: "p.yml")
        let numpy = try #require(file.dependencies(named: "numpy").first)
        let planned = Self.text.replacingOccurrences(of: "numpy=1.19.5", with: "numpy=1.20.0")
        try file.proveOnlyChanged(planned, edited: [(numpy, "=1.20.0")])
        for (tampered, why) in [
            (planned.replacingOccurrences(of: "scipy=1.5.0", with: "scipy=1.6.0"), "changed another dependency"),
            (
                planned.replacingOccurrences(of: "requests==2.0.0", with: "requests==2.0.1"),
                "changed another dependency"
            ),
            (Self.text.replacingOccurrences(of: "numpy=1.19.5", with: "numpy=1.21.0"), "reads back as"),
            (planned.replacingOccurrences(of: "  - scipy=1.5.0\n", with: ""), "number of dependencies"),
            (planned.replacingOccurrences(of: "scipy=1.5.0", with: "scipy2=1.5.0"), "changed another dependency"),
        ] {
            let error = #expect(throws: EnvironmentFileError.self) {
                try file.proveOnlyChanged(tampered, edited: [(numpy, "=1.20.0")])
            }
            #expect(error?.code == .editProofFailed)
            #expect(error?.message.contains(why) == true, "\(error?.message ?? "")")
        }
    }
}
