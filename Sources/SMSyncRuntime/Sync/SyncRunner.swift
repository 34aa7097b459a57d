import Foundation
import Logging
import SMSync

/// The command line of one `smsync sync`.
public struct SyncOptions: Sendable {
    public var configPath: String
    public var dryRun: Bool
    public var noApply: Bool
    public var noTrigger: Bool
    public var noPR: Bool
    public var metricsFile: String?
    public var version: String

    public init(
        configPath: String, dryRun: Bool = false, noApply: Bool = false, noTrigger: Bool = false, noPR: Bool = false,
        metricsFile: String? = nil, version: String
    ) {
        self.configPath = configPath
        self.dryRun = dryRun
        self.noApply = noApply
        self.noTrigger = noTrigger
        self.noPR = noPR
        self.metricsFile = metricsFile
        self.version = version
    }
}

/// How a run ended: the exit code a scheduler sees, a message for stderr and a summary for stdout.
public struct SyncOutcome: Sendable {
    public var exitCode: Int32
    public var message: String
    public var summary: String
}

/// One scheduled run: lock → poll → diff → apply (in place, or a branch and a pull request) → trigger → record.
public struct SyncRunner: Sendable {
    public var logger: Logger
    public var environment: [String: String]
    public var now: @Sendable () -> Date

    public init(
        logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.logger = logger
        self.environment = environment
        self.now = now
    }

    /// How long a stopped run may take to wind down (cancelled requests and commands, the current file write)
    /// before it is recorded and ended without it.
    public static let stopGraceSeconds = 5.0

    /// The test hook that kills the process right after a named step of a run (see ``Run/checkpoint(_:)``).
    public static let abortAfterStepVariable = "SMSYNC_TEST_ABORT_AFTER_STEP"

    /// The journal of in-place writes, beside the state database.
    public static func journalPath(statePath: String) -> String {
        statePath + ".journal"
    }

    /// Runs one `sync`. The run stops early when `interruption` is asked to (a signal) or when
    /// `sync.deadline_seconds` passes: its requests and commands are cancelled, a file write under way is finished
    /// or rolled back, its triggers stay pending, the run is recorded as interrupted or timed out, and the lock is
    /// released.
    public func run(_ options: SyncOptions, interruption: RunInterruption = RunInterruption()) async -> SyncOutcome {
        let started = now()
        let configuration: Configuration
        do {
            configuration = try Workspace.loadConfiguration(configPath: options.configPath)
        } catch {
            return SyncOutcome(exitCode: 2, message: error.description, summary: "")
        }
        if let bad = Secrets(environment: environment).problem(Run.secretNames(configuration)) {
            return SyncOutcome(exitCode: 2, message: bad, summary: "")
        }
        let statePath = StateStore.defaultPath(configured: configuration.statePath, environment: environment)
        let lock: RunLock
        do {
            lock = try RunLock.acquire(
                statePath: statePath, now: now(), pid: ProcessInfo.processInfo.processIdentifier,
                host: ProcessInfo.processInfo.hostName)
        } catch {
            return SyncOutcome(exitCode: SyncExitCode.lockFailure(error), message: "\(error)", summary: "")
        }
        defer { lock.release() }
        // Before anything else: an in-place write that a killed run left half done ends all new or all old.
        if !options.dryRun && !options.noApply {
            if let failure = recoverWrites(statePath: statePath, configuration: configuration) { return failure }
        }
        let workspace: Workspace
        do {
            workspace = try Workspace.load(configuration: configuration, pullRequestMode: !options.noPR)
        } catch {
            return SyncOutcome(exitCode: 2, message: error.description, summary: "")
        }
        let store: StateStore
        let secrets = Secrets(environment: environment)
        let secretValues = Pipeline.secretValues(configuration, environment: environment)
        do {
            store = try StateStore(path: statePath, secrets: secretValues)
            _ = try store.closeUnfinishedRuns(endedAt: now())
        } catch {
            return SyncOutcome(
                exitCode: SyncExitCode.stateFailure(error), message: "cannot open the state database: \(error)",
                summary: "")
        }
        let deadline = configuration.syncDeadlineSeconds
        let remaining = deadline - now().timeIntervalSince(started)
        return await bounded(
            deadline: deadline, remaining: remaining, interruption: interruption, store: store
        ) { progress in
            var run = Run(
                runner: self, options: options, workspace: workspace, store: store, secrets: secrets,
                interruption: interruption, progress: progress)
            return await run.execute()
        }
    }

