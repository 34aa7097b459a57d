import Foundation
import Testing

@testable import SMSync

@Suite("YAML alias budget")
struct YAMLBudgetTests {
    /// Anchors nine deep, each level nine aliases of the one before (9⁹ ≈ 387 million nodes), the last
    /// alias used as a `? key`: the mapping-key check of a YAML library hashes the whole expansion.
    static let bomb: String = {
        var lines = ["name: bomb", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for level in 1..<9 {
            let previous = Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ",")
            lines.append("a\(level): &a\(level) [\(previous)]")
        }
        lines.append("? *a8")
        lines.append(": boom")
        return lines.joined(separator: "\n") + "\n"
    }()

    func refusedQuickly(_ body: () throws -> Void) rethrows -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        return clock.now - start
    }

    @Test func theBombIsSmall() {
        #expect(Self.bomb.utf8.count < 450, "\(Self.bomb.utf8.count) bytes")
    }

    @Test func anEnvFileBombIsRefusedInMilliseconds() {
        var error: EnvironmentFileError?
        let elapsed = refusedQuickly {
            error = #expect(throws: EnvironmentFileError.self) {
                try EnvironmentFile(text: Self.bomb, path: "envs/bomb.yml")
            }
        }
        #expect(elapsed < .milliseconds(500), "took \(elapsed)")
        #expect(error?.path == "envs/bomb.yml")
        #expect(error?.line == 6, "\(error.map { "\($0)" } ?? "")")
        #expect(error?.message.contains("more than 10000 nodes") == true)
    }

    @Test func aConfigurationBombIsRefusedNamingTheFile() {
        var error: ConfigError?
        let text = "envs:\n  dir: envs\n" + Self.bomb.replacingOccurrences(of: "name: bomb\n", with: "")
        let elapsed = refusedQuickly {
            error = #expect(throws: ConfigError.self) { try Configuration(text: text, file: "/etc/smsync/smsync.yml") }
        }
        #expect(elapsed < .milliseconds(500), "took \(elapsed)")
        #expect(error?.description.hasPrefix("/etc/smsync/smsync.yml:") == true, "\(error?.description ?? "")")
    }

    @Test func anExportBombIsAnUpstreamError() {
        let error = #expect(throws: UpstreamError.self) {
            try EnvExportReader.read(export: Array(Self.bomb.utf8), exportLocation: "https://exports/python3.yml")
        }
        #expect(error?.location == "https://exports/python3.yml")
        #expect(error?.message.contains("alias") == true)
    }

    @Test func ordinaryAliasesAndMergeKeysStillRead() throws {
        let text = """
            name: base
            channels: &channels [conda-forge, defaults]
            mirrors: *channels
            dependencies:
              - python=3.11
              - numpy=1.26
            """
        let file = try EnvironmentFile(text: text, path: "base.yml")
        #expect(file.channels == ["conda-forge", "defaults"])
        #expect(file.otherKeys == ["mirrors"])
        #expect(YAMLBudget.scan(text) == nil)
    }

    @Test func filesWithoutAnchorsAreNotParsedTwice() {
        #expect(!YAMLBudget.mayHaveAnchors("dependencies:\n  - numpy=1.*\n  - python *\n  - pip:\n    - a&b==1\n"))
        #expect(YAMLBudget.mayHaveAnchors("a: &x 1\nb: *x\n"))
        #expect(YAMLBudget.mayHaveAnchors("- &x [1]\n"))
        #expect(YAMLBudget.mayHaveAnchors(Self.bomb))
    }

    @Test func theBudgetCountsExpandedNodes() {
        // A list of 100 scalars is 101 nodes: 99 aliases of it stand for 9,999, 100 for 10,100.
        let list = "[" + Array(repeating: "x", count: 100).joined(separator: ", ") + "]"
        let over = "a: &a \(list)\nb: [" + Array(repeating: "*a", count: 100).joined(separator: ", ") + "]\n"
        #expect(YAMLBudget.scan(over)?.line == 2)
        let under = "a: &a \(list)\nb: [" + Array(repeating: "*a", count: 99).joined(separator: ", ") + "]\n"
        #expect(YAMLBudget.scan(under) == nil)
    }

    @Test func deepNestingIsRefusedByTheParser() {
        let deep = "a: *b\n" + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        let error = #expect(throws: EnvironmentFileError.self) { try EnvironmentFile(text: deep, path: "deep.yml") }
        #expect(error?.code == .invalidYAML)
        #expect(YAMLBudget.scan(deep) == nil)
    }
}
