import Foundation
import SMSync

/// What `smsync status` shows: the last runs, triggers waiting for a retry or given up, and each source's health.
public struct StatusReport: Sendable {
    public var statePath: String
    /// Newest first.
    public var runs: [RunRecord]
    /// Triggers the next run fires: failed ones, and pending ones a stopped or killed run left.
    public var pendingTriggers: [TriggerRecord]
    /// Triggers that failed too often and are no longer retried.
    public var abandonedTriggers: [TriggerRecord]
    public var sources: [SourceHealth]

    public init(
        statePath: String, runs: [RunRecord], pendingTriggers: [TriggerRecord], abandonedTriggers: [TriggerRecord],
        sources: [SourceHealth]
    ) {
        self.statePath = statePath
        self.runs = runs
        self.pendingTriggers = pendingTriggers
        self.abandonedTriggers = abandonedTriggers
        self.sources = sources
    }

    /// Reads the report from a store.
    public init(
        store: StateStore, runLimit: Int = 5, maxAttempts: Int = StateStore.defaultMaxTriggerAttempts
    ) throws(StateError) {
        self.init(
            statePath: store.path, runs: try store.runs(limit: runLimit),
            pendingTriggers: try store.pendingTriggers(maxAttempts: maxAttempts),
            abandonedTriggers: try store.triggers(status: .abandoned), sources: try store.sourceHealth())
    }

    /// Plain-text tables for a terminal.
    public func text() -> String {
        var out = "state: \(ReportText.clean(statePath))\n\n"
        if runs.isEmpty {
            out += "no runs recorded yet\n"
        } else {
            out += "last runs\n" + ReportText.runTable(runs)
        }
        out += "\n"
        if pendingTriggers.isEmpty && abandonedTriggers.isEmpty {
            out += "no triggers waiting\n"
        } else {
            var rows: [[String]] = [
                ["TARGET", "KERNEL", "MANIFEST", "STATUS", "ATTEMPTS", "LAST ATTEMPT", "LAST ERROR"]
            ]
            for trigger in pendingTriggers + abandonedTriggers {
                rows.append([
                    trigger.target, trigger.kernel, ReportText.shortDigest(trigger.manifestDigest),
                    Self.statusText(trigger.status), String(trigger.attempts),
                    ReportText.date(trigger.lastAttemptAt), trigger.lastError ?? "-",
                ])
            }
            out += "triggers\n" + ReportText.table(rows)
        }
        out += "\n"
        if sources.isEmpty {
            out += "no sources recorded yet\n"
        } else {
            var rows: [[String]] = [
                ["SOURCE", "STATE", "LAST SUCCESS", "LAST ERROR", "FAILURES IN A ROW", "LAST ERROR MESSAGE"]
            ]
            for source in sources {
                rows.append([
                    source.source, source.isHealthy ? "ok" : "failing", ReportText.date(source.lastSuccess),
                    ReportText.date(source.lastFailure), String(source.consecutiveFailures),
                    source.lastFailureMessage ?? "-",
                ])
            }
            out += "sources\n" + ReportText.table(rows)
        }
        return out
    }

    /// What `status` says of a trigger: pending ones were recorded by a run that did not fire them yet (it was
    /// stopped or killed, or is still going), failed ones failed last time; the next run fires both.
    static func statusText(_ status: TriggerStatus) -> String {
        switch status {
        case .abandoned: "abandoned"
        case .pending: "waiting, fires next run"
        case .failed, .succeeded: "retry next run"
        }
    }

    /// The configured sources that have not been read successfully within `maxAge` seconds before `now` (never
    /// read counts as stale), in configuration order, each with a line that says why.
    public func staleSources(
        configured: [String], maxAge: TimeInterval, now: Date
    ) -> [(source: String, reason: String)] {
        let health = Dictionary(sources.map { ($0.source, $0) }, uniquingKeysWith: { first, _ in first })
        var stale: [(String, String)] = []
        for name in configured {
            guard let lastSuccess = health[name]?.lastSuccess else {
                stale.append((name, "\(name): never read successfully"))
                continue
            }
            let age = now.timeIntervalSince(lastSuccess)
            if age > maxAge {
                var reason =
                    "\(name): last read successfully \(ReportText.duration(age)) ago (\(ReportText.date(lastSuccess)))"
                if let message = health[name]?.lastFailureMessage, health[name]?.isHealthy == false {
                    reason += "; last error: \(ReportText.clean(message))"
                }
                stale.append((name, reason))
            }
        }
        return stale
    }

    /// Reads an age such as `90s`, `30m`, `24h`, `7d` or a plain number of seconds; nil when it is not one.
    public static func parseAge(_ text: String) -> TimeInterval? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
        var number = Substring(text.trimmingCharacters(in: .whitespaces))
        var factor = 1.0
        if let last = number.last, let unit = units[last] {
            factor = unit
            number = number.dropLast()
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            let value = Double(number), value.isFinite, value > 0
        else { return nil }
        return value * factor
    }

    /// The report as JSON, keys in a fixed order.
    public func json() -> JSONValue {
        .object([
            ("state", .string(statePath)),
            ("runs", .array(runs.map(ReportJSON.run))),
            ("pending_triggers", .array(pendingTriggers.map(ReportJSON.trigger))),
            ("abandoned_triggers", .array(abandonedTriggers.map(ReportJSON.trigger))),
            ("sources", .array(sources.map(ReportJSON.source))),
        ])
    }
}