    /// Finishes or undoes the in-place write a killed run left (its journal), then removes the temporary files
    /// no journal owns beside the env files, the pin file and the state. An outcome only when that failed.
    func recoverWrites(statePath: String, configuration: Configuration) -> SyncOutcome? {
        let journal = Self.journalPath(statePath: statePath)
        do {
            switch try TransactionalWriter.recover(journal: journal) {
            case .rolledForward(let paths):
                logger.warning(
                    "finished the in-place write a stopped run left", metadata: ["smsync.files": "\(paths)"])
            case .rolledBack(let paths):
                logger.warning(
                    "undid the in-place write a stopped run left (a temporary file was missing)",
                    metadata: ["smsync.files": "\(paths)"])
            case nil:
                break
            }
        } catch {
            return SyncOutcome(
                exitCode: SyncExitCode.localStorage,
                message: "cannot finish the in-place write a stopped run left: \(error)", summary: "")
        }
        let removed = TransactionalWriter.removeStaleTemporaries(
            in: Self.writeFolders(configuration) + [(statePath as NSString).deletingLastPathComponent])
        if !removed.isEmpty {
            logger.info("removed temporary files a stopped run left", metadata: ["smsync.files": "\(removed)"])
        }
        return nil
    }

    /// The folders in-place writes put temporary files in: the env folder, those of explicitly mapped env files
    /// and of the examples pin file.
    public static func writeFolders(_ configuration: Configuration) -> [String] {
        var folders: [String] = []
        if let directory = configuration.envsDirectory { folders.append(directory) }
        for (_, file) in configuration.explicitKernels {
            folders.append((file as NSString).deletingLastPathComponent)
        }
        for source in configuration.sources {
            if let pin = source.pinFile {
                let path = Configuration.resolve(pin, against: configuration.baseDirectory)
                folders.append((path as NSString).deletingLastPathComponent)
            }
        }
        return folders.filter { !$0.isEmpty }
    }

    /// Runs `body` until it ends, or until it is stopped (`interruption`, or the `deadline` of the run, of which
    /// `remaining` seconds are left). A stopped body is cancelled (its HTTP requests and child processes with it)
    /// and given ``stopGraceSeconds`` to record its own end; past that (a command that ignores cancellation, a
    /// parse that cannot be interrupted) the run is recorded here, once no file write is under way, and its
    /// outcome returned.
    func bounded(
        deadline: Double, remaining: Double, interruption: RunInterruption, store: StateStore,
        body: @escaping @Sendable (RunProgress) async -> SyncOutcome
    ) async -> SyncOutcome {
        let progress = RunProgress()
        let slot = OutcomeSlot()
        let work = Task {
            slot.deliver(await body(progress))
        }
        let timer = Task {
            try await Task.sleep(for: .seconds(max(0, remaining)))
            interruption.stop(.deadline(seconds: deadline))
        }
        let stopper = Task {
            guard let reason = await interruption.nextStop() else { return }
            work.cancel()
            try await Task.sleep(for: .seconds(Self.stopGraceSeconds))
            await progress.writesFinished()
            slot.deliver(forcedStop(reason, progress: progress, store: store))
        }
        let outcome = await slot.value()
        timer.cancel()
        stopper.cancel()
        return outcome
    }

