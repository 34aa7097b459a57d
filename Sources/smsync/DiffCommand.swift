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

/// What `diff` and `apply` share: read the workspace and the local sources, compare.
struct DriftRun {
    var workspace: Workspace
    var report: DriftReport
    var failures: [SourceFailure]

    static func make(configPath: String) throws -> DriftRun {
        let workspace: Workspace
        do {
            workspace = try Workspace.load(configPath: configPath)
        } catch {
            throw CommandFailure.badInput(error.description)
        }
        let configuration = workspace.configuration
        let limits = UpstreamLimits(maxBytesPerFile: configuration.http.maxBytes)
        let (releases, failures) = LocalSources.read(configuration, limits: limits)
        let engine = DriftEngine(configuration: configuration)
        let report = engine.diff(local: workspace.kernels, releases: releases)
        return DriftRun(workspace: workspace, report: report, failures: failures)
    }

    func reportFailures() throws {
        guard !failures.isEmpty else { return }
        for failure in failures { Output.error("error: source \(failure.description)") }
        throw CommandFailure(ExitStatus.upstreamFailed, "\(failures.count) source(s) could not be read")
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

            EXIT CODES
              0  success (with or without drift)
              1  with --exit-code: updates are pending
              2  bad configuration or command line
              3  an upstream source could not be read (the report still covers the others)

            Example: smsync diff --config Fixtures/demo/smsync.yml --format markdown
            """
    )

    @OptionGroup var options: ConfigOption
    @Option(name: .long, help: "table, json or markdown.") var format: ReportFormat = .table
    @Flag(name: .long, help: "Exit 1 when any update is pending (like git diff --exit-code).") var exitCode = false

    func run() async throws {
        let run = try DriftRun.make(configPath: options.config)
        switch format {
        case .table:
            let environment = ProcessInfo.processInfo.environment
            let color = isatty(1) == 1 && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
            Output.stream { run.report.writeTable(color: color, to: &$0) }
        case .json:
            Output.stream { run.report.writeJSON(to: &$0) }
        case .markdown:
            Output.stream { run.report.writeMarkdown(to: &$0) }
        }
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

            --dry-run prints the unified diff it would make and writes nothing.
            --pr-dir DIR writes branch.txt, commit-message.txt, pr-body.md and plan.json for a pull request.
            --git-commit makes the edits one commit on the branch (from HEAD, in a temporary worktree, with the \
            real git) instead of editing the working tree; your checkout, working tree and index stay as they \
            are. Rerunning with the same upstream leaves the branch as it is.

            EXIT CODES
              0  success, including "nothing to do"
              2  bad configuration or command line, or a file that could not be written
              3  an upstream source could not be read (nothing is written)
              5  the git commit failed

            Example: smsync apply --config smsync.yml --pr-dir out/ --git-commit
            """
    )

    @OptionGroup var options: ConfigOption
    @Flag(name: .long, help: "Print the unified diff instead of writing.") var dryRun = false
    @Option(name: .long, help: "Write branch.txt, commit-message.txt, pr-body.md and plan.json here.")
    var prDir: String?
    @Flag(name: .long, help: "Commit the edits on the pull-request branch instead of editing files in place.")
    var gitCommit = false

    func run() async throws {
        let run = try DriftRun.make(configPath: options.config)
        if !run.failures.isEmpty {
            try run.reportFailures()
        }
        let plan: ApplyPlan
        do {
            plan = try ApplyPlan(
                report: run.report, local: run.workspace.kernels,
                branchPrefix: run.workspace.configuration.pullRequest.branchPrefix)
        } catch {
            throw CommandFailure.badInput(error.description)
        }
        guard !plan.files.isEmpty else {
            print("nothing to do")
            return
        }
        if dryRun {
            for file in plan.files {
                Output.write(
                    UnifiedDiff.make(
                        old: file.original, new: file.edited, oldLabel: "a/\(file.path)", newLabel: "b/\(file.path)"))
            }
            return
        }
        if let prDir { try writeBundle(plan, to: prDir) }
        if gitCommit {
            do {
                switch try GitBranchWriter().commit(plan) {
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
            try TransactionalWriter.write(changes)
        } catch {
            throw CommandFailure.badInput("\(error.description); no file was changed")
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
