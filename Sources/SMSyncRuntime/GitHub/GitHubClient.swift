import Foundation
import SMSync

/// The GitHub REST API calls smsync makes: head commits, folder listings, raw files, archives, branches
/// built through the Git Data API, pull requests and dispatches.
///
/// The API base comes from `GITHUB_API_URL` (default `https://api.github.com`) and the token from the
/// environment variable the configuration names (default `GITHUB_TOKEN`), as the GitHub CLI does. Reads work
/// without a token (at GitHub's lower rate limit); writes and dispatches need one. The token is sent only in the
/// `Authorization` header and is removed from every error text.
public struct GitHubClient: Sendable {
    /// GitHub's public API.
    public static let defaultAPIBase = "https://api.github.com"
    /// The API version header sent with every call.
    public static let apiVersion = "2022-11-28"

    /// The API base, without a trailing `/`.
    public let apiBase: String
    /// How requests are sent.
    public let web: any WebClient
    /// `User-Agent` of every call.
    public var userAgent: String
    /// Cap on the body of a JSON reply.
    public var maxJSONBytes: Int = 8 << 20
    let token: Secret?
    /// The environment variable the token came from, for messages.
    let tokenName: String

    /// A client for `apiBase` with an explicit token (nil for anonymous reads).
    public init(
        web: any WebClient, apiBase: String = defaultAPIBase, token: Secret?, tokenName: String = "GITHUB_TOKEN",
        userAgent: String = "smsync"
    ) throws(GitHubError) {
        var base = apiBase
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("https://") || base.hasPrefix("http://"), URL(string: base) != nil,
            !base.contains("?"), !base.contains("#")
        else {
            throw GitHubError(
                .invalidInput, endpoint: apiBase, message: "the API base must be an http(s) URL (set GITHUB_API_URL)")
        }
        self.apiBase = base
        self.web = web
        self.token = token
        self.tokenName = tokenName
        self.userAgent = userAgent
    }

