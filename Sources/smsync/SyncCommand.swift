import ArgumentParser
import Foundation
import Logging
import SMSync
import SMSyncRuntime

extension LogFormat: ExpressibleByArgument {}

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "The scheduled job: poll upstream, diff, apply, open or update the PR, trigger rebuilds, record.",
        discussion: """
            One run polls every source over HTTP with conditional requests (a run where nothing changed costs one \
            request per source), compares the kernels with the local env files, applies the updates the policy \
            allows, and records everything in the state database (`state:` in the configuration, else \
            $XDG_STATE_HOME/smsync/state.db). Without `pull_request.github` (or with --no-pr) the env files in the \
            working tree are edited in place; with it, the env files are read from the base branch on GitHub at \
            its head commit, the edits are committed on top of that commit to the pull-request branch through the \
            GitHub API and the pull request is opened or updated: no local checkout is needed or changed. Each \
            rebuild trigger fires once per change; a failed one is retried on the next run. Triggers are recorded \
            as pending before anything is written, so a run killed at any point loses none: the next run fires them.

            Secrets are read from the environment variables the configuration names (default GITHUB_TOKEN), or \
            from the file named by NAME_FILE. They are never logged or stored.

            Run it from cron, a systemd timer, a Kubernetes CronJob, EventBridge or GitHub Actions:
              smsync sync --config /etc/smsync/smsync.yml --log-format json --metrics-file /var/lib/smsync/smsync.prom

            EXIT CODES
              0  success, with or without changes
              2  bad configuration or command line; a state database written by a newer smsync
              3  an upstream source failed or could not be read (nothing is written; the last good state is kept)
              4  another run holds the lock on the state
              5  a rebuild trigger or the pull-request step failed (retried on the next run)
              6  local storage failed: the state folder, lock or database, or an env file, cannot be written
            130  stopped by SIGINT (Ctrl-C): the file write under way finished or rolled back, triggers left pending
            143  stopped by SIGTERM: the same; the run is recorded as interrupted and the lock released

            `sync.deadline_seconds` (default 1800) bounds a whole run; past it the run stops the same way, is \
            recorded as timed out, and exits 3 (while reading sources) or 5 (after).
            """
    )

    @OptionGroup var options: ConfigOption
    @Flag(name: .long, help: "Poll and report; write nothing, open nothing, trigger nothing.") var dryRun = false
    @Flag(name: .long, help: "Do not edit env files or push a branch.") var noApply = false
    @Flag(name: .long, help: "Do not fire rebuild triggers.") var noTrigger = false
    @Flag(name: .long, help: "Do not open or update a pull request; edit the env files in place instead.")
    var noPr = false
    @Option(name: .long, help: "Log lines on standard error as text or json.") var logFormat: LogFormat = .text
    @Option(name: .long, help: "Write Prometheus text-format metrics here (node_exporter textfile collector).")
    var metricsFile: String?

    func run() async throws {
        let format = logFormat
        var logger = Logger(label: "smsync") { label in StandardErrorLogHandler(label: label, format: format) }
        logger[metadataKey: "smsync.command"] = "sync"
        let runner = SyncRunner(logger: logger)
        // SIGTERM and SIGINT stop the run cleanly (requests and commands cancelled, the current write finished
        // or rolled back, triggers left pending, the run recorded, the lock released), then exit 143 or 130.
        let interruption = RunInterruption()
        let signalSources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { interruption.stop(.signal(number)) }
            source.resume()
            return source
        }
        let outcome = await runner.run(
            SyncOptions(
                configPath: options.config, dryRun: dryRun, noApply: noApply, noTrigger: noTrigger, noPR: noPr,
                metricsFile: metricsFile, version: SMSyncVersion.current),
            interruption: interruption)
        for source in signalSources { source.cancel() }
        if !outcome.summary.isEmpty { Output.write(outcome.summary) }
        if outcome.exitCode != 0 { throw CommandFailure(outcome.exitCode, outcome.message) }
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the last runs, pending rebuild triggers and the health of each source.",
        discussion: """
            Reads the state database named by the configuration (or the default location). Per source: when \
            `sync` last read it successfully, and its last error.

            --max-age AGE (90s, 30m, 24h, 7d) makes it a check for monitoring (a Kubernetes probe, a systemd \
            ExecCondition, an alarm on the exit code): it exits 1, naming them on stderr, when any configured \
            source has not been read successfully within AGE.

            EXIT CODES
              0  success (and, with --max-age, every source is fresh)
              1  with --max-age: a source is stale or was never read
              2  bad configuration or command line, no state yet, or a state database written by a newer smsync
              6  the state database cannot be opened (permissions, a damaged file)
            """
    )

    @OptionGroup var options: ConfigOption
    @Option(name: .long, help: "text or json.") var format: HistoryFormat = .text
    @Option(name: .long, help: "Exit 1 when any source was last read successfully longer ago than this (24h).")
    var maxAge: String?

    func validate() throws {
        if let maxAge, StatusReport.parseAge(maxAge) == nil {
            throw ValidationError("--max-age must be a positive age such as 90s, 30m, 24h or 7d, not \(maxAge)")
        }
    }

    func run() async throws {
        let (store, configuration) = try openStateAndConfiguration(configPath: options.config)
        let report: StatusReport
        do {
            report = try StatusReport(store: store)
        } catch {
            throw CommandFailure.badInput("\(error)")
        }
        Output.write(format == .json ? report.json().serialized() + "\n" : report.text())
        guard let maxAge, let seconds = StatusReport.parseAge(maxAge) else { return }
        let stale = report.staleSources(
            configured: configuration.sources.map(\.name), maxAge: seconds, now: Date())
        guard !stale.isEmpty else { return }
        for source in stale { Output.error("stale: \(source.reason)") }
        throw CommandFailure(
            ExitStatus.stale, "\(stale.count) source(s) not read successfully within \(maxAge)")
    }
}

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List past runs with their outcome and counts, newest first."
    )

    @OptionGroup var options: ConfigOption
    @Option(name: .long, help: "How many runs to show.") var limit = 20
    @Option(name: .long, help: "text or json.") var format: HistoryFormat = .text

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
    }

    func run() async throws {
        let store = try openState(configPath: options.config)
        do {
            let report = try HistoryReport(store: store, limit: limit)
            Output.write(format == .json ? report.json().serialized() + "\n" : report.text())
        } catch {
            throw CommandFailure.badInput("\(error)")
        }
    }
}

enum HistoryFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

func openState(configPath: String) throws -> StateStore {
    try openStateAndConfiguration(configPath: configPath).0
}

func openStateAndConfiguration(configPath: String) throws -> (StateStore, Configuration) {
    let configuration: Configuration
    do {
        // The configuration only: the state needs no env file (a pull-request deployment has no checkout).
        configuration = try Workspace.loadConfiguration(configPath: configPath)
    } catch {
        throw CommandFailure.badInput(error.description)
    }
    let path = StateStore.defaultPath(
        configured: configuration.statePath, environment: ProcessInfo.processInfo.environment)
    guard FileManager.default.fileExists(atPath: path) else {
        throw CommandFailure.badInput("no state yet at \(path); run `smsync sync` first")
    }
    do {
        return (try StateStore(path: path), configuration)
    } catch {
        throw CommandFailure(SyncExitCode.stateFailure(error), "\(error)")
    }
}

extension ExitStatus {
    /// `status --max-age`: a source is stale.
    static let stale: Int32 = 1
}
