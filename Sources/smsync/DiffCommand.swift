import ArgumentParser
import Foundation
import SMSync
import SMSyncRuntime

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
    case markdown
}

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "The configuration file.")
    var config = "smsync.yml"
}

/// `--offline`, shared by `diff` and `apply`.
struct SourceOptions: ParsableArguments {
    @Flag(
        name: .long,
        help: "Make no request: use the releases the last `smsync sync` read (needs its state database).")
    var offline = false
}

/// What `diff` and `apply` share: the first steps of the pipeline (read sources, drift), reading every source kind
/// over HTTP through the same client and cache as `sync`, and never moving what `sync` treats as processed.
struct DriftRun {
    var pipeline: Pipeline
    var read: SourcesRead
    var report: DriftReport
    /// Updates whose availability check failed (they are `unavailable`, not applied).
    var availabilityFailures: [String] = []

    var workspace: Workspace { pipeline.workspace }
    var failures: [SourceFailure] { read.failures }

    static func make(configPath: String, offline: Bool) async throws -> DriftRun {
        let configuration: Configuration
        do {
            configuration = try Workspace.loadConfiguration(configPath: configPath)
        } catch {
            throw CommandFailure.badInput(error.description)
        }
        // The env files are read and parsed on other threads while the sources are read; a bad env file is still
        // reported before anything else fails.
        let loading = Task.detached { () -> Result<[LocalKernel], ConfigError> in
            Result { () throws(ConfigError) in try Workspace.loadKernels(configuration) }
        }
        func kernels() async throws -> [LocalKernel] {
            switch await loading.value {
            case .success(let kernels): return kernels
            case .failure(let error): throw CommandFailure.badInput(error.description)
            }
        }
        let environment = ProcessInfo.processInfo.environment
        // The state database is the HTTP cache too: created when missing for a configuration with HTTP sources,
        // unless offline (then it must exist).
        // A cache that cannot be opened (read-only, newer schema) costs requests, not the report.
        var store: StateStore?
        do {
            let remote = configuration.sources.contains { configuration.localPath(of: $0) == nil || $0.repo != nil }
            store = try Pipeline.openState(configuration, environment: environment, create: remote && !offline)
        } catch {
            _ = try await kernels()
            if offline { throw CommandFailure.badInput("cannot open the state database: \(error)") }
            Output.error("warning: reading every source without the cache: \(error)")
        }
        if offline, store == nil {
            _ = try await kernels()
            let path = StateStore.defaultPath(configured: configuration.statePath, environment: environment)
            throw CommandFailure.badInput(
                "--offline uses the releases the last `smsync sync` stored, and there is no state database at "
                    + "\(path); run `smsync sync` first, or drop --offline")
        }
        var pipeline = Pipeline(
            workspace: Workspace(configuration: configuration, kernels: []), store: store,
            version: SMSyncVersion.current, environment: environment)
        let read = await pipeline.readSources(offline ? .offline : .look)
        pipeline.workspace.kernels = try await kernels()
        let checked = await pipeline.checkAvailability(pipeline.drift(read.releases), offline: offline)
        return DriftRun(
            pipeline: pipeline, read: read, report: checked.report, availabilityFailures: checked.failures)
    }

    func reportFailures() throws {
        guard !failures.isEmpty || !availabilityFailures.isEmpty else { return }
        for failure in failures { Output.error("error: source \(failure.description)") }
        for failure in availabilityFailures { Output.error("error: availability \(failure)") }
        if failures.isEmpty {
            throw CommandFailure(
                ExitStatus.upstreamFailed,
                "the availability of \(availabilityFailures.count) update(s) could not be checked")
        }
        throw CommandFailure(ExitStatus.upstreamFailed, "\(failures.count) source(s) could not be read")
    }

    /// Where each source's data came from, one line per source (failed sources say so).
    func sourceLines(now: Date = Date()) -> [(source: String, origin: String, text: String)] {
        var lines = read.sources.map { ($0.config.name, $0.origin.name, $0.origin.describe(now: now)) }
        for failure in failures { lines.append((failure.source, "failed", "failed (see stderr)")) }
        let order = workspace.configuration.sources.map(\.name)
        return lines.sorted { (order.firstIndex(of: $0.0) ?? 0) < (order.firstIndex(of: $1.0) ?? 0) }
    }

    /// The report header for a terminal: `sources:` and a line per source.
    func header() -> String {
        let lines = sourceLines()
        let width = lines.map(\.source.count).max() ?? 0
        return "sources:\n"
            + lines.map { "  " + $0.source + String(repeating: " ", count: width - $0.source.count) + "  " + $0.text }
            .joined(separator: "\n") + "\n\n"
    }

