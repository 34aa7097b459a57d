import Crypto
import FlyingFox
import FlyingSocks
import Foundation

/// One request as a loopback test server saw it. Header names are lowercased.
struct RecordedRequest: Sendable {
    var method: String
    /// The decoded path, without the query.
    var path: String
    var query: [String: String]
    var headers: [String: String]
    var body: [UInt8]

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as a JSON object.
    func json() throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(body))
        guard let object = value as? [String: Any] else { throw ScriptedServer.TestServerError.notAnObject }
        return object
    }
}

/// A reply of a test server.
struct TestReply: Sendable {
    var status: Int
    var headers: [String: String] = [:]
    var body: [UInt8] = []

    static func json(_ status: Int, _ object: Any, headers: [String: String] = [:]) -> TestReply {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        var all = headers
        all["Content-Type"] = "application/json"
        return TestReply(status: status, headers: all, body: Array(data))
    }

    static func text(_ status: Int, _ text: String) -> TestReply {
        TestReply(status: status, headers: ["Content-Type": "text/plain"], body: Array(text.utf8))
    }
}

/// Every request a test server received, in order.
actor RequestLog {
    private(set) var requests: [RecordedRequest] = []

    func append(_ request: RecordedRequest) { requests.append(request) }
}

/// A real HTTP server on 127.0.0.1 and an ephemeral port, answering with a closure and recording every request.
final class ScriptedServer: Sendable {
    let server: HTTPServer
    let task: Task<Void, any Error>
    let port: UInt16
    let log: RequestLog

    var base: String { "http://127.0.0.1:\(port)" }

    var requests: [RecordedRequest] {
        get async { await log.requests }
    }

    private init(server: HTTPServer, task: Task<Void, any Error>, port: UInt16, log: RequestLog) {
        self.server = server
        self.task = task
        self.port = port
        self.log = log
    }

    static func start(
        _ respond: @escaping @Sendable (RecordedRequest) async -> TestReply
    ) async throws -> ScriptedServer {
        let log = RequestLog()
        let server = HTTPServer(
            address: try .inet(ip4: "127.0.0.1", port: 0), timeout: 15, logger: .disabled,
            handler: Handler(log: log, respond: respond))
        let task = Task(executorPreference: ServerThreads.shared) { try await server.run() }
        try await server.waitUntilListening(timeout: 10)
        let address = await server.listeningAddress
        guard case .ip4(_, let port)? = address else {
            throw TestServerError.noPort
        }
        return ScriptedServer(server: server, task: task, port: port, log: log)
    }

    func stop() async {
        await server.stop(timeout: 1)
        task.cancel()
    }

    enum TestServerError: Error {
        case noPort
        case notAnObject
    }

    struct Handler: HTTPHandler {
        let log: RequestLog
        let respond: @Sendable (RecordedRequest) async -> TestReply

        func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
            var headers: [String: String] = [:]
            for (name, value) in request.headers { headers[name.rawValue.lowercased()] = value }
            var query: [String: String] = [:]
            for item in request.query { query[item.name] = item.value }
            let recorded = RecordedRequest(
                method: request.method.rawValue, path: request.path.removingPercentEncoding ?? request.path,
                query: query, headers: headers, body: Array(try await request.bodyData))
            await log.append(recorded)
            let reply = await respond(recorded)
            var replyHeaders: [HTTPHeader: String] = [:]
            for (name, value) in reply.headers { replyHeaders[HTTPHeader(name)] = value }
            return HTTPResponse(
                statusCode: HTTPStatusCode(reply.status, phrase: "Status"), headers: HTTPHeaders(replyHeaders),
                body: Data(reply.body))
        }
    }
}