    /// The outcome of a run that did not wind down within the grace period: recorded as stopped, its triggers left
    /// pending.
    func forcedStop(_ reason: StopReason, progress: RunProgress, store: StateStore) -> SyncOutcome {
        let exitCode = reason.exitCode(readingSources: progress.readingSources)
        let message =
            "\(reason.cause); the run did not wind down within \(StopReason.seconds(Self.stopGraceSeconds)) s and was "
            + "ended; its triggers stay pending"
        if let runID = progress.runID {
            try? store.finishRun(runID, endedAt: now(), outcome: reason.outcome, counts: RunCounts(), message: message)
        }
        logger.error("run stopped", metadata: ["smsync.exit_code": "\(exitCode)"])
        let id = progress.runID.map { "run \($0) " } ?? ""
        return SyncOutcome(
            exitCode: exitCode, message: store.redactor.redact(message),
            summary: "\(id)stopped with exit code \(exitCode)\n")
    }
}

/// The mutable part of one run.
struct Run {
    let runner: SyncRunner
    let options: SyncOptions
    let workspace: Workspace
    let store: StateStore
    let secrets: Secrets
    /// Asked to stop by a signal or the deadline.
    let interruption: RunInterruption
    /// What a forced stop must know of this run.
    let progress: RunProgress
    var logger: Logger { runner.logger }
    var runID: Int64 = 0
    let startedAt = Date()
    var counts = RunCounts()
    var lines: [String] = []
    /// Whether any source had new content in this run.
    var anyChanged = false
    /// Pull-request mode: updates the local checkout wants whose dependency is gone from the base branch.
    var baseBranchNotes: [String] = []
    /// Pull-request mode: the branch already held exactly this run's edits and its pull request is open.
    var changesAlreadyPublished = false

    /// The steps shared with `diff` and `apply`; its one HTTP client serves the whole run.
    let pipeline: Pipeline
    var http: HTTPClient { pipeline.http }

    /// Triggers fired (or attempted) so far in this run, for the `trigger-N` checkpoints.
    var triggerAttempts = 0

    init(
        runner: SyncRunner, options: SyncOptions, workspace: Workspace, store: StateStore, secrets: Secrets,
        interruption: RunInterruption = RunInterruption(), progress: RunProgress = RunProgress()
    ) {
        self.interruption = interruption
        self.progress = progress
        self.pipeline = Pipeline(
            workspace: workspace, store: store, version: options.version, environment: runner.environment,
            logger: runner.logger, now: runner.now)
        self.runner = runner
        self.options = options
        self.workspace = workspace
        self.store = store
        self.secrets = secrets
    }

    var configuration: Configuration { workspace.configuration }

    static func secretNames(_ configuration: Configuration) -> [String] {
        Pipeline.secretNames(configuration)
    }

    var secretNames: [String] { Self.secretNames(configuration) }

    /// The store's redactor knows this run's secret values (read once, when the store was opened).
    func redact(_ text: String) -> String {
        store.redactor.redact(text)
    }

    /// The test hook: when `SMSYNC_TEST_ABORT_AFTER_STEP` names this step, the process kills itself with
    /// SIGKILL right here, as a crash or `kill -9` would, so that tests can prove a run killed after any step
    /// leaves nothing torn and loses no trigger. The steps, in order: `begin-run`, `poll`, `drift`,
    /// `pending-triggers`, `write-temporaries`, `write-journal`, `rename-1` … `rename-N`, `write-done` (in place),
    /// `publish` (pull request), `trigger-1` … `trigger-N` (after each trigger fired and was recorded), `finish`
    /// (before the end is recorded). Unset in production; nothing else reads it.
    func checkpoint(_ step: String) {
        guard let wanted = runner.environment[SyncRunner.abortAfterStepVariable], wanted == step else { return }
        logger.warning("test hook: killing the run", metadata: ["smsync.step": "\(step)"])
        _ = raise(SIGKILL)
    }

    /// Ends a run that was asked to stop: triggers recorded as pending stay pending for the next run.
    mutating func stopped(_ reason: StopReason, while step: String) -> SyncOutcome {
        let exitCode = reason.exitCode(readingSources: progress.readingSources)
        logger.warning("run stopped", metadata: ["smsync.step": "\(step)", "smsync.exit_code": "\(exitCode)"])
        let waiting = (try? store.pendingTriggers().count) ?? 0
        let message =
            "\(reason.cause) while \(step)"
            + (waiting > 0 ? "; \(waiting) trigger(s) stay pending for the next run" : "")
        lines.append(message)
        return finish(exitCode: exitCode, outcome: reason.outcome, message: message, updatesPending: counts.updates)
    }

