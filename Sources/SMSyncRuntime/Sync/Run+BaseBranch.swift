import Foundation
import Logging
import SMSync

/// Pull-request mode reads the env files from the base branch (never from a local checkout) and decides "already
/// applied" from the files and the open pull request, so that neither a stale checkout nor a lost state database
/// changes what a run does.
extension Run {
    /// The pull request's GitHub settings when this run publishes through GitHub.
    var pullRequestGitHub: PullRequestConfig.GitHubPullRequest? {
        options.noPR ? nil : configuration.pullRequest.github
    }

    /// What the run works on: the base branch's files in pull-request mode, else the local ones.
    enum BaseBranchRead {
        /// In place, or nothing new upstream since a pull request was published: the local files.
        case local
        case base(BaseBranchFiles)
        case failed(exitCode: Int32, message: String)
    }

    /// Reads the base branch in pull-request mode, unless nothing changed upstream since a pull request was last
    /// published (then there is nothing to rebuild, and the run costs only its conditional requests). Records, in
    /// ``baseBranchNotes``, the updates the local checkout wants that the base branch no longer has the files for.
    mutating func readBaseBranch(
        engine: DriftEngine, releases: [SourceRelease]
    ) async -> BaseBranchRead {
        guard let github = pullRequestGitHub else { return .local }
        if !anyChanged, (try? store.hasPullRequests(repo: github.repo)) == true { return .local }
        let files: BaseBranchFiles
        do {
            var environment = runner.environment
            if let token = secrets.value(github.tokenEnv) { environment[github.tokenEnv] = token }
            let client = try GitHubClient(
                http: http, environment: environment, tokenEnv: github.tokenEnv,
                userAgent: "smsync/\(options.version)")
            files = try await BaseBranchFiles.read(
                client: client, repo: github.repo, base: github.base, configuration: configuration,
                root: await repositoryRoot(), pinFile: examplesPinPath)
        } catch let error as BaseBranchFiles.ReadError {
            return baseBranchFailure(error.description, badInput: error.isBadInput)
        } catch {
            return baseBranchFailure("\(error)", badInput: false)
        }
        if !workspace.kernels.isEmpty {
            baseBranchNotes = files.missing(wantedBy: engine.diff(local: workspace.kernels, releases: releases))
        }
        logger.info(
            "read the base branch",
            metadata: [
                "smsync.base": "\(github.base)", "smsync.commit": "\(files.commit)",
                "smsync.files": "\(files.kernels.count)",
            ])
        return .base(files)
    }

    private func baseBranchFailure(_ message: String, badInput: Bool) -> BaseBranchRead {
        let text = redact(message)
        logger.error("cannot read the base branch", metadata: ["smsync.error": "\(text)"])
        if options.dryRun || options.noApply {
            // A preview still works from the local files, when there are any.
            logger.warning("previewing from the local files instead")
            return workspace.kernels.isEmpty ? .failed(exitCode: badInput ? 2 : 5, message: text) : .local
        }
        return .failed(exitCode: badInput ? 2 : 5, message: text)
    }

    /// The configured examples pin file (resolved), if any.
    var examplesPinPath: String? {
        for source in configuration.sources where source.upstreamKind == .examples {
            if let pinFile = source.pinFile {
                return Configuration.resolve(pinFile, against: configuration.baseDirectory)
            }
        }
        return nil
    }

    /// The examples pin move, made on the base branch's pin file (its repository path is the change's path).
    func examplesPinChange(_ releases: [SourceRelease], base: BaseBranchFiles) -> PinChange? {
        guard let current = base.pin else { return nil }
        for release in releases where release.release.kind == .examples {
            guard release.config.pinFile != nil,
                let commit = release.release.examples?.commit ?? release.release.release,
                let pinFile = try? PinFile(text: current.text, path: current.path), pinFile.commit != commit,
                let updated = try? pinFile.replacing(commit: commit), updated != pinFile.text
            else { continue }
            return PinChange(path: current.path, commit: commit, original: current.text, updated: updated)
        }
        return nil
    }

    /// A trigger for a change the pull-request branch already held exactly, with an open pull request, and that
    /// the state has no record of (the state was lost) beyond this run's own pending record: the change was
    /// published, and triggered, by an earlier run. It is recorded as done without firing. True when it was.
    /// A trigger an earlier run left pending (it was stopped or killed before firing it) is never adopted.
    mutating func adoptAppliedTrigger(
        _ target: RebuildTarget, kernel: String, digest: String, event: RebuildEvent
    ) -> Bool {
        guard changesAlreadyPublished else { return false }
        do {
            if let record = try store.trigger(target: target.name, kernel: kernel, manifestDigest: digest) {
                guard record.status == .pending, record.attempts == 0, record.lastRunID == runID else { return false }
            }
        } catch {
            return false
        }
        _ = try? store.recordTriggerAttempt(
            runID: runID, target: target.name, kernel: kernel, manifestDigest: digest, succeeded: true, error: nil,
            at: runner.now(), payload: Data(event.webhookBody))
        lines.append("\(target.name) for \(kernel): already on the pull-request branch; not fired again")
        return true
    }
}