/// A fake of the GitHub REST API over real HTTP: commits with ETags, contents, raw files, tarballs, the Git Data
/// API (refs, commits, trees, blobs), pull requests and dispatches. Git objects get content-derived ids, so the
/// same tree twice has the same id, as in git.
actor FakeGitHub {
    let repo: String
    var refs: [String: String] = [:]
    var commits: [String: (tree: String, parents: [String], message: String)] = [:]
    var trees: [String: [String: String]] = [:]
    var blobs: [String: [UInt8]] = [:]
    var pulls: [Int: (head: String, base: String, title: String, body: String, open: Bool)] = [:]
    var folders: [String: [(name: String, type: String)]] = [:]
    var files: [String: [UInt8]] = [:]
    var tarballs: [String: [UInt8]] = [:]
    /// When set, every call answers with this reply.
    var override: TestReply?
    private var counter = 0

    init(repo: String) {
        self.repo = repo
    }

    func setOverride(_ reply: TestReply?) { override = reply }

    func commit(_ sha: String) -> (tree: String, parents: [String], message: String)? { commits[sha] }

    func tree(_ sha: String) -> [String: String]? { trees[sha] }

    func ref(_ branch: String) -> String? { refs[branch] }

    func blob(_ sha: String) -> [UInt8]? { blobs[sha] }

    func addFolder(_ path: String, _ entries: [(String, String)]) {
        folders[path] = entries.map { (name: $0.0, type: $0.1) }
    }

    func addFile(_ path: String, _ text: String) { files[path] = Array(text.utf8) }

    func addTarball(_ ref: String, _ bytes: [UInt8]) { tarballs[ref] = bytes }

    /// Makes a root commit with `files` and points `branch` at it; returns its id.
    @discardableResult
    func seedBranch(_ branch: String, files: [String: String]) -> String {
        for content in files.values { blobs[hash("blob", content)] = Array(content.utf8) }
        let tree = makeTree(base: nil, entries: files.mapValues { hash("blob", $0) })
        let commit = makeCommit(tree: tree, parents: [], message: "seed \(branch)")
        refs[branch] = commit
        return commit
    }

    /// Moves `branch` one commit ahead (simulates someone merging into base).
    @discardableResult
    func advance(_ branch: String) -> String {
        let parent = refs[branch] ?? ""
        let tree = commits[parent]?.tree ?? makeTree(base: nil, entries: [:])
        let commit = makeCommit(
            tree: makeTree(base: tree, entries: ["other.txt": hash("blob", parent)]), parents: [parent],
            message: "advance")
        refs[branch] = commit
        return commit
    }

    func hash(_ parts: String...) -> String {
        let digest = SHA256.hash(data: Array(parts.joined(separator: "\u{0}").utf8))
        return String(digest.map { String(format: "%02x", $0) }.joined().prefix(40))
    }

    func makeTree(base: String?, entries: [String: String]) -> String {
        var content = base.flatMap { trees[$0] } ?? [:]
        for (path, blob) in entries { content[path] = blob }
        let sha = hash(["tree"] + content.keys.sorted().map { "\($0)=\(content[$0] ?? "")" })
        trees[sha] = content
        return sha
    }

    private func hash(_ parts: [String]) -> String {
        let digest = SHA256.hash(data: Array(parts.joined(separator: "\u{0}").utf8))
        return String(digest.map { String(format: "%02x", $0) }.joined().prefix(40))
    }

    func makeCommit(tree: String, parents: [String], message: String) -> String {
        counter += 1
        let sha = hash("commit", tree, parents.joined(separator: ","), message, String(counter))
        commits[sha] = (tree, parents, message)
        return sha
    }

    /// A file (raw) or a folder listing from the tree of a commit.
    func contents(_ item: String, in tree: [String: String], raw: Bool) -> TestReply {
        if let blob = tree[item], let bytes = blobs[blob] {
            if raw {
                return TestReply(status: 200, headers: ["Content-Type": "application/vnd.github.raw"], body: bytes)
            }
            return .json(200, ["name": item, "type": "file", "path": item])
        }
        var entries: [String: String] = [:]
        for path in tree.keys where path.hasPrefix(item + "/") {
            let rest = path.dropFirst(item.count + 1)
            let name = String(rest.prefix { $0 != "/" })
            entries[name] = rest.contains("/") ? "dir" : "file"
        }
        guard !entries.isEmpty else { return .json(404, ["message": "Not Found"]) }
        return .json(
            200, entries.keys.sorted().map { ["name": $0, "type": entries[$0] ?? "file", "path": item + "/" + $0] })
    }

    func respond(_ request: RecordedRequest) async -> TestReply {
        if let override { return override }
        let prefix = "/repos/\(repo)"
        guard request.path.hasPrefix(prefix) else { return .json(404, ["message": "Not Found"]) }
        let path = String(request.path.dropFirst(prefix.count))
        let body = (try? request.json()) ?? [:]
        switch request.method {
        case "GET":
            if path.hasPrefix("/commits/") {
                let branch = String(path.dropFirst("/commits/".count))
                guard let sha = refs[branch] else {
                    return .json(422, ["message": "No commit found for SHA: \(branch)"])
                }
                let etag = "\"etag-\(sha)\""
                if request.headers["if-none-match"] == etag { return TestReply(status: 304, headers: ["ETag": etag]) }
                return .json(200, ["sha": sha, "commit": ["message": "m"]], headers: ["ETag": etag])
            }
            if path.hasPrefix("/contents/") {
                let item = String(path.dropFirst("/contents/".count))
                if let ref = request.query["ref"], let commit = commits[refs[ref] ?? ref],
                    let tree = trees[commit.tree]
                {
                    return contents(item, in: tree, raw: request.headers["accept"] == "application/vnd.github.raw")
                }
                if request.headers["accept"] == "application/vnd.github.raw" {
                    guard let bytes = files[item] else { return .json(404, ["message": "Not Found"]) }
                    return TestReply(status: 200, headers: ["Content-Type": "application/vnd.github.raw"], body: bytes)
                }
                if let entries = folders[item] {
                    let etag =
                        "\"list-" + hash(item, entries.map { "\($0.name):\($0.type)" }.joined(separator: ",")) + "\""
                    if request.headers["if-none-match"] == etag {
                        return TestReply(status: 304, headers: ["ETag": etag])
                    }
                    return .json(
                        200,
                        entries.map { ["name": $0.name, "type": $0.type, "path": item + "/" + $0.name, "sha": "0"] },
                        headers: ["ETag": etag])
                }
                if files[item] != nil { return .json(200, ["name": item, "type": "file", "path": item]) }
                return .json(404, ["message": "Not Found"])
            }
            if path.hasPrefix("/tarball/") {
                guard let bytes = tarballs[String(path.dropFirst("/tarball/".count))] else {
                    return .json(404, ["message": "Not Found"])
                }
                return TestReply(status: 200, headers: ["Content-Type": "application/x-gzip"], body: bytes)
            }
            if path.hasPrefix("/git/ref/heads/") {
                let branch = String(path.dropFirst("/git/ref/heads/".count))
                guard let sha = refs[branch] else { return .json(404, ["message": "Not Found"]) }
                return .json(200, ["ref": "refs/heads/\(branch)", "object": ["sha": sha, "type": "commit"]])
            }
            if path.hasPrefix("/git/commits/") {
                let sha = String(path.dropFirst("/git/commits/".count))
                guard let commit = commits[sha] else { return .json(404, ["message": "Not Found"]) }
                return .json(
                    200,
                    [
                        "sha": sha, "tree": ["sha": commit.tree], "parents": commit.parents.map { ["sha": $0] },
                        "message": commit.message,
                    ])
            }
            if path == "/pulls" {
                let head = request.query["head"] ?? ""
                let matching = pulls.filter {
                    "\(repo.split(separator: "/")[0]):\($0.value.head)" == head && $0.value.open
                }
                return .json(
                    200,
                    matching.keys.sorted().map { ["number": $0, "html_url": "https://github.test/\(repo)/pull/\($0)"] })
            }
        case "POST":
            if path == "/git/blobs" {
                guard let content = body["content"] as? String, let data = Data(base64Encoded: content) else {
                    return .json(422, ["message": "bad blob"])
                }
                let sha = hash("blob-bytes", data.base64EncodedString())
                blobs[sha] = Array(data)
                return .json(201, ["sha": sha])
            }
            if path == "/git/trees" {
                guard let entries = body["tree"] as? [[String: Any]] else { return .json(422, ["message": "no tree"]) }
                var mapped: [String: String] = [:]
                for entry in entries {
                    guard let path = entry["path"] as? String, entry["mode"] as? String == "100644",
                        entry["type"] as? String == "blob"
                    else { return .json(422, ["message": "bad tree entry"]) }
                    if let content = entry["content"] as? String {
                        mapped[path] = hash("blob", content)
                        blobs[hash("blob", content)] = Array(content.utf8)
                    } else if let sha = entry["sha"] as? String, blobs[sha] != nil {
                        mapped[path] = sha
                    } else {
                        return .json(422, ["message": "tree entry needs content or sha"])
                    }
                }
                return .json(201, ["sha": makeTree(base: body["base_tree"] as? String, entries: mapped)])
            }
            if path == "/git/commits" {
                guard let tree = body["tree"] as? String, trees[tree] != nil,
                    let parents = body["parents"] as? [String],
                    let message = body["message"] as? String
                else { return .json(422, ["message": "bad commit"]) }
                return .json(201, ["sha": makeCommit(tree: tree, parents: parents, message: message)])
            }
            if path == "/git/refs" {
                guard let ref = body["ref"] as? String, ref.hasPrefix("refs/heads/"), let sha = body["sha"] as? String
                else {
                    return .json(422, ["message": "bad ref"])
                }
                let branch = String(ref.dropFirst("refs/heads/".count))
                guard refs[branch] == nil else { return .json(422, ["message": "Reference already exists"]) }
                refs[branch] = sha
                return .json(201, ["ref": ref, "object": ["sha": sha]])
            }
            if path == "/pulls" {
                guard let head = body["head"] as? String, let base = body["base"] as? String,
                    let title = body["title"] as? String
                else { return .json(422, ["message": "Validation Failed"]) }
                let number = (pulls.keys.max() ?? 0) + 1
                pulls[number] = (head, base, title, body["body"] as? String ?? "", true)
                return .json(201, ["number": number, "html_url": "https://github.test/\(repo)/pull/\(number)"])
            }
            if path == "/dispatches" || (path.hasPrefix("/actions/workflows/") && path.hasSuffix("/dispatches")) {
                return TestReply(status: 204)
            }
        case "PATCH":
            if path.hasPrefix("/git/refs/heads/") {
                let branch = String(path.dropFirst("/git/refs/heads/".count))
                guard refs[branch] != nil, let sha = body["sha"] as? String else {
                    return .json(422, ["message": "Reference does not exist"])
                }
                refs[branch] = sha
                return .json(200, ["ref": "refs/heads/\(branch)", "object": ["sha": sha]])
            }
            if path.hasPrefix("/pulls/"), let number = Int(path.dropFirst("/pulls/".count)), let pull = pulls[number] {
                pulls[number] = (
                    pull.head, pull.base, body["title"] as? String ?? pull.title, body["body"] as? String ?? pull.body,
                    pull.open
                )
                return .json(200, ["number": number, "html_url": "https://github.test/\(repo)/pull/\(number)"])
            }
        default:
            break
        }
        return .json(404, ["message": "Not Found", "documentation_url": "https://docs.github.com/rest"])
    }
}

/// A fake GitHub on a loopback server, with a client pointing at it.
struct GitHubFixture {
    static let token = "ghp_testTOKEN1234567890abcdef"
    let fake: FakeGitHub
    let server: ScriptedServer

    static func start(repo: String = "octo/env-repo") async throws -> GitHubFixture {
        let fake = FakeGitHub(repo: repo)
        let server = try await ScriptedServer.start { await fake.respond($0) }
        return GitHubFixture(fake: fake, server: server)
    }

    var environment: [String: String] { ["GITHUB_API_URL": server.base, "GITHUB_TOKEN": Self.token] }
}
