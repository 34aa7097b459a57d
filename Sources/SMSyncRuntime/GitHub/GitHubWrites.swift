import Foundation
import SMSync

extension GitHubClient {
    /// What ``publishBranch(repo:base:branch:files:message:)`` did.
    public struct PublishedBranch: Sendable, Hashable {
        /// What happened to the branch.
        public enum Outcome: String, Sendable, Hashable {
            /// The branch did not exist and now points at the new commit.
            case created
            /// The branch existed and was moved (force) to the new commit.
            case updated
            /// The branch already held exactly these files on top of the base; nothing was written.
            case unchanged
        }

        /// The commit the branch points at now.
        public var commit: String
        public var outcome: Outcome
    }

    /// One file to put on a branch.
    public struct BranchFile: Sendable, Hashable {
        /// The path from the repository root.
        public var path: String
        public var content: [UInt8]

        public init(path: String, content: [UInt8]) {
            self.path = path
            self.content = content
        }
    }

    /// Puts `files` on branch `branch` as one commit on top of `base`'s head, through the Git Data API (no push).
    ///
    /// Reads the base ref and its commit, creates a tree over the base tree, and, unless the branch already holds
    /// a commit whose only parent is the base head and whose tree is that tree (a rerun with the same content),
    /// creates the commit and creates or force-moves the branch to it. Files that are not UTF-8 go up as blobs.
    /// With `baseCommit`, the branch is built on that commit of `base` (the one its files were read at) instead of
    /// the head read now.
    public func publishBranch(
        repo: String, base: String, branch: String, files: [BranchFile], message: String, baseCommit: String? = nil
    ) async throws(GitHubError) -> PublishedBranch {
        try checkRepository(repo)
        try checkReference(base, what: "base branch")
        try checkReference(branch, what: "branch")
        guard !files.isEmpty else {
            throw GitHubError(.invalidInput, endpoint: "(not sent)", message: "a commit needs at least one file")
        }
        for file in files { try checkPath(file.path) }
        guard hasToken else {
            throw GitHubError(
                .missingToken, endpoint: "POST /repos/\(repo)/git/commits",
                message: "publishing a branch needs a token; set the environment variable \(tokenName)")
        }
        let baseSHA: String
        if let baseCommit {
            guard GitHubNames.isCommit(baseCommit) else {
                throw GitHubError(
                    .invalidInput, endpoint: "(not sent)", message: "\(baseCommit.debugDescription) is not a commit id")
            }
            baseSHA = baseCommit
        } else {
            baseSHA = try await branchCommit(repo: repo, branch: base)
        }
        let baseCommitReply = try await call("GET", "/repos/\(repo)/git/commits/\(baseSHA)", needsToken: true)
        let baseCommit = try decode(GitCommitReply.self, baseCommitReply)

        var entries: [JSONValue] = []
        for file in files {
            var entry: [(String, JSONValue)] = [("path", .string(file.path)), ("mode", .string("100644"))]
            entry.append(("type", .string("blob")))
            if let text = String(validating: file.content, as: UTF8.self) {
                entry.append(("content", .string(text)))
            } else {
                let blob = try await call(
                    "POST", "/repos/\(repo)/git/blobs",
                    body: .object([
                        ("content", .string(Data(file.content).base64EncodedString())), ("encoding", .string("base64")),
                    ]), expect: [201], needsToken: true)
                entry.append(("sha", .string(try decode(ObjectReference.self, blob).sha)))
            }
            entries.append(.object(entry))
        }
        let treeReply = try await call(
            "POST", "/repos/\(repo)/git/trees",
            body: .object([("base_tree", .string(baseCommit.tree.sha)), ("tree", .array(entries))]), expect: [201],
            needsToken: true)
        let tree = try decode(ObjectReference.self, treeReply).sha

        let existing = try await call(
            "GET", "/repos/\(repo)/git/ref/heads/\(branch)", expect: [200, 404], needsToken: true)
        var branchExists = false
        if existing.status == 200 {
            let ref = try decode(RefReply.self, existing)
            branchExists = true
            let current = try await call("GET", "/repos/\(repo)/git/commits/\(ref.object.sha)", needsToken: true)
            let commit = try decode(GitCommitReply.self, current)
            if commit.tree.sha == tree, commit.parents.map(\.sha) == [baseSHA] {
                return PublishedBranch(commit: ref.object.sha, outcome: .unchanged)
            }
        }
        let commitReply = try await call(
            "POST", "/repos/\(repo)/git/commits",
            body: .object([
                ("message", .string(message)), ("tree", .string(tree)), ("parents", .array([.string(baseSHA)])),
            ]), expect: [201], needsToken: true)
        let newCommit = try decode(ObjectReference.self, commitReply).sha
        try checkSHA(newCommit, commitReply)
        if branchExists {
            _ = try await call(
                "PATCH", "/repos/\(repo)/git/refs/heads/\(branch)",
                body: .object([("sha", .string(newCommit)), ("force", .bool(true))]), needsToken: true)
            return PublishedBranch(commit: newCommit, outcome: .updated)
        }
        _ = try await call(
            "POST", "/repos/\(repo)/git/refs",
            body: .object([("ref", .string("refs/heads/\(branch)")), ("sha", .string(newCommit))]), expect: [201],
            needsToken: true)
        return PublishedBranch(commit: newCommit, outcome: .created)
    }