    mutating func execute() async -> SyncOutcome {
        do {
            runID = try store.beginRun(
                startedAt: runner.now(), pid: ProcessInfo.processInfo.processIdentifier,
                host: ProcessInfo.processInfo.hostName, dryRun: options.dryRun)
        } catch {
            return SyncOutcome(
                exitCode: SyncExitCode.localStorage, message: "cannot record the run: \(error)", summary: "")
        }
        progress.began(runID: runID)
        checkpoint("begin-run")
        if let reason = interruption.reason { return stopped(reason, while: "starting") }
        // Step 1: read sources (recorded as processed: this is sync).
        let (releases, failures) = await poll()
        if let reason = interruption.reason { return stopped(reason, while: "reading sources") }
        progress.sourcesRead()
        checkpoint("poll")
        if !failures.isEmpty {
            return finish(
                exitCode: 3, outcome: .upstreamFailed,
                message: "\(failures.count) source(s) could not be read; nothing was written", updatesPending: 0)
        }
        // Step 2: drift. Pull-request mode works on the base branch's files (Run+BaseBranch.swift).
        var base: BaseBranchFiles?
        let baseRead = await readBaseBranch(engine: DriftEngine(configuration: configuration), releases: releases)
        if let reason = interruption.reason { return stopped(reason, while: "reading the base branch") }
        switch baseRead {
        case .local: break
        case .base(let files): base = files
        case .failed(let exitCode, let message):
            return finish(exitCode: exitCode, outcome: .failed, message: message, updatesPending: 0)
        }
        let kernels = base?.kernels ?? workspace.kernels
        let checked = await pipeline.checkAvailability(pipeline.drift(releases, local: kernels), local: kernels)
        let report = checked.report
        try? store.recordDrift(runID: runID, rows: DriftRow.rows(of: report.kernels))
        if !checked.failures.isEmpty {
            for failure in checked.failures { lines.append("availability \(redact(failure))") }
            return finish(
                exitCode: 3, outcome: .upstreamFailed,
                message:
                    "the availability of \(checked.failures.count) update(s) could not be checked; nothing was written",
                updatesPending: report.summary.updates)
        }
        counts.updates = report.summary.updates
        counts.held = report.summary.held
        counts.blocked = report.summary.blocked
        checkpoint("drift")
        // Step 3: plan. Then record the triggers, write or publish, trigger, and record (finish).
        let plan: ApplyPlan
        do {
            plan = try pipeline.plan(report, local: kernels)
        } catch {
            return finish(exitCode: 2, outcome: .failed, message: error.description, updatesPending: counts.updates)
        }
        let pin = base.map { examplesPinChange(releases, base: $0) } ?? examplesPinChange(releases)
        lines.append(
            "drift: \(report.summary.updates) updates, \(report.summary.held) held, \(report.summary.blocked) blocked"
                + (report.availabilityChecked ? ", \(report.summary.unavailable) unavailable" : ""))
        for kernel in report.kernels {
            for change in kernel.changes where change.action == .unavailable {
                let since = change.availability?.since.map { " since \($0)" } ?? ""
                lines.append(
                    "unavailable\(since): \(kernel.kernel) \(change.package) \(change.upstream) (\(change.reason ?? ""))"
                )
            }
        }
        if plan.files.isEmpty && pin == nil {
            lines.append("nothing to do")
        }
        if options.dryRun || options.noApply {
            for file in plan.files {
                for edit in file.edits {
                    lines.append(
                        "would update \(file.path):\(edit.line) \(edit.package) \(edit.oldText) → \(edit.newText)")
                }
            }
            if let pin { lines.append("would move the examples pin to \(pin.commit)") }
            return finish(exitCode: 0, outcome: .success, message: "", updatesPending: counts.updates)
        }
        if let reason = interruption.reason { return stopped(reason, while: "planning") }
        // Every trigger this run causes is pending before anything is written, published or fired: a run killed
        // at any later point leaves them pending, and the next run fires them.
        if !options.noTrigger {
            do {
                try recordPending(plannedTriggers(plan, pin: pin, pullRequestURL: nil))
            } catch {
                return finish(
                    exitCode: SyncExitCode.localStorage, outcome: .failed,
                    message: "cannot record the pending triggers: \(error)", updatesPending: counts.updates)
            }
            checkpoint("pending-triggers")
        }
        var failedStep = false
        var pullRequestURL: String?
        if !plan.files.isEmpty || pin != nil {
            if let github = configuration.pullRequest.github, !options.noPR {
                let branch = plan.files.isEmpty ? configuration.pullRequest.branchPrefix + "examples" : plan.branch
                if !anyChanged, let recorded = try? store.pullRequest(branch: branch, repo: github.repo) {
                    // Nothing new upstream since the pull request was last published: leave it alone.
                    pullRequestURL = recorded.url
                    lines.append("pull request unchanged: \(recorded.url)")
                } else {
                    do {
                        pullRequestURL = try await publish(plan, pin: pin, github: github, baseCommit: base?.commit)
                    } catch {
                        if let reason = interruption.reason { return stopped(reason, while: "publishing") }
                        failedStep = true
                        logger.error("pull request step failed", metadata: ["smsync.error": "\(redact("\(error)"))"])
                        lines.append("pull request failed: \(redact("\(error)"))")
                    }
                }
                if let pullRequestURL, !options.noTrigger {
                    // The pending events now carry the pull request's address.
                    try? recordPending(plannedTriggers(plan, pin: pin, pullRequestURL: pullRequestURL))
                }
                checkpoint("publish")
            } else {
                guard progress.beginWrite(unless: { interruption.reason != nil }) else {
                    return stopped(interruption.reason ?? .signal(SIGTERM), while: "about to write the env files")
                }
                defer { progress.endWrite() }
                do {
                    try writeInPlace(plan, pin: pin)
                } catch {
                    return finish(
                        exitCode: SyncExitCode.localStorage, outcome: .failed,
                        message: "cannot write the env files: \(error)",
                        updatesPending: counts.updates)
                }
            }
        }
        if let reason = interruption.reason { return stopped(reason, while: "about to fire the triggers") }
        if !options.noTrigger, !failedStep {
            if await fireTriggers(plan, pin: pin, pullRequestURL: pullRequestURL) == false { failedStep = true }
        }
        if let reason = interruption.reason { return stopped(reason, while: "firing the triggers") }
        checkpoint("finish")
        if failedStep {
            return finish(
                exitCode: 5, outcome: .triggerFailed, message: "a rebuild trigger or the pull-request step failed",
                updatesPending: counts.updates)
        }
        return finish(
            exitCode: 0, outcome: plan.files.isEmpty ? .success : .changes, message: "", updatesPending: counts.updates)
    }

