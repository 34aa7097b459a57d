import Foundation
import SMSync

/// A git operation that failed, with what git said.
public struct GitError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Makes the edits of a plan one commit on a branch, from the current HEAD of the repository that holds the env
/// files, in a temporary worktree: the user's checkout, working tree and index stay exactly as they were.
public struct GitBranchWriter: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// A new commit was made and the branch now points at it.
        case committed(branch: String, commit: String)
        /// The branch already holds exactly these edits on top of HEAD.
        case unchanged(branch: String, commit: String)
        /// HEAD already has these versions: nothing to commit.
        case nothingToCommit
    }

    public var environment: [String: String]

    /// git gets ``ProcessRunner/minimalEnvironment(from:)`` of `environment` plus the variables that set who
    /// commits and which configuration git reads (`GIT_AUTHOR_*`, `GIT_COMMITTER_*`, `GIT_CONFIG_*`,
    /// `XDG_CONFIG_HOME`); never `GIT_DIR`, `GIT_WORK_TREE` or others that would point it at another repository.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        var kept = ProcessRunner.minimalEnvironment(from: environment)
        for (name, value) in environment
        where name.hasPrefix("GIT_AUTHOR_") || name.hasPrefix("GIT_COMMITTER_") || name.hasPrefix("GIT_CONFIG_")
            || name == "XDG_CONFIG_HOME"
        {
            kept[name] = value
        }
        self.environment = kept
    }

    private func git(_ arguments: [String], in directory: String) async throws(GitError) -> String {
        do {
            return try await ProcessRunner.check(["git"] + arguments, in: directory, environment: environment)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw GitError(message: error.description)
        }
    }

    /// Commits `plan` on `plan.branch`. Each file's edits are made again on HEAD's version of the file, so
    /// uncommitted work in the checkout never leaks into the branch.
    public func commit(_ plan: ApplyPlan) async throws(GitError) -> Outcome {
        guard let first = plan.files.first else { return .nothingToCommit }
        let branch = plan.branch
        let start = URL(fileURLWithPath: first.path).deletingLastPathComponent().path
        let root = try await git(["rev-parse", "--show-toplevel"], in: start)
        let head = try await git(["rev-parse", "--verify", "HEAD^{commit}"], in: root)
        _ = try await git(["check-ref-format", "--branch", branch], in: root)
        let rootURL = URL(fileURLWithPath: root).resolvingSymlinksInPath()
        var relativePaths: [String] = []
        for file in plan.files {
            let full = URL(fileURLWithPath: file.path).resolvingSymlinksInPath().path
            guard full.hasPrefix(rootURL.path + "/") else {
                throw GitError(message: "\(file.path) is not inside the git repository at \(root)")
            }
            relativePaths.append(String(full.dropFirst(rootURL.path.count + 1)))
        }
        let temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("smsync-worktree-\(UUID().uuidString)").path
        _ = try await git(["worktree", "add", "--quiet", "--detach", temporary, head], in: root)
        // The temporary worktree is removed on every way out (an `await` cannot stand in a `defer`).
        let outcome: Outcome
        do {
            outcome = try await commit(
                plan, branch: branch, root: root, head: head, temporary: temporary, relativePaths: relativePaths)
        } catch {
            await removeWorktree(temporary, root: root)
            throw error
        }
        await removeWorktree(temporary, root: root)
        return outcome
    }

    private func removeWorktree(_ temporary: String, root: String) async {
        _ = try? await git(["worktree", "remove", "--force", temporary], in: root)
        try? FileManager.default.removeItem(atPath: temporary)
        _ = try? await git(["worktree", "prune"], in: root)
    }

    /// The edits, the commit and the branch, in the temporary worktree.
    private func commit(
        _ plan: ApplyPlan, branch: String, root: String, head: String, temporary: String, relativePaths: [String]
    ) async throws(GitError) -> Outcome {
        for (file, relative) in zip(plan.files, relativePaths) {
            let target = "\(temporary)/\(relative)"
            let headBytes: [UInt8]
            do {
                headBytes = try AtomicFile.read(target)
            } catch {
                throw GitError(message: "\(relative) is not in HEAD (\(error.reason)); commit it first")
            }
            var bytes = headBytes
            do {
                let environmentFile = try EnvironmentFile(bytes: headBytes, path: relative)
                let result = try environmentFile.settingVersions(
                    file.edits.map { VersionChange(package: $0.package, version: $0.version, manager: $0.manager) })
                if !result.edits.isEmpty { bytes = result.bytes }
            } catch {
                throw GitError(message: "cannot make the edit on HEAD's \(relative): \(error.message)")
            }
            do {
                try AtomicFile.write(bytes, to: target)
            } catch {
                throw GitError(message: error.description)
            }
        }
        _ = try await git(["add", "--"] + relativePaths, in: temporary)
        let staged = try await git(["diff", "--cached", "--name-only"], in: temporary)
        if staged.isEmpty { return .nothingToCommit }
        let tree = try await git(["write-tree"], in: temporary)
        if let existing = try? await git(["rev-parse", "--verify", "--quiet", "refs/heads/\(branch)"], in: root),
            !existing.isEmpty,
            let parent = try? await git(["rev-parse", "--verify", "--quiet", "\(existing)^"], in: root),
            let existingTree = try? await git(["rev-parse", "\(existing)^{tree}"], in: root),
            parent == head, existingTree == tree
        {
            return .unchanged(branch: branch, commit: existing)
        }
        var identity: [String] = []
        if (try? await git(["config", "user.name"], in: root))?.isEmpty ?? true {
            identity += ["-c", "user.name=smsync"]
        }
        if (try? await git(["config", "user.email"], in: root))?.isEmpty ?? true {
            identity += ["-c", "user.email=smsync@localhost"]
        }
        _ = try await git(identity + ["commit", "--quiet", "--no-verify", "-m", plan.commitMessage], in: temporary)
        let commit = try await git(["rev-parse", "HEAD"], in: temporary)
        _ = try await git(["branch", "--force", branch, commit], in: root)
        return .committed(branch: branch, commit: commit)
    }
}
