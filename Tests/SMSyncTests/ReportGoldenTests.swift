import Foundation
import Testing

@testable import SMSync

/// The bytes of every report format, pinned: a report built by hand with text that needs escaping (quotes,
/// backslashes, control characters, U+2028, pipes, backticks, CR, CRLF, combining marks, wide characters), and
/// the drift of the golden env files. `SMSYNC_UPDATE_GOLDEN=1 swift test --filter ReportGolden` rewrites them.
@Suite("Report rendering: golden bytes")
struct ReportGoldenTests {
    static func origin(_ source: String, _ version: String, release: String? = "1.2.3") -> DriftOrigin {
        DriftOrigin(
            source: source, kind: .distribution, release: release, name: "na\"me\\x", version: version,
            manager: .conda)
    }

    static func change(
        _ package: String, _ action: DriftAction, reason: String? = nil, runnerUp: DriftOrigin? = nil,
        manager: PackageManager = .conda, current: String? = "1.0", spec: String? = "=1.0", planned: String? = nil
    ) -> DriftChange {
        DriftChange(
            package: package, manager: manager, line: 7, current: current, currentSpec: spec, upstream: "2.0",
            kind: .major, action: action, reason: reason, origin: origin("dist|ribution`x`", "2.0"),
            runnerUp: runnerUp, plannedSpec: planned)
    }

    static var handBuilt: DriftReport {
        let kernels = [
            KernelDrift(
                kernel: "conda_python3", file: "envs/python3.yml",
                changes: [
                    change("numpy", .update, planned: "=2.0"),
                    change("pan|das`", .held, reason: "major\nupdate\r\nnot in\rpolicy \u{2028} \u{7F}\u{01}\t"),
                    change("scipy", .blocked, reason: "range >=1,<2 does not admit 2.0", spec: ">=1,<2"),
                    change("ipykernel", .ignored, reason: "unpinned", current: nil, spec: nil),
                    change("café", .same, manager: .pip, spec: "==1.0"),
                    change(
                        "e\u{301}|\u{301}", .update,
                        runnerUp: origin("aws-docs", "1.9", release: "sha256:" + "ab" * 32),
                        manager: .pip, spec: "==1.0", planned: "==2.0"),
                    change("日本語", .held, reason: "wide 日本", runnerUp: origin("sdk", "3.0", release: nil)),
                ],
                missing: [MissingPackage(name: "extra\"pkg", version: "0.1", manager: nil, source: "dist")],
                sources: ["dist|ribution`x`", "aws-docs"]),
            KernelDrift(kernel: "conda_empty", file: "envs/empty.yml", changes: [], missing: [], sources: []),
            KernelDrift(
                kernel: "conda_same", file: " spaced/same.yml ", changes: [change("six", .same)], missing: [],
                sources: ["aws-docs"]),
        ]
        return DriftReport(
            kernels: kernels,
            renames: [KernelRename(local: "conda_pytorch_p310", upstream: "conda_pytorch", source: "aws-docs")],
            missingKernels: [MissingKernel(kernel: "conda_r", source: "aws-docs")],
            unsourcedKernels: ["conda_empty"],
            conflicts: [
                ExamplesConflict(
                    kernel: "conda_python3", package: "sagemaker", pinned: "==2.1", spec: ">=2.200|x`",
                    files: [" lead/a.ipynb", "b|c.txt"], source: "examples"),
                ExamplesConflict(
                    kernel: "conda_python3", package: "sagemaker", pinned: "==2.1", spec: ">=2.210",
                    files: ["c.ipynb"], source: "examples"),
            ],
            sources: [
                SourceSummary(
                    name: "dist|ribution`x`", kind: .distribution, release: "1.2.3",
                    published: UpstreamDate(year: 2026, month: 1, day: 2), notes: []),
                SourceSummary(
                    name: "aws-docs", kind: .awsDocs, release: "sha256:" + "cd" * 32, published: nil, notes: []),
            ],
            policy: Policy(update: [.patch, .minor], ignore: ["boto3", "x|y"], downgrade: false),
            examplesCommit: "0123456789abcdef")
    }

    static let empty = DriftReport(
        kernels: [], renames: [], missingKernels: [], unsourcedKernels: [], conflicts: [], sources: [],
        policy: Policy(update: [.patch], ignore: [], downgrade: true), examplesCommit: nil)

    static func renderings(_ name: String, _ report: DriftReport) -> [(file: String, bytes: [UInt8])] {
        [
            ("\(name).json", Array(report.jsonText.utf8)),
            ("\(name).md", Array(report.markdown().utf8)),
            ("\(name).links.md", Array(report.markdown(links: ["aws-docs": "https://example.org/a|b"]).utf8)),
            ("\(name).table.txt", Array(report.table(color: false).utf8)),
            ("\(name).color.txt", Array(report.table(color: true).utf8)),
        ]
    }

    @Test("every format renders the same bytes as the golden files", arguments: ["hand-built", "empty"])
    func golden(name: String) throws {
        let report = name == "empty" ? Self.empty : Self.handBuilt
        let update = ProcessInfo.processInfo.environment["SMSYNC_UPDATE_GOLDEN"] == "1"
        for (file, bytes) in Self.renderings(name, report) {
            let url = TestPaths.fixture("golden/\(file)")
            if update { try Data(bytes).write(to: url) }
            let expected = try TestPaths.bytes(url)
            #expect(bytes == expected, "\(file) differs from Fixtures/golden/\(file)")
        }
    }

    /// The smallest buffer drains many times in the middle of escapes, rows and multi-byte characters.
    @Test("streamed through a small buffer, every format gives the same bytes", arguments: ["hand-built", "empty"])
    func smallBuffer(name: String) throws {
        let report = name == "empty" ? Self.empty : Self.handBuilt
        func streamed(_ body: (inout ByteOutput) -> Void) -> [UInt8] {
            var chunks: [[UInt8]] = []
            var output = ByteOutput(capacity: 64) { chunks.append(Array($0)) }
            body(&output)
            output.flush()
            #expect(chunks.count > 1 || name == "empty", "drained more than once")
            return chunks.flatMap { $0 }
        }
        let rendered: [(String, [UInt8])] = [
            ("\(name).json", streamed { report.writeJSON(to: &$0) }),
            ("\(name).md", streamed { report.writeMarkdown(to: &$0) }),
            ("\(name).table.txt", streamed { report.writeTable(color: false, to: &$0) }),
            ("\(name).color.txt", streamed { report.writeTable(color: true, to: &$0) }),
        ]
        for (file, bytes) in rendered {
            #expect(bytes == (try TestPaths.bytes(TestPaths.fixture("golden/\(file)"))), "\(file)")
        }
    }

    @Test(
        "JSON strings escape as JSONValue does, run by run",
        arguments: [
            "", "plain", "quote\" back\\ slash", "\u{0}\u{1}\u{1F}\u{7F}", "line\nfeed\r\n\ttab",
            "\u{2028}\u{2029}\u{2027}",
            "café 日本 🙂", "\u{E2}\u{80}", "ends with \u{2028}",
        ])
    func jsonEscaping(text: String) {
        let streamed = ByteOutput.collectText { $0.appendJSONString(text) }
        #expect(streamed == JSONValue.string(text).serialized())
    }
}

extension String {
    fileprivate static func * (text: String, count: Int) -> String { String(repeating: text, count: count) }
}