    // MARK: - Poll

    mutating func poll() async -> ([SourceRelease], [SourceFailure]) {
        let read = await pipeline.readSources(.process(runID: runID))
        for failure in read.failures {
            lines.append("source \(failure.source) failed: \(redact(failure.error.description))")
        }
        anyChanged = read.anyChanged
        counts.sourcesFailed = read.failures.count
        return (read.releases, read.failures)
    }

    // MARK: - Examples pin

    struct PinChange {
        var path: String
        var commit: String
        var original: String
        var updated: String
    }

    func examplesPinChange(_ releases: [SourceRelease]) -> PinChange? {
        for release in releases where release.release.kind == .examples {
            guard let pinFile = release.config.pinFile,
                let commit = release.release.examples?.commit ?? release.release.release
            else { continue }
            let path = Configuration.resolve(pinFile, against: configuration.baseDirectory)
            guard let pinFile = try? PinFile.read(path: path), pinFile.commit != commit,
                let updated = try? pinFile.replacing(commit: commit), updated != pinFile.text
            else { continue }
            let original = pinFile.text
            return PinChange(path: path, commit: commit, original: original, updated: updated)
        }
        return nil
    }

    // MARK: - Apply

    mutating func writeInPlace(_ plan: ApplyPlan, pin: PinChange?) throws {
        var changes = plan.files.map {
            TransactionalWriter.Change(path: $0.path, original: $0.originalBytes, updated: $0.editedBytes)
        }
        if let pin {
            changes.append(
                TransactionalWriter.Change(
                    path: pin.path, original: Array(pin.original.utf8), updated: Array(pin.updated.utf8)))
        }
        try TransactionalWriter.write(
            changes, journal: SyncRunner.journalPath(statePath: store.path), checkpoint: { checkpoint($0) })
        for file in plan.files {
            for edit in file.edits {
                lines.append("updated \(file.path):\(edit.line) \(edit.package) \(edit.oldText) → \(edit.newText)")
            }
        }
        if let pin { lines.append("examples pin → \(pin.commit)") }
    }

