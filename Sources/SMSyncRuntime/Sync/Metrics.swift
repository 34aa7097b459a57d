import Foundation

/// Prometheus text-format metrics of one run, for node_exporter's textfile collector.
public struct RunMetrics: Sendable {
    public var finishedAt: Date
    public var exitCode: Int32
    public var lastSuccessAt: Date?
    public var updatesPending: Int
    public var sourceFailures: Int
    public var triggersFailed: Int
    /// When each source was last read successfully, by source name.
    public var sourceLastSuccess: [(source: String, at: Date)]

    public init(
        finishedAt: Date, exitCode: Int32, lastSuccessAt: Date?, updatesPending: Int, sourceFailures: Int,
        triggersFailed: Int, sourceLastSuccess: [(source: String, at: Date)] = []
    ) {
        self.sourceLastSuccess = sourceLastSuccess
        self.finishedAt = finishedAt
        self.exitCode = exitCode
        self.lastSuccessAt = lastSuccessAt
        self.updatesPending = updatesPending
        self.sourceFailures = sourceFailures
        self.triggersFailed = triggersFailed
    }

    public var text: String {
        func seconds(_ date: Date) -> String { String(Int(date.timeIntervalSince1970)) }
        var lines: [String] = []
        func metric(_ name: String, _ help: String, _ value: String) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) gauge")
            lines.append("\(name) \(value)")
        }
        metric("smsync_last_run_timestamp_seconds", "When the last smsync run finished.", seconds(finishedAt))
        metric("smsync_last_run_exit_code", "Exit code of the last smsync run.", String(exitCode))
        if let lastSuccessAt {
            metric(
                "smsync_last_success_timestamp_seconds", "When an smsync run last finished with exit code 0.",
                seconds(lastSuccessAt))
        }
        metric("smsync_updates_pending", "Package updates found by the last run.", String(updatesPending))
        metric(
            "smsync_source_failures", "Upstream sources that could not be read in the last run.", String(sourceFailures)
        )
        metric("smsync_trigger_failures", "Rebuild triggers that failed in the last run.", String(triggersFailed))
        if !sourceLastSuccess.isEmpty {
            let name = "smsync_source_last_success_timestamp_seconds"
            lines.append("# HELP \(name) When each upstream source was last read successfully.")
            lines.append("# TYPE \(name) gauge")
            for (source, at) in sourceLastSuccess {
                lines.append("\(name){source=\"\(Self.labelValue(source))\"} \(seconds(at))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A label value in the text format: backslash, double quote and line feed escaped.
    static func labelValue(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// Writes the metrics atomically, so the collector never reads half a file.
    public func write(to path: String) throws(FileSystemError) {
        try AtomicFile.write(Array(text.utf8), to: path)
    }
}