    /// The header for a pull request or a chat message.
    func markdownHeader() -> String {
        sourceLines().map { "- `\($0.source)`: \($0.text)" }.joined(separator: "\n") + "\n\n"
    }

    /// The JSON report's `source_origins` member: where each source's data came from.
    func writeSourceOrigins(to json: inout JSONWriter) {
        json.key("source_origins")
        json.beginArray()
        for line in sourceLines() {
            json.element()
            json.beginObject()
            json.field("source", line.source)
            json.field("origin", line.origin)
            json.field("detail", line.text)
            json.endObject()
        }
        json.endArray()
    }
}

struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Report how the local kernels differ from what the upstream sources say AWS ships.",
        discussion: """
            For every local kernel: each dependency an upstream source names, with its current spec, the upstream \
            version, the kind of change (major, minor, patch, downgrade, same, other), the source, and what \
            `apply` would do (update, held by the policy, blocked by a range, ignored). Also kernels renamed \
            upstream, upstream kernels and packages missing locally, kernels no source speaks for, and \
            sagemaker pins below what the example notebooks require.

            Formats: table (for terminals; colour only on a terminal and never with NO_COLOR), json (for \
            machines), markdown (for pull requests).

            Sources are read as `sync` reads them: local files, or over HTTP with the same client (deadlines, \
            retries, size caps, proxies, GitHub token). With a state database, requests are conditional and a 304 \
            uses the cached content, so a diff right after a sync costs one 304 per file; a diff never changes what \
            the next sync sees as new. --offline makes no request and uses the releases the last sync read (an \
            error without a state database). The report starts with where each source's data came from.

            EXIT CODES
              0  success (with or without drift)
              1  with --exit-code: updates are pending (`unavailable` ones are not pending)
              2  bad configuration or command line
              3  an upstream source could not be read, or the availability of an update could not be checked \
            (the report still covers the others)

            Example: smsync diff --config Fixtures/demo/smsync.yml --format markdown
            """
    )

    @OptionGroup var options: ConfigOption
    @OptionGroup var sources: SourceOptions
    @Option(name: .long, help: "table, json or markdown.") var format: ReportFormat = .table
    @Flag(name: .long, help: "Exit 1 when any update is pending (like git diff --exit-code).") var exitCode = false

    func run() async throws {
        let run = try await DriftRun.make(configPath: options.config, offline: sources.offline)
        switch format {
        case .table:
            let environment = ProcessInfo.processInfo.environment
            let color = isatty(1) == 1 && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
            Output.stream { output in
                output.append(run.header())
                run.report.writeTable(color: color, to: &output)
            }
        case .json:
            Output.stream { output in
                run.report.writeJSON(to: &output) { json in run.writeSourceOrigins(to: &json) }
            }
        case .markdown:
            Output.stream { output in
                output.append(run.markdownHeader())
                run.report.writeMarkdown(to: &output)
            }
        }
        ProcessLifetime.keep(run.report)
        ProcessLifetime.keep(run.workspace.kernels)
        try run.reportFailures()
        if exitCode, run.report.summary.updates > 0 {
            throw CommandFailure(ExitStatus.pendingUpdates, "\(run.report.summary.updates) updates pending")
        }
    }
}

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make every update `diff` reports, changing only version text in the env files.",
        discussion: """
            All files are written or none: each new file goes to a temporary file, is fsynced, and only when every \
            one is written are they renamed into place; a failure puts back what was renamed.

            Sources are read as `diff` reads them (over HTTP too; --offline for the releases the last sync read); \
            only local files are edited (or a local commit with --git-commit).

            --dry-run prints the unified diff it would make and writes nothing.
            --pr-dir DIR writes branch.txt, commit-message.txt, pr-body.md and plan.json for a pull request.
            --git-commit makes the edits one commit on the branch (from HEAD, in a temporary worktree, with the \
            real git) instead of editing the working tree; your checkout, working tree and index stay as they \
            are. Rerunning with the same upstream leaves the branch as it is.

            EXIT CODES
              0  success, including "nothing to do"
              2  bad configuration or command line
              3  an upstream source could not be read, or the availability of an update could not be checked \
            (nothing is written)
              4  a `smsync sync` run holds the lock on the state (in-place edits wait for it to end)
              5  the git commit failed
              6  an env file could not be written (no file was changed)

            Example: smsync apply --config smsync.yml --pr-dir out/ --git-commit
            """
    )

    @OptionGroup var options: ConfigOption
    @OptionGroup var sources: SourceOptions
    @Flag(name: .long, help: "Print the unified diff instead of writing.") var dryRun = false
    @Option(name: .long, help: "Write branch.txt, commit-message.txt, pr-body.md and plan.json here.")
    var prDir: String?
    @Flag(name: .long, help: "Commit the edits on the pull-request branch instead of editing files in place.")
    var gitCommit = false

    func run() async throws {
        // Editing in place: under the run lock, first finish or undo an in-place write a killed run left.
        let inPlace = !dryRun && !gitCommit
        let writeLock = inPlace ? try InPlaceWriteLock.take(configPath: options.config) : nil
        defer { writeLock?.lock?.release() }
        let run = try await DriftRun.make(configPath: options.config, offline: sources.offline)
        if !run.failures.isEmpty || !run.availabilityFailures.isEmpty {
            try run.reportFailures()
        }
        let plan: ApplyPlan
        do {
            plan = try run.pipeline.plan(run.report)
        } catch {
            throw CommandFailure.badInput(error.description)
        }
        guard !plan.files.isEmpty else {
            print("nothing to do")
            return
        }
        ProcessLifetime.keep(run.report)
        ProcessLifetime.keep(run.workspace.kernels)
        ProcessLifetime.keep(plan)
        if dryRun {
            Output.stream { output in
                for file in plan.files {
                    UnifiedDiff.write(
                        old: file.original, new: file.edited, oldLabel: "a/\(file.path)", newLabel: "b/\(file.path)",
                        to: &output)
                }
            }
            return
        }
        if let prDir { try writeBundle(plan, to: prDir) }
        if gitCommit {
            do {
                switch try await GitBranchWriter().commit(plan) {
                case .committed(let branch, let commit): print("committed \(commit) on \(branch)")
                case .unchanged(let branch, let commit): print("\(branch) already at \(commit); unchanged")
                case .nothingToCommit: print("nothing to commit: HEAD already has these versions")
                }
            } catch {
                throw CommandFailure(ExitStatus.triggerFailed, error.description)
            }
            return
        }
        let changes = plan.files.map {
            TransactionalWriter.Change(path: $0.path, original: $0.originalBytes, updated: $0.editedBytes)
        }
        do {
            try TransactionalWriter.write(changes, journal: writeLock?.journal)
        } catch {
            throw CommandFailure(ExitStatus.localStorage, "\(error.description); no file was changed")
        }
        for file in plan.files {
            for edit in file.edits {
                print("\(file.path):\(edit.line): \(edit.package) \(edit.oldText) → \(edit.newText)")
            }
        }
    }

    private func writeBundle(_ plan: ApplyPlan, to directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let files: [(String, String)] = [
                ("branch.txt", plan.branch + "\n"),
                ("commit-message.txt", plan.commitMessage),
                ("pr-body.md", plan.pullRequestBody),
                ("plan.json", plan.jsonText),
            ]
            for (name, text) in files {
                try AtomicFile.write(Array(text.utf8), to: "\(directory)/\(name)")
            }
        } catch {
            throw CommandFailure.badInput("cannot write the pull-request files in \(directory): \(error)")
        }
    }
}