    /// An open pull request smsync created or updated.
    public struct PullRequest: Sendable, Hashable {
        public var number: Int
        /// Its web page (`html_url`).
        public var url: String
        /// True when this call opened it; false when an open one was updated.
        public var created: Bool
    }

    /// Updates the open pull request from `branch` into `base` with `title` and `body`, or opens one.
    ///
    /// Looks for open pull requests with head `owner:branch` (the owner of `repo`), so that a rerun, or upstream
    /// moving again, updates the same pull request instead of opening another.
    public func openOrUpdatePullRequest(
        repo: String, base: String, branch: String, title: String, body: String
    ) async throws(GitHubError) -> PullRequest {
        try checkRepository(repo)
        try checkReference(base, what: "base branch")
        try checkReference(branch, what: "branch")
        let owner = String(repo.prefix { $0 != "/" })
        let list = try await call(
            "GET", "/repos/\(repo)/pulls", query: [("state", "open"), ("head", "\(owner):\(branch)"), ("base", base)],
            needsToken: true)
        let open = try decode([PullReply].self, list)
        if let existing = open.first {
            let updated = try await call(
                "PATCH", "/repos/\(repo)/pulls/\(existing.number)",
                body: .object([("title", .string(title)), ("body", .string(body))]), needsToken: true)
            let reply = try decode(PullReply.self, updated)
            return PullRequest(number: reply.number, url: reply.htmlURL, created: false)
        }
        let created = try await call(
            "POST", "/repos/\(repo)/pulls",
            body: .object([
                ("title", .string(title)), ("head", .string(branch)), ("base", .string(base)), ("body", .string(body)),
            ]), expect: [201], needsToken: true)
        let reply = try decode(PullReply.self, created)
        return PullRequest(number: reply.number, url: reply.htmlURL, created: true)
    }

    /// Sends a `repository_dispatch` event (`POST /repos/{repo}/dispatches`); GitHub answers 204.
    public func repositoryDispatch(repo: String, eventType: String, clientPayload: JSONValue) async throws(GitHubError)
    {
        try checkRepository(repo)
        guard !eventType.isEmpty, eventType.count <= 100 else {
            throw GitHubError(.invalidInput, endpoint: "(not sent)", message: "event_type must be 1 to 100 characters")
        }
        _ = try await call(
            "POST", "/repos/\(repo)/dispatches",
            body: .object([("event_type", .string(eventType)), ("client_payload", clientPayload)]),
            expect: Set(200...299), needsToken: true)
    }

    /// Starts workflow `workflow` on `ref` (`POST /repos/{repo}/actions/workflows/{workflow}/dispatches`); the
    /// inputs must be declared by the workflow.
    public func workflowDispatch(
        repo: String, workflow: String, ref: String, inputs: [(String, String)]
    ) async throws(GitHubError) {
        try checkRepository(repo)
        try checkReference(ref, what: "ref")
        guard GitHubNames.isWorkflow(workflow) else {
            throw GitHubError(
                .invalidInput, endpoint: "(not sent)",
                message: "\(String(workflow.prefix(200)).debugDescription) is not a workflow file name or id")
        }
        _ = try await call(
            "POST", "/repos/\(repo)/actions/workflows/\(workflow)/dispatches",
            body: .object([("ref", .string(ref)), ("inputs", .object(inputs.map { ($0.0, .string($0.1)) }))]),
            expect: Set(200...299), needsToken: true)
    }
}

struct RefReply: Decodable {
    var object: ObjectReference
}

struct GitCommitReply: Decodable {
    var sha: String
    var tree: ObjectReference
    var parents: [ObjectReference]
}

struct PullReply: Decodable {
    var number: Int
    var htmlURL: String

    enum CodingKeys: String, CodingKey {
        case number
        case htmlURL = "html_url"
    }
}