    /// Commits the edits on the pull-request branch through the GitHub API and opens or updates the PR.
    mutating func publish(
        _ plan: ApplyPlan, pin: PinChange?, github: PullRequestConfig.GitHubPullRequest, baseCommit: String? = nil
    ) async throws
        -> String
    {
        guard let token = secrets.value(github.tokenEnv) else {
            throw PublishError(message: "no GitHub token in \(github.tokenEnv) (or \(github.tokenEnv)_FILE)")
        }
        let root = await repositoryRoot()
        var files: [GitHubClient.BranchFile] = []
        for file in plan.files {
            files.append(GitHubClient.BranchFile(path: relative(file.path, to: root), content: file.editedBytes))
        }
        if let pin {
            files.append(GitHubClient.BranchFile(path: relative(pin.path, to: root), content: Array(pin.updated.utf8)))
        }
        var environment = runner.environment
        environment[github.tokenEnv] = token
        let client = try GitHubClient(
            http: http, environment: environment, tokenEnv: github.tokenEnv,
            userAgent: "smsync/\(options.version)")
        let branch = plan.files.isEmpty ? configuration.pullRequest.branchPrefix + "examples" : plan.branch
        var message = plan.files.isEmpty ? "chore(examples): move the examples pin\n" : plan.commitMessage
        if let pin { message += "examples: \(pin.commit)\n" }
        let published = try await client.publishBranch(
            repo: github.repo, base: github.base, branch: branch, files: files, message: message, baseCommit: baseCommit
        )
        let title = message.split(separator: "\n").first.map(String.init) ?? "smsync update"
        var body = plan.pullRequestBody
        if let pin { body += "\nExamples repository pinned to `\(pin.commit)`.\n" }
        body += BaseBranchFiles.missingSection(baseBranchNotes)
        let pullRequest = try await client.openOrUpdatePullRequest(
            repo: github.repo, base: github.base, branch: branch, title: title, body: body)
        try? store.recordPullRequest(
            branch: branch, repo: github.repo, number: pullRequest.number, url: pullRequest.url,
            kernels: plan.files.map(\.kernel), headCommit: published.commit, at: runner.now())
        changesAlreadyPublished = published.outcome == .unchanged && !pullRequest.created
        lines.append("pull request \(pullRequest.created ? "opened" : "updated"): \(pullRequest.url)")
        return pullRequest.url
    }

    func repositoryRoot() async -> String {
        let start =
            workspace.kernels.first.map { URL(fileURLWithPath: $0.path).deletingLastPathComponent().path }
            ?? configuration.baseDirectory
        if let output = try? await ProcessRunner.check(["git", "rev-parse", "--show-toplevel"], in: start) {
            let root = output.trimmingCharacters(in: .whitespacesAndNewlines)
            if !root.isEmpty { return root }
        }
        return URL(fileURLWithPath: configuration.baseDirectory).standardizedFileURL.path
    }