    /// A client configured from `environment`: `GITHUB_API_URL` and the token in `tokenEnv`.
    public init(
        web: any WebClient, environment: [String: String], tokenEnv: String = "GITHUB_TOKEN",
        userAgent: String = "smsync"
    ) throws(GitHubError) {
        let base = environment["GITHUB_API_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultAPIBase
        try self.init(
            web: web, apiBase: base, token: Secret.from(environment: environment, name: tokenEnv), tokenName: tokenEnv,
            userAgent: userAgent)
    }

    /// Whether a token was found.
    public var hasToken: Bool { token != nil }

    // MARK: Reads

    /// The answer to a conditional head-commit request.
    public enum HeadCommit: Sendable, Equatable {
        /// `304 Not Modified`: the branch still points where the validator says.
        case unchanged
        /// The branch's head commit and the `ETag` to send next time.
        case commit(sha: String, etag: String?)
    }

    /// The commit `branch` of `repo` points at (`GET /repos/{repo}/commits/{branch}`).
    public func headCommit(repo: String, branch: String) async throws(GitHubError) -> String {
        switch try await headCommitIfChanged(repo: repo, branch: branch, etag: nil) {
        case .commit(let sha, _): return sha
        case .unchanged:
            throw GitHubError(
                .unexpectedResponse, endpoint: "GET /repos/\(repo)/commits/\(branch)", status: 304,
                message: "304 without a validator")
        }
    }

    /// Like ``headCommit(repo:branch:)`` but sends `If-None-Match: etag`; a `304` (free of rate limit) comes back
    /// as ``HeadCommit/unchanged``.
    public func headCommitIfChanged(
        repo: String, branch: String, etag: String?
    ) async throws(GitHubError)
        -> HeadCommit
    {
        try checkRepository(repo)
        try checkReference(branch, what: "branch")
        var headers: [String: String] = [:]
        if let etag { headers["If-None-Match"] = etag }
        let reply = try await call(
            "GET", "/repos/\(repo)/commits/\(branch)", headers: headers, expect: etag == nil ? [200] : [200, 304])
        if reply.status == 304 { return .unchanged }
        let commit = try decode(CommitReply.self, reply)
        try checkSHA(commit.sha, reply)
        return .commit(sha: commit.sha, etag: WebResponseHeaders.value("ETag", in: reply.headers))
    }

    /// One entry of a folder listing.
    public struct ContentEntry: Sendable, Hashable, Decodable {
        /// The file or folder name.
        public var name: String
        /// `file`, `dir`, `symlink` or `submodule`.
        public var type: String
        /// The path from the repository root.
        public var path: String

        public init(name: String, type: String, path: String) {
            self.name = name
            self.type = type
            self.path = path
        }
    }

    /// The entries of folder `path` at `ref` (`GET /repos/{repo}/contents/{path}?ref=…`).
    public func listDirectory(
        repo: String, path: String, ref: String? = nil
    ) async throws(GitHubError)
        -> [ContentEntry]
    {
        try checkRepository(repo)
        try checkPath(path)
        if let ref { try checkReference(ref, what: "ref") }
        let reply = try await call(
            "GET", "/repos/\(repo)/contents/\(GitHubNames.encodePath(path))", query: ref.map { [("ref", $0)] } ?? [])
        guard let entries = try? JSONDecoder().decode([ContentEntry].self, from: Data(reply.body)) else {
            throw GitHubError(
                .unexpectedResponse, endpoint: reply.endpoint, status: reply.status,
                message: "expected a folder listing (a JSON array); is \(path.debugDescription) a file?")
        }
        return entries
    }

    /// The raw bytes of file `path` at `ref` (`Accept: application/vnd.github.raw`).
    public func fileContent(
        repo: String, path: String, ref: String? = nil, maxBytes: Int = 16 << 20
    )
        async throws(GitHubError) -> [UInt8]
    {
        try checkRepository(repo)
        try checkPath(path)
        if let ref { try checkReference(ref, what: "ref") }
        let reply = try await call(
            "GET", "/repos/\(repo)/contents/\(GitHubNames.encodePath(path))", query: ref.map { [("ref", $0)] } ?? [],
            accept: "application/vnd.github.raw", maxBytes: maxBytes)
        return reply.body
    }

    /// The gzip'd tar archive of `repo` at `ref` (`GET /repos/{repo}/tarball/{ref}`); GitHub puts every entry
    /// under one top folder `owner-repo-sha/`.
    public func downloadTarball(repo: String, ref: String, maxBytes: Int) async throws(GitHubError) -> [UInt8] {
        try checkRepository(repo)
        try checkReference(ref, what: "ref")
        let reply = try await call("GET", "/repos/\(repo)/tarball/\(ref)", accept: "*/*", maxBytes: maxBytes)
        return reply.body
    }

    // MARK: Plumbing

    struct Reply {
        var endpoint: String
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
    }

    /// Sends one API call and turns every status outside `expect` into a ``GitHubError``.
    func call(
        _ method: String, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil,
        headers extra: [String: String] = [:], accept: String = "application/vnd.github+json",
        maxBytes: Int? = nil, expect: Set<Int> = [200], needsToken: Bool = false
    ) async throws(GitHubError) -> Reply {
        let queryText = query.map { "\(GitHubNames.encode($0.0))=\(GitHubNames.encode($0.1))" }.joined(separator: "&")
        let target = queryText.isEmpty ? path : path + "?" + queryText
        let endpoint = "\(method) \(target)"
        guard let url = URL(string: apiBase + target) else {
            throw GitHubError(.invalidInput, endpoint: endpoint, message: "cannot form a URL")
        }
        var headers = extra
        headers["Accept"] = accept
        headers["User-Agent"] = userAgent
        headers["X-GitHub-Api-Version"] = Self.apiVersion
        if let token {
            headers["Authorization"] = "Bearer \(token.value)"
        } else if needsToken {
            throw GitHubError(
                .missingToken, endpoint: endpoint,
                message: "this call needs a token; set the environment variable \(tokenName)")
        }
        var bytes: [UInt8]?
        if let body {
            bytes = Array(body.serialized(pretty: false).utf8)
            headers["Content-Type"] = "application/json"
        }
        let result: (status: Int, headers: [String: String], body: [UInt8])
        do {
            result = try await web.send(
                method: method, url: url, headers: headers, body: bytes, maxBytes: maxBytes ?? maxJSONBytes)
        } catch {
            throw GitHubError(.transport, endpoint: endpoint, message: redact("\(error)"))
        }
        let reply = Reply(endpoint: endpoint, status: result.status, headers: result.headers, body: result.body)
        guard expect.contains(result.status) else { throw failure(reply) }
        return reply
    }

    private func failure(_ reply: Reply) -> GitHubError {
        let githubMessage = (try? JSONDecoder().decode(MessageReply.self, from: Data(reply.body)))?.message
            .map { redact(String($0.prefix(500))) }
        let remaining = WebResponseHeaders.value("x-ratelimit-remaining", in: reply.headers)
        if [403, 429].contains(reply.status), remaining == "0" {
            let reset = WebResponseHeaders.value("x-ratelimit-reset", in: reply.headers).flatMap { Double($0) }
            let when = reset.map { " until \(Date(timeIntervalSince1970: $0))" } ?? ""
            return GitHubError(
                .rateLimited, endpoint: reply.endpoint, status: reply.status, githubMessage: githubMessage,
                message: "the API rate limit is spent\(when); wait, or set \(tokenName) for a higher limit")
        }
        let hint: String
        switch reply.status {
        case 401: hint = "the token was refused; check \(tokenName)"
        case 403: hint = "forbidden; check the token's permissions"
        case 404: hint = "not found (or not visible to \(token == nil ? "anonymous calls" : "this token"))"
        case 422: hint = "GitHub refused the request"
        default: hint = "unexpected status"
        }
        return GitHubError(
            .http, endpoint: reply.endpoint, status: reply.status, githubMessage: githubMessage, message: hint)
    }

    func decode<T: Decodable>(_ type: T.Type, _ reply: Reply) throws(GitHubError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(reply.body))
        } catch {
            throw GitHubError(
                .unexpectedResponse, endpoint: reply.endpoint, status: reply.status,
                message: "the reply is not the JSON this endpoint returns (\(reply.body.count) bytes)")
        }
    }

    func checkSHA(_ sha: String, _ reply: Reply) throws(GitHubError) {
        guard GitHubNames.isCommit(sha) else {
            throw GitHubError(
                .unexpectedResponse, endpoint: reply.endpoint, status: reply.status,
                message: "the reply holds \(String(sha.prefix(80)).debugDescription), not a commit id")
        }
    }

    func redact(_ text: String) -> String {
        token?.redact(text) ?? text
    }

    func checkRepository(_ repo: String) throws(GitHubError) {
        guard GitHubNames.isRepository(repo) else {
            throw GitHubError(
                .invalidInput, endpoint: "(not sent)",
                message: "\(String(repo.prefix(200)).debugDescription) is not a repository name `owner/name`")
        }
    }

    func checkReference(_ ref: String, what: String) throws(GitHubError) {
        guard GitHubNames.isReference(ref) || GitHubNames.isCommit(ref) else {
            throw GitHubError(
                .invalidInput, endpoint: "(not sent)",
                message: "\(String(ref.prefix(200)).debugDescription) is not a valid \(what) name")
        }
    }

    func checkPath(_ path: String) throws(GitHubError) {
        guard GitHubNames.isPath(path) else {
            throw GitHubError(
                .invalidInput, endpoint: "(not sent)",
                message: "\(String(path.prefix(200)).debugDescription) is not a repository path")
        }
    }
}

struct MessageReply: Decodable {
    var message: String?
}

struct ObjectReference: Decodable {
    var sha: String
}

struct CommitReply: Decodable {
    var sha: String
}