/// What `smsync history` shows: the last runs, newest first.
public struct HistoryReport: Sendable {
    public var runs: [RunRecord]

    public init(runs: [RunRecord]) {
        self.runs = runs
    }

    /// Reads the last `limit` runs from a store.
    public init(store: StateStore, limit: Int) throws(StateError) {
        self.init(runs: try store.runs(limit: limit))
    }

    /// A plain-text table.
    public func text() -> String {
        runs.isEmpty ? "no runs recorded yet\n" : ReportText.runTable(runs)
    }

    /// `{"runs": [...]}`.
    public func json() -> JSONValue {
        .object([("runs", .array(runs.map(ReportJSON.run)))])
    }
}

enum ReportText {
    static func runTable(_ runs: [RunRecord]) -> String {
        var rows: [[String]] = [
            [
                "RUN", "STARTED", "DURATION", "OUTCOME", "UPDATES", "HELD", "BLOCKED", "SOURCES FAILED", "TRIGGERS",
                "MESSAGE",
            ]
        ]
        for run in runs {
            var outcome = run.outcome?.rawValue ?? "unfinished"
            if run.dryRun { outcome += " (dry run)" }
            let triggers =
                run.counts.triggersFailed > 0
                ? "\(run.counts.triggersFired) fired, \(run.counts.triggersFailed) failed"
                : String(run.counts.triggersFired)
            rows.append([
                String(run.id), date(run.startedAt),
                run.endedAt.map { duration($0.timeIntervalSince(run.startedAt)) } ?? "-",
                outcome, String(run.counts.updates), String(run.counts.held), String(run.counts.blocked),
                String(run.counts.sourcesFailed), triggers, run.message ?? "-",
            ])
        }
        return table(rows)
    }

    /// Aligned columns, two spaces apart, every cell on one line and free of control characters.
    static func table(_ rows: [[String]]) -> String {
        let rows = rows.map { $0.map(clean) }
        guard let header = rows.first else { return "" }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var out = ""
        for row in rows {
            var line = "  "
            for (column, cell) in row.enumerated() {
                let last = column == row.count - 1
                line += last ? cell : cell + String(repeating: " ", count: widths[column] - cell.count) + "  "
            }
            out += line + "\n"
        }
        return out
    }

    /// One line, control characters (terminal escapes included) shown as spaces.
    static func clean(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { scalar in
                    scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
                        ? " " : scalar
                }))
    }

    static func date(_ date: Date?) -> String {
        date.map(RunLock.format) ?? "-"
    }

    static func duration(_ seconds: TimeInterval) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "-" }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return "\(whole / 60)m\(whole % 60)s" }
        return "\(whole / 3600)h\((whole % 3600) / 60)m"
    }

    static func shortDigest(_ digest: String) -> String {
        digest.hasPrefix("sha256:") ? String(digest.prefix(19)) : digest
    }
}

enum ReportJSON {
    static func date(_ date: Date?) -> JSONValue {
        .string(date.map(RunLock.format))
    }

    static func run(_ run: RunRecord) -> JSONValue {
        .object([
            ("id", .int(Int(run.id))),
            ("started_at", date(run.startedAt)),
            ("ended_at", date(run.endedAt)),
            ("pid", .int(Int(run.pid))),
            ("host", .string(run.host)),
            ("dry_run", .bool(run.dryRun)),
            ("outcome", .string(run.outcome?.rawValue)),
            ("exit_code", run.outcome.map { .int(Int($0.exitCode)) } ?? .null),
            (
                "counts",
                .object([
                    ("updates", .int(run.counts.updates)), ("held", .int(run.counts.held)),
                    ("blocked", .int(run.counts.blocked)), ("sources_failed", .int(run.counts.sourcesFailed)),
                    ("triggers_fired", .int(run.counts.triggersFired)),
                    ("triggers_failed", .int(run.counts.triggersFailed)),
                ])
            ),
            ("message", .string(run.message)),
        ])
    }

    static func trigger(_ trigger: TriggerRecord) -> JSONValue {
        .object([
            ("target", .string(trigger.target)),
            ("kernel", .string(trigger.kernel)),
            ("manifest_digest", .string(trigger.manifestDigest)),
            ("status", .string(trigger.status.rawValue)),
            ("attempts", .int(trigger.attempts)),
            ("last_error", .string(trigger.lastError)),
            ("first_attempt_at", date(trigger.firstAttemptAt)),
            ("last_attempt_at", date(trigger.lastAttemptAt)),
            ("last_run", trigger.lastRunID.map { .int(Int($0)) } ?? .null),
        ])
    }

    static func source(_ source: SourceHealth) -> JSONValue {
        .object([
            ("source", .string(source.source)),
            ("healthy", .bool(source.isHealthy)),
            ("last_success", date(source.lastSuccess)),
            ("last_failure", date(source.lastFailure)),
            ("last_failure_message", .string(source.lastFailureMessage)),
            ("consecutive_failures", .int(source.consecutiveFailures)),
            ("last_run", .int(Int(source.lastRunID))),
        ])
    }
}