/// `apply` editing in place takes the run lock of the state, so that it never writes while `sync` does, and
/// finishes (or undoes) an in-place write that a killed `sync` or `apply` left, journaled beside the state.
/// When the state folder cannot be written, the edit goes ahead without the lock and the journal (a warning says
/// so): it is still all or none unless the process is killed during the renames.
struct InPlaceWriteLock {
    var lock: RunLock?
    var journal: String?

    static func take(configPath: String) throws -> InPlaceWriteLock {
        let configuration: Configuration
        do {
            configuration = try Workspace.loadConfiguration(configPath: configPath)
        } catch {
            throw CommandFailure.badInput(error.description)
        }
        let statePath = StateStore.defaultPath(
            configured: configuration.statePath, environment: ProcessInfo.processInfo.environment)
        let lock: RunLock
        do {
            lock = try RunLock.acquire(
                statePath: statePath, now: Date(), pid: ProcessInfo.processInfo.processIdentifier,
                host: ProcessInfo.processInfo.hostName)
        } catch {
            if case .held = error { throw CommandFailure(ExitStatus.locked, "\(error)") }
            Output.error("warning: editing without the run lock and the write journal: \(error)")
            return InPlaceWriteLock(lock: nil, journal: nil)
        }
        let journal = SyncRunner.journalPath(statePath: statePath)
        do {
            if let recovery = try TransactionalWriter.recover(journal: journal) {
                Output.error("note: finished an in-place write a stopped run left: \(recovery)")
            }
        } catch {
            lock.release()
            throw CommandFailure(
                ExitStatus.localStorage, "cannot finish the in-place write a stopped run left: \(error)")
        }
        TransactionalWriter.removeStaleTemporaries(
            in: SyncRunner.writeFolders(configuration) + [(statePath as NSString).deletingLastPathComponent])
        return InPlaceWriteLock(lock: lock, journal: journal)
    }
}
