import Foundation
import SMSync

/// The environment files, and the examples pin, as they are on the base branch of a pull request at one commit:
/// the commit the pull-request branch is then built on.
///
/// In pull-request mode the drift and the version edits are made on these bytes, never on a local checkout, so a
/// branch built on the base branch's head carries the base branch's own text with only version text changed: a
/// teammate's commit to `main` after the checkout was taken is kept, and nothing merged since is brought back.
public struct BaseBranchFiles: Sendable {
    /// The base branch.
    public var base: String
    /// The commit of `base` the files were read at; the branch is built on exactly this commit.
    public var commit: String
    /// One kernel per env file, named as ``Workspace`` names local ones; `path` is the repository path.
    public var kernels: [LocalKernel]
    /// The examples pin on the base branch, when configured and present: repository path and text.
    public var pin: (path: String, text: String)?

    public init(base: String, commit: String, kernels: [LocalKernel], pin: (path: String, text: String)?) {
        self.base = base
        self.commit = commit
        self.kernels = kernels
        self.pin = pin
    }

    /// Why the base branch's files could not be read.
    public struct ReadError: Error, Sendable, CustomStringConvertible {
        /// True when a file on the base branch is not one conda would read (bad input, exit 2); false when GitHub
        /// could not be reached or answered an error (the pull-request step failed, retried on the next run).
        public var isBadInput: Bool
        public var message: String
        public var description: String { message }
    }

    /// Reads the head commit of `base` and, at that commit, the env files the configuration names.
    ///
    /// Repository paths are the configured paths relative to `root`: the top folder of the local checkout when
    /// there is one, else the configuration file's folder (so `envs.dir: base/utils/envs` in a configuration
    /// outside any checkout is the repository folder `base/utils/envs`).
    public static func read(
        client: GitHubClient, repo: String, base: String, configuration: Configuration, root: String,
        pinFile: String?
    ) async throws(ReadError) -> BaseBranchFiles {
        func unreachable(_ error: GitHubError) -> ReadError {
            ReadError(isBadInput: false, message: "cannot read \(repo)@\(base): \(error.description)")
        }
        let commit: String
        do {
            commit = try await client.branchCommit(repo: repo, branch: base)
        } catch {
            throw unreachable(error)
        }
        var kernels: [LocalKernel] = []
        var byName: [String: String] = [:]
        func add(_ path: String, kernel: String?, fallbackName: String) async throws(ReadError) {
            let bytes: [UInt8]
            do {
                bytes = try await client.fileContent(repo: repo, path: path, ref: commit)
            } catch {
                throw unreachable(error)
            }
            let file: EnvironmentFile
            do {
                file = try EnvironmentFile(bytes: bytes, path: path)
            } catch {
                throw ReadError(
                    isBadInput: true, message: "\(repo)@\(base) (\(commit.prefix(12))): \(error.description)")
            }
            let name = kernel ?? ("conda_" + (file.name ?? fallbackName))
            if let existing = byName[name] {
                throw ReadError(
                    isBadInput: true,
                    message: "kernel \(name) comes from both \(existing) and \(path) on \(repo)@\(base); "
                        + "map one explicitly in envs.kernels")
            }
            byName[name] = path
            kernels.append(LocalKernel(kernel: name, path: path, file: file))
        }
        var mapped: Set<String> = []
        for (kernel, local) in configuration.explicitKernels {
            let path = repositoryPath(local, root: root)
            mapped.insert(path)
            try await add(path, kernel: kernel, fallbackName: EnvExportReader.stem(of: path))
        }
        if let directory = configuration.envsDirectory {
            let folder = repositoryPath(directory, root: root)
            let entries: [GitHubClient.ContentEntry]
            do {
                entries = try await client.listDirectory(repo: repo, path: folder, ref: commit)
            } catch {
                throw unreachable(error)
            }
            for entry in entries.sorted(by: { $0.name < $1.name })
            where entry.type == "file" && (entry.name.hasSuffix(".yml") || entry.name.hasSuffix(".yaml")) {
                let path = folder + "/" + entry.name
                if mapped.contains(path) { continue }
                try await add(path, kernel: nil, fallbackName: EnvExportReader.stem(of: entry.name))
            }
        }
        guard !kernels.isEmpty else {
            throw ReadError(isBadInput: true, message: "no environment files found on \(repo)@\(base)")
        }
        var pin: (path: String, text: String)?
        if let pinFile {
            let path = repositoryPath(pinFile, root: root)
            if let bytes = try? await client.fileContent(
                repo: repo, path: path, ref: commit, maxBytes: PinFile.maxBytes),
                let text = String(validating: bytes, as: UTF8.self)
            {
                pin = (path, text)
            }
        }
        return BaseBranchFiles(base: base, commit: commit, kernels: kernels, pin: pin)
    }

    /// `path` relative to `root`, after resolving both; `path` itself when it is not inside `root`.
    public static func repositoryPath(_ path: String, root: String) -> String {
        let full = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let base = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
        return full.hasPrefix(base + "/") ? String(full.dropFirst(base.count + 1)) : path
    }

    /// One line per update a drift of other files (the local checkout) wants but these files no longer have: the
    /// dependency, or its whole env file, was removed or renamed on the base branch. These are never re-added.
    public func missing(wantedBy report: DriftReport) -> [String] {
        var notes: [String] = []
        for (kernel, changes) in report.updates {
            guard let baseKernel = kernels.first(where: { $0.kernel == kernel.kernel }) else {
                notes.append("`\(kernel.kernel)`: no env file for it on `\(base)` any more; not re-added")
                continue
            }
            for change in changes
            where baseKernel.file.dependencies(named: change.package, manager: change.manager)
                .isEmpty
            {
                notes.append(
                    "`\(change.package)` (\(change.manager.rawValue), `\(kernel.kernel)`): not in `\(baseKernel.path)` "
                        + "on `\(base)` any more; left out, not re-added")
            }
        }
        return notes
    }

    /// The pull-request body's section for ``missing(wantedBy:)``, empty when there is nothing to say.
    public static func missingSection(_ notes: [String]) -> String {
        guard !notes.isEmpty else { return "" }
        return "\n### Skipped: removed on the base branch\n\n" + notes.map { "- \($0)\n" }.joined()
    }
}

extension GitHubClient {
    /// The commit `branch` of `repo` points at, through the Git Data API (`GET /repos/{repo}/git/ref/heads/…`).
    public func branchCommit(repo: String, branch: String) async throws(GitHubError) -> String {
        try checkRepository(repo)
        try checkReference(branch, what: "branch")
        let reply = try await call("GET", "/repos/\(repo)/git/ref/heads/\(branch)", needsToken: hasToken)
        let sha = try decode(RefReply.self, reply).object.sha
        try checkSHA(sha, reply)
        return sha
    }
}