    func relative(_ path: String, to root: String) -> String {
        guard path.hasPrefix("/") else { return path }  // already a repository path (read from the base branch)
        let full = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let base = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
        return full.hasPrefix(base + "/") ? String(full.dropFirst(base.count + 1)) : path
    }

    // MARK: - Triggers

    /// One trigger of this run: a rebuild target for one changed kernel (or the examples pin) and its change.
    struct PlannedFire {
        var target: RebuildTarget
        var kernel: String
        var digest: String
        var event: RebuildEvent
    }

    /// The triggers this run's plan causes: each rebuild target once per changed kernel and change.
    func plannedTriggers(_ plan: ApplyPlan, pin: PinChange?, pullRequestURL: String?) -> [PlannedFire] {
        guard !configuration.rebuild.isEmpty else { return [] }
        var events: [(kernel: String, digest: String, event: RebuildEvent)] = []
        for file in plan.files {
            let changes = file.edits.map {
                TriggerChange(
                    kernel: file.kernel, package: $0.package, manager: $0.manager.rawValue, from: $0.oldText,
                    to: $0.newText)
            }
            let digest =
                "sha256:"
                + SHA256Digest.hex(
                    Array(
                        changes.map { "\($0.package) \($0.manager) \($0.to ?? "")" }.sorted()
                            .joined(separator: "\n").utf8))
            events.append(
                (
                    file.kernel, digest,
                    RebuildEvent(
                        runID: String(runID), kernels: [file.kernel], changes: changes, changedFiles: [file.path],
                        pullRequestURL: pullRequestURL)
                ))
        }
        if let pin {
            events.append(
                (
                    "examples", "commit:\(pin.commit)",
                    RebuildEvent(
                        runID: String(runID), kernels: ["examples"], changes: [], changedFiles: [pin.path],
                        pullRequestURL: pullRequestURL)
                ))
        }
        var planned: [PlannedFire] = []
        for target in configuration.rebuild {
            for (kernel, digest, event) in events where target.kernels?.contains(kernel) ?? (kernel != "examples") {
                planned.append(PlannedFire(target: target, kernel: kernel, digest: digest, event: event))
            }
        }
        return planned
    }

    /// Records `planned` as pending triggers, in one transaction.
    func recordPending(_ planned: [PlannedFire]) throws(StateError) {
        try store.recordPendingTriggers(
            runID: runID,
            planned.map {
                StateStore.PlannedTrigger(
                    target: $0.target.name, kernel: $0.kernel, manifestDigest: $0.digest,
                    payload: Data($0.event.webhookBody))
            })
    }

    /// Fires each rebuild target once per changed kernel and change; then the triggers still pending from earlier
    /// runs (failed, or left by a run that was stopped or killed). False when any trigger failed. Stops, leaving
    /// the rest pending, when the run is asked to stop.
    mutating func fireTriggers(_ plan: ApplyPlan, pin: PinChange?, pullRequestURL: String?) async -> Bool {
        guard !configuration.rebuild.isEmpty else { return true }
        var triggers = TriggerRunner(
            environment: secrets.resolving(secretNames), http: http,
            githubTokenEnv: configuration.pullRequest.github?.tokenEnv ?? configuration.githubTokenEnv,
            workingDirectory: configuration.baseDirectory, userAgent: "smsync/\(options.version)", logger: logger)
        triggers.secretNames = Set(secretNames)
        var allGood = true
        var attempted: Set<String> = []
        let planned = plannedTriggers(plan, pin: pin, pullRequestURL: pullRequestURL)
        for target in configuration.rebuild {
            for item in planned where item.target.name == target.name {
                if interruption.reason != nil { return allGood }
                let key = "\(target.name)\u{0}\(item.kernel)\u{0}\(item.digest)"
                attempted.insert(key)
                if let record = try? store.trigger(
                    target: target.name, kernel: item.kernel, manifestDigest: item.digest),
                    record.isSettled
                {
                    continue
                }
                if adoptAppliedTrigger(target, kernel: item.kernel, digest: item.digest, event: item.event) { continue }
                if await fire(target, event: item.event, kernel: item.kernel, digest: item.digest, triggers: triggers)
                    == false
                {
                    allGood = false
                }
            }
            // Earlier triggers whose change is no longer in this run's plan (applied in place last time).
            for pending in (try? store.pendingTriggers(maxAttempts: 5)) ?? [] where pending.target == target.name {
                if interruption.reason != nil { return allGood }
                let key = "\(target.name)\u{0}\(pending.kernel)\u{0}\(pending.manifestDigest)"
                guard !attempted.contains(key), let payload = pending.payload,
                    let event = RebuildEvent.decoded(from: payload)
                else { continue }
                attempted.insert(key)
                if await fire(
                    target, event: event, kernel: pending.kernel, digest: pending.manifestDigest, triggers: triggers)
                    == false
                {
                    allGood = false
                }
            }
        }
        return allGood
    }

