import Foundation
import Testing

@testable import SMSync

/// The bytes of every report format with availability checked: an update with where it comes from, an unavailable
/// one (since a date, with an available alternative), one whose check failed, and an unchecked pip update.
/// `SMSYNC_UPDATE_GOLDEN=1 swift test --filter AvailabilityGolden` rewrites them.
@Suite("Report rendering with availability: golden bytes")
struct AvailabilityGoldenTests {
    static func origin(_ source: String, _ version: String) -> DriftOrigin {
        DriftOrigin(source: source, kind: .envExport, release: nil, name: "x", version: version, manager: .conda)
    }

    static var report: DriftReport {
        var numpy = DriftChange(
            package: "numpy", manager: .conda, line: 5, current: "2.1.1", currentSpec: "=2.1.1", upstream: "2.1.3",
            kind: .patch, action: .update, reason: nil, origin: origin("env-export", "2.1.3"), runnerUp: nil,
            plannedSpec: "=2.1.3")
        numpy.availability = ChangeAvailability(
            status: .available,
            source: AvailabilitySource(
                channel: "conda-forge", subdir: "linux-64", build: "py310h1_0", file: "numpy-2.1.3-py310h1_0.conda"))
        var pandas = DriftChange(
            package: "pandas", manager: .conda, line: 6, current: "2.2.1", currentSpec: "=2.2.1", upstream: "2.2.3",
            kind: .patch, action: .unavailable,
            reason: "pandas 2.2.3: on conda-forge only for linux-aarch64; none for linux-64/py310 on conda-forge",
            origin: origin("env-export", "2.2.3"), runnerUp: origin("aws-docs", "2.2.2"), plannedSpec: "=2.2.3")
        pandas.availability = ChangeAvailability(
            status: .unavailable, reason: pandas.reason, since: "2026-11-30",
            alternative: "2.2.2 (aws-docs) from conda-forge linux-64 py310h0_0")
        var scipy = DriftChange(
            package: "scipy", manager: .conda, line: 7, current: "1.14.0", currentSpec: "=1.14.0", upstream: "1.14.1",
            kind: .patch, action: .unavailable, reason: "could not check: conda-forge linux-64: timed out",
            origin: origin("env-export", "1.14.1"), runnerUp: nil, plannedSpec: "=1.14.1")
        scipy.availability = ChangeAvailability(status: .unavailable, reason: scipy.reason, failed: true)
        var torch = DriftChange(
            package: "torch", manager: .pip, line: 10, current: "2.4.0", currentSpec: "==2.4.0", upstream: "2.4.1",
            kind: .patch, action: .update, reason: nil, origin: origin("env-export", "2.4.1"), runnerUp: nil,
            plannedSpec: "==2.4.1")
        torch.availability = ChangeAvailability(status: .unchecked, reason: "availability.check.pip is off")
        let held = DriftChange(
            package: "python", manager: .conda, line: 4, current: "3.10", currentSpec: "=3.10", upstream: "3.11",
            kind: .major, action: .held, reason: "major change; policy.update is [minor, patch]",
            origin: origin("env-export", "3.11"), runnerUp: nil, plannedSpec: nil)
        var report = DriftReport(
            kernels: [
                KernelDrift(
                    kernel: "conda_python3", file: "envs/python3.yml", changes: [held, numpy, pandas, scipy, torch],
                    missing: [], sources: ["env-export", "aws-docs"])
            ],
            renames: [], missingKernels: [], unsourcedKernels: [], conflicts: [],
            sources: [SourceSummary(name: "env-export", kind: .envExport, release: nil, published: nil, notes: [])],
            policy: Policy.default, examplesCommit: nil)
        report.availabilityChecked = true
        return report
    }

    @Test func everyFormatRendersTheGoldenBytes() throws {
        let report = Self.report
        #expect(report.summary.updates == 2)
        #expect(report.summary.unavailable == 2)
        let update = ProcessInfo.processInfo.environment["SMSYNC_UPDATE_GOLDEN"] == "1"
        for (file, bytes) in ReportGoldenTests.renderings("availability", report) {
            let url = TestPaths.fixture("golden/\(file)")
            if update { try Data(bytes).write(to: url) }
            #expect(bytes == (try TestPaths.bytes(url)), "\(file) differs from Fixtures/golden/\(file)")
        }
    }

    @Test func theRenderingsSayWhereFromAndWhyNot() {
        let report = Self.report
        let table = report.table(color: false)
        #expect(table.contains("FROM"))
        #expect(table.contains("conda-forge linux-64 py310h1_0"))
        #expect(table.contains("unavailable since 2026-11-30 (pandas 2.2.3: on conda-forge only for linux-aarch64"))
        #expect(table.contains("2 updates, 1 held, 0 blocked, 0 ignored, 0 up to date, 2 unavailable"))
        let markdown = report.markdown()
        #expect(markdown.contains("| package | from | to | kind | source | installs from |"))
        #expect(markdown.contains("2 not installable yet (held)"))
        #expect(markdown.contains("2.2.2 (aws-docs) from conda-forge linux-64 py310h0_0"))
        let json = report.jsonText
        #expect(json.contains("\"unavailable_since\": \"2026-11-30\""))
        #expect(json.contains("\"unavailable\": 2"))
    }

    @Test func unavailableUpdatesAreNotPlanned() throws {
        let text = """
            name: python3
            dependencies:
              - python=3.10
              - numpy=2.1.1
              - pandas=2.2.1
              - scipy=1.14.0
              - pip
              - pip:
                - torch==2.4.0
            """
        let file = try EnvironmentFile(text: text, path: "envs/python3.yml")
        let local = [LocalKernel(kernel: "conda_python3", path: "envs/python3.yml", file: file)]
        let lines = Dictionary(uniqueKeysWithValues: file.dependencies.compactMap { d in d.name.map { ($0, d.line) } })
        let report = Self.report.mapChanges { _, change in
            change.line = lines[change.package] ?? change.line
        }
        let plan = try ApplyPlan(report: report, local: local, branchPrefix: "smsync/")
        let edits = plan.files.flatMap(\.edits)
        #expect(edits.map(\.package) == ["numpy", "torch"], "unavailable pandas and scipy are held")
        #expect(plan.pullRequestBody.contains("not installable yet"))
        #expect(plan.pullRequestBody.contains("conda-forge linux-64 py310h1_0"))
    }

    @Test func reportsWithoutTheCheckRenderAsBefore() {
        var report = Self.report
        report.availabilityChecked = false
        #expect(!report.table(color: false).contains("FROM"))
        #expect(!report.jsonText.contains("availability"))
        #expect(!report.markdown().contains("installs from"))
    }
}
