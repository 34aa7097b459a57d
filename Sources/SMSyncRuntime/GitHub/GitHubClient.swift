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
    /// How requests are sent: the one HTTP seam (an ``HTTPClient`` in production).
    public let http: any HTTPTransport
    /// `User-Agent` of every call.
    public var userAgent: String
    /// Cap on the body of a JSON reply.
    public var maxJSONBytes: Int = 8 << 20
    let token: Secret?
    /// The environment variable the token came from, for messages.
    let tokenName: String

    /// A client for `apiBase` with an explicit token (nil for anonymous reads).
    public init(
        http: any HTTPTransport, apiBase: String = defaultAPIBase, token: Secret?, tokenName: String = "GITHUB_TOKEN",
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
        self.http = http
        self.token = token
        self.tokenName = tokenName
        self.userAgent = userAgent
    }

    /// A client configured from `environment`: `GITHUB_API_URL` and the token in `tokenEnv`.
    public init(
        http: any HTTPTransport, environment: [String: String], tokenEnv: String = "GITHUB_TOKEN",
        userAgent: String = "smsync"
    ) throws(GitHubError) {
        let base = environment["GITHUB_API_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultAPIBase
        try self.init(
            http: http, apiBase: base, token: Secret.from(environment: environment, name: tokenEnv),
            tokenName: tokenEnv,
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
        let read = Read.commit(repo: repo, ref: branch)
        let reply = try await send(read, validators: etag.map { HTTPValidators(etag: $0) })
        if reply.status == 304 { return .unchanged }
        let sha = try Self.commitSHA(in: reply.body, endpoint: try endpoint(of: read), status: reply.status)
        return .commit(sha: sha, etag: reply.header("ETag"))
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

    /// The entries of folder `path` at `ref` (`GET /repos/{repo}/contents/{path}?ref=…`); without `ref`, the
    /// repository's default branch.
    public func listDirectory(
        repo: String, path: String, ref: String? = nil
    ) async throws(GitHubError)
        -> [ContentEntry]
    {
        let read = Read.directory(repo: repo, path: path, ref: ref)
        let reply = try await send(read)
        guard let entries = Self.entries(in: reply.body) else {
            throw GitHubError(
                .unexpectedResponse, endpoint: try endpoint(of: read), status: reply.status,
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
        try await send(.file(repo: repo, path: path, ref: ref), maxBytes: maxBytes).body
    }

    /// The gzip'd tar archive of `repo` at `ref` (`GET /repos/{repo}/tarball/{ref}`); GitHub puts every entry
    /// under one top folder `owner-repo-sha/`.
    public func downloadTarball(repo: String, ref: String, maxBytes: Int) async throws(GitHubError) -> [UInt8] {
        try await send(.tarball(repo: repo, ref: ref), maxBytes: maxBytes).body
    }

    // MARK: Validated reads

    /// One read of the REST API. Every name in it is checked before anything is sent
    /// (``GitHubNames``), so a configured repository, branch or path cannot reshape the URL.
    public enum Read: Sendable, Hashable {
        /// `GET /repos/{repo}/commits/{ref}`: the commit a branch (or any ref) points at, as JSON.
        case commit(repo: String, ref: String)
        /// `GET /repos/{repo}/contents/{path}[?ref=]`: a folder listing, as JSON; no `ref` is the default branch.
        case directory(repo: String, path: String, ref: String?)
        /// The contents endpoint with `Accept: application/vnd.github.raw`: the bytes of a file.
        case file(repo: String, path: String, ref: String?)
        /// `GET /repos/{repo}/tarball/{ref}`: a gzip'd tar archive.
        case tarball(repo: String, ref: String)
    }

    /// The URL a read is sent to: the key under which a caller caches what it answered.
    public func url(of read: Read) throws(GitHubError) -> URL {
        let target = try target(of: read)
        guard let url = URL(string: apiBase + target.path) else {
            throw GitHubError(.invalidInput, endpoint: "GET \(target.path)", message: "cannot form a URL")
        }
        return url
    }

    /// Sends a read, conditional when `validators` are given. Returns a `200`, or a `304` for a conditional read;
    /// with `allowMissing`, a `404` is nil. Any other status is a ``GitHubError`` naming the endpoint.
    /// - Parameter maxBytes: the body cap; nil is ``maxJSONBytes``.
    public func get(
        _ read: Read, validators: HTTPValidators? = nil, maxBytes: Int? = nil, allowMissing: Bool = false
    ) async throws(GitHubError) -> HTTPResponse? {
        var expect: Set<Int> = validators == nil ? [200] : [200, 304]
        if allowMissing { expect.insert(404) }
        let reply = try await send(read, validators: validators, maxBytes: maxBytes, expect: expect)
        return reply.status == 404 && allowMissing ? nil : reply
    }

    /// The commit id in a commits-API reply body, checked to be one.
    public static func commitSHA(in body: [UInt8], endpoint: String, status: Int = 200) throws(GitHubError) -> String {
        let commit: CommitReply
        do {
            commit = try JSONDecoder().decode(CommitReply.self, from: Data(body))
        } catch {
            throw GitHubError(
                .unexpectedResponse, endpoint: endpoint, status: status,
                message: "the reply is not the JSON this endpoint returns (\(body.count) bytes)")
        }
        guard GitHubNames.isCommit(commit.sha) else {
            throw GitHubError(
                .unexpectedResponse, endpoint: endpoint, status: status,
                message: "the reply holds \(String(commit.sha.prefix(80)).debugDescription), not a commit id")
        }
        return commit.sha
    }

    /// The entries of a folder-listing reply body; nil when it is not one (a file's reply, for example).
    public static func entries(in body: [UInt8]) -> [ContentEntry]? {
        try? JSONDecoder().decode([ContentEntry].self, from: Data(body))
    }

    /// `GET /path?query`, as errors name it.
    public func endpoint(of read: Read) throws(GitHubError) -> String {
        "GET " + (try target(of: read).path)
    }

    private func target(of read: Read) throws(GitHubError) -> (path: String, accept: String) {
        func withRef(_ path: String, _ ref: String?) -> String {
            ref.map { path + "?ref=" + GitHubNames.encode($0) } ?? path
        }
        switch read {
        case .commit(let repo, let ref):
            try checkRepository(repo)
            try checkReference(ref, what: "branch")
            return ("/repos/\(repo)/commits/\(ref)", "application/vnd.github+json")
        case .directory(let repo, let path, let ref), .file(let repo, let path, let ref):
            try checkRepository(repo)
            try checkPath(path)
            if let ref { try checkReference(ref, what: "ref") }
            let accept: String
            if case .file = read {
                accept = "application/vnd.github.raw"
            } else {
                accept = "application/vnd.github+json"
            }
            return (withRef("/repos/\(repo)/contents/\(GitHubNames.encodePath(path))", ref), accept)
        case .tarball(let repo, let ref):
            try checkRepository(repo)
            try checkReference(ref, what: "ref")
            return ("/repos/\(repo)/tarball/\(ref)", "*/*")
        }
    }

    private func send(
        _ read: Read, validators: HTTPValidators? = nil, maxBytes: Int? = nil, expect: Set<Int>? = nil
    ) async throws(GitHubError) -> HTTPResponse {
        let target = try target(of: read)
        var headers: [String: String] = [:]
        if let etag = validators?.etag { headers["If-None-Match"] = etag }
        if let lastModified = validators?.lastModified { headers["If-Modified-Since"] = lastModified }
        let reply = try await call(
            "GET", target.path, headers: headers, accept: target.accept, maxBytes: maxBytes,
            expect: expect ?? (validators == nil ? [200] : [200, 304]), validators: validators)
        return reply.response
    }

    // MARK: Plumbing

    struct Reply {
        var endpoint: String
        var response: HTTPResponse
        var status: Int { response.status }
        /// Lower-cased names: see ``HTTPResponse/headers``.
        var headers: [String: String] { response.headers }
        var body: [UInt8] { response.body }
    }

    /// Sends one API call and turns every status outside `expect` into a ``GitHubError``.
    func call(
        _ method: String, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil,
        headers extra: [String: String] = [:], accept: String = "application/vnd.github+json",
        maxBytes: Int? = nil, expect: Set<Int> = [200], needsToken: Bool = false, validators: HTTPValidators? = nil
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
        let response: HTTPResponse
        do {
            response = try await http.send(
                HTTPRequest(
                    url: url, method: method, headers: headers, body: bytes, validators: validators,
                    maxBytes: maxBytes ?? maxJSONBytes))
        } catch {
            throw GitHubError(.transport, endpoint: endpoint, message: redact("\(error)"))
        }
        let reply = Reply(endpoint: endpoint, response: response)
        guard expect.contains(reply.status) else { throw failure(reply) }
        return reply
    }

    private func failure(_ reply: Reply) -> GitHubError {
        let githubMessage = (try? JSONDecoder().decode(MessageReply.self, from: Data(reply.body)))?.message
            .map { redact(String($0.prefix(500))) }
        let remaining = reply.response.header("x-ratelimit-remaining")
        if [403, 429].contains(reply.status), remaining == "0" {
            let reset = reply.response.header("x-ratelimit-reset").flatMap { Double($0) }
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