    mutating func fire(
        _ target: RebuildTarget, event: RebuildEvent, kernel: String, digest: String, triggers: TriggerRunner
    )
        async -> Bool
    {
        var succeeded = true
        var failure: String?
        do {
            _ = try await triggers.fire(target, event: event)
        } catch {
            succeeded = false
            failure = redact("\(error)")
        }
        if !succeeded, interruption.reason != nil {
            // Cut short by the stop, not failed: it stays pending, with no attempt counted.
            return true
        }
        _ = try? store.recordTriggerAttempt(
            runID: runID, target: target.name, kernel: kernel, manifestDigest: digest, succeeded: succeeded,
            error: failure, at: runner.now(), payload: Data(event.webhookBody))
        triggerAttempts += 1
        checkpoint("trigger-\(triggerAttempts)")
        if succeeded {
            counts.triggersFired += 1
            lines.append("triggered \(target.name) for \(kernel)")
        } else {
            counts.triggersFailed += 1
            lines.append("trigger \(target.name) for \(kernel) failed: \(failure ?? "")")
            logger.error(
                "trigger failed", metadata: ["smsync.target": "\(target.name)", "smsync.kernel": "\(kernel)"])
        }
        return succeeded
    }

    // MARK: - Finish

    /// When each configured source was last read successfully (sources never read are left out).
    func sourceLastSuccess() -> [(source: String, at: Date)] {
        let health = (try? store.sourceHealth()) ?? []
        return configuration.sources.compactMap { source in
            health.first { $0.source == source.name }?.lastSuccess.map { (source.name, $0) }
        }
    }

    mutating func finish(exitCode: Int32, outcome: RunOutcome, message: String, updatesPending: Int) -> SyncOutcome {
        try? store.finishRun(runID, endedAt: runner.now(), outcome: outcome, counts: counts, message: message)
        _ = try? store.pruneRuns(
            startedBefore: runner.now().addingTimeInterval(-86_400 * configuration.stateRetentionDays))
        try? store.checkpoint()
        if let path = options.metricsFile {
            let lastSuccess = (try? store.runs(limit: 50))?.first { $0.outcome == .success || $0.outcome == .changes }?
                .endedAt
            let metrics = RunMetrics(
                finishedAt: runner.now(), exitCode: exitCode, lastSuccessAt: lastSuccess,
                updatesPending: updatesPending,
                sourceFailures: counts.sourcesFailed, triggersFailed: counts.triggersFailed,
                sourceLastSuccess: sourceLastSuccess())
            do {
                try metrics.write(to: path)
            } catch {
                logger.warning("cannot write metrics", metadata: ["smsync.error": "\(error)"])
            }
        }
        logger.info(
            "run finished",
            metadata: [
                "smsync.run": "\(runID)", "smsync.exit_code": "\(exitCode)", "smsync.updates": "\(counts.updates)",
            ])
        let elapsed = (Date().timeIntervalSince(startedAt) * 100).rounded() / 100
        lines.append("run \(runID) finished in \(elapsed) s with exit code \(exitCode)")
        let summary = lines.map { redact($0) }.joined(separator: "\n") + "\n"
        return SyncOutcome(exitCode: exitCode, message: redact(message), summary: summary)
    }
}

struct PublishError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
