import Foundation
import SMSync
import SMSyncRuntime
import Testing

@Suite("Status and history reports")
struct StateReportsTests {
    func filledStore(_ folder: StateFolder) throws -> StateStore {
        let store = try StateStore(path: folder.databasePath)
        let first = try store.beginRun(startedAt: instant(0), pid: 100, host: "builder", dryRun: false)
        try store.recordSourceResult(runID: first, source: "aws-docs", ok: true, message: nil, at: instant(1))
        try store.recordSourceResult(
            runID: first, source: "examples", ok: false, message: "HTTP 503\nfrom \u{1B}[31mserver", at: instant(2))
        _ = try store.recordTriggerAttempt(
            runID: first, target: "webhook", kernel: "conda_python3", manifestDigest: "sha256:0123456789abcdef0123",
            succeeded: false, error: "HTTP 500", at: instant(3))
        try store.finishRun(
            first, endedAt: instant(75), outcome: .triggerFailed,
            counts: RunCounts(updates: 2, held: 1, triggersFired: 0, triggersFailed: 1), message: "a trigger failed")
        _ = try store.beginRun(startedAt: instant(3600), pid: 101, host: "builder", dryRun: true)
        return store
    }

    @Test func statusTextShowsRunsTriggersAndSources() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let report = try StatusReport(store: try filledStore(folder))
        let text = report.text()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "state: \(folder.databasePath)")
        #expect(lines.contains { $0.hasPrefix("  RUN  STARTED") })
        #expect(lines.contains { $0.hasPrefix("  2    2026-01-01T01:00:00Z  -         unfinished (dry run)") })
        #expect(
            lines.contains {
                $0.hasPrefix("  1    2026-01-01T00:00:00Z  1m15s     trigger-failed        2        1     0")
                    && $0.hasSuffix("0 fired, 1 failed  a trigger failed")
            }, "\(text)")
        #expect(
            lines.contains {
                $0.hasPrefix("  webhook  conda_python3  sha256:0123456789ab  retry next run  1")
                    && $0.hasSuffix("HTTP 500")
            }, "\(text)")
        #expect(lines.contains { $0.hasPrefix("  aws-docs  ok ") })
        #expect(lines.contains { $0.hasPrefix("  examples  failing") && $0.hasSuffix("HTTP 503 from  [31mserver") })
        #expect(!text.contains("\u{1B}"), "no terminal escapes from stored text")
    }

    @Test func statusJSONHasAFixedShape() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let json = try StatusReport(store: try filledStore(folder)).json()
        guard case .object(let pairs) = json else {
            Issue.record("not an object")
            return
        }
        #expect(pairs.map(\.0) == ["state", "runs", "pending_triggers", "abandoned_triggers", "sources"])
        let serialized = json.serialized(pretty: false)
        #expect(serialized.contains(#""outcome":"trigger-failed","exit_code":5"#))
        #expect(serialized.contains(#""outcome":null,"exit_code":null"#))
        #expect(serialized.contains(#""status":"failed","attempts":1,"last_error":"HTTP 500""#))
        #expect(serialized.contains(#""last_failure_message":"HTTP 503\nfrom \u001b[31mserver""#))
        #expect(serialized.contains(#""started_at":"2026-01-01T00:00:00Z","ended_at":"2026-01-01T00:01:15Z""#))
    }

    @Test func historyIsNewestFirstWithinTheLimit() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try filledStore(folder)
        let history = try HistoryReport(store: store, limit: 1)
        #expect(history.runs.map(\.id) == [2])
        #expect(history.text().split(separator: "\n").count == 2)
        let all = try HistoryReport(store: store, limit: 10)
        #expect(all.runs.map(\.id) == [2, 1])
        guard case .object(let pairs) = all.json(), case .array(let runs) = pairs.first?.1 else {
            Issue.record("unexpected JSON shape")
            return
        }
        #expect(runs.count == 2)
    }

    @Test func emptyStateSaysSo() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        let text = try StatusReport(store: store).text()
        #expect(text.contains("no runs recorded yet") && text.contains("no triggers waiting"))
        #expect(text.contains("no sources recorded yet"))
        #expect(try HistoryReport(store: store, limit: 5).text() == "no runs recorded yet\n")
        #expect(try HistoryReport(store: store, limit: 5).json().serialized(pretty: false) == #"{"runs":[]}"#)
    }

    @Test(arguments: [
        ("24h", 86400.0), ("90s", 90), ("30m", 1800), ("7d", 604_800), ("3600", 3600), ("1.5h", 5400),
    ])
    func agesParse(text: String, seconds: Double) {
        #expect(StatusReport.parseAge(text) == seconds)
    }

    @Test(arguments: ["", "h", "-1h", "0", "soon", "1y", "1e3"])
    func badAgesAreRefused(text: String) {
        #expect(StatusReport.parseAge(text) == nil)
    }

    @Test func staleSourcesAreTheConfiguredOnesPastTheAgeOrNeverRead() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let report = try StatusReport(store: try filledStore(folder))
        // aws-docs succeeded at instant(1); examples only ever failed; sdk-changelog was never recorded.
        let fresh = report.staleSources(configured: ["aws-docs"], maxAge: 60, now: instant(30))
        #expect(fresh.isEmpty)
        let stale = report.staleSources(
            configured: ["aws-docs", "examples", "sdk-changelog"], maxAge: 60, now: instant(7201))
        #expect(stale.map(\.source) == ["aws-docs", "examples", "sdk-changelog"])
        #expect(stale[0].reason.contains("2h0m ago"))
        #expect(stale[1].reason == "examples: never read successfully")
    }

    @Test func metricsNameEachSourceWithAnEscapedLabel() {
        let metrics = RunMetrics(
            finishedAt: instant(100), exitCode: 0, lastSuccessAt: nil, updatesPending: 0, sourceFailures: 0,
            triggersFailed: 0, sourceLastSuccess: [("aws-docs", instant(50)), ("odd\"name\\", instant(60))])
        let text = metrics.text
        let base = Int(instant(0).timeIntervalSince1970)
        #expect(text.contains("# TYPE smsync_source_last_success_timestamp_seconds gauge"))
        #expect(text.contains("smsync_source_last_success_timestamp_seconds{source=\"aws-docs\"} \(base + 50)\n"))
        #expect(text.contains(#"smsync_source_last_success_timestamp_seconds{source="odd\"name\\"}"#))
    }
}
