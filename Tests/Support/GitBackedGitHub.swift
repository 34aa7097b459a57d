import Foundation

/// A fake of the GitHub REST API backed by a real bare git repository: refs, commits, trees and blobs are git's
/// own, so ids are git ids and `git diff`/`git log` in the bare repository show exactly what the API calls built.
///
/// Implements the endpoints the GitHub client uses for a pull-request run: `git/ref`, `git/refs`, `git/commits`,
/// `git/trees`, `git/blobs`, `contents` (raw file or folder listing at a ref), `pulls` and `dispatches`.
actor GitBackedGitHub {
    /// Every request runs real `git` processes and waits for them: the actor runs on its own dispatch queue, so
    /// those waits never hold one of the few threads that run the tests' async code.
    nonisolated var unownedExecutor: UnownedSerialExecutor { QueueExecutor.gitHub.asUnownedSerialExecutor() }

    nonisolated let repo: String
    /// The bare repository.
    nonisolated let gitDirectory: URL
    var pulls: [Int: (head: String, base: String, title: String, body: String, open: Bool)] = [:]

    struct GitFailure: Error, CustomStringConvertible {
        var description: String
    }

    init(repo: String, gitDirectory: URL) {
        self.repo = repo
        self.gitDirectory = gitDirectory
    }

    /// Creates an empty bare repository at `path` whose default branch is `main`.
    static func create(repo: String, at path: URL) throws -> GitBackedGitHub {
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        _ = try runGit(["init", "--quiet", "--bare", "--initial-branch=main", path.path], in: nil)
        return GitBackedGitHub(repo: repo, gitDirectory: path)
    }

    /// Runs git (no shell) in `directory`, or against the bare repository `gitDirectory`, and returns stdout.
    @discardableResult
    static func runGit(
        _ arguments: [String], in directory: URL?, gitDirectory: URL? = nil, stdin: [UInt8] = [],
        environment extra: [String: String] = [:]
    ) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + (gitDirectory.map { ["--git-dir=\($0.path)"] } ?? []) + arguments
        if let directory { process.currentDirectoryURL = directory }
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in [
            "GIT_AUTHOR_NAME": "Fake GitHub", "GIT_AUTHOR_EMAIL": "fake@github.test",
            "GIT_COMMITTER_NAME": "Fake GitHub", "GIT_COMMITTER_EMAIL": "fake@github.test",
            "GIT_CONFIG_NOSYSTEM": "1",
        ] {
            environment[key] = value
        }
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let writer = input.fileHandleForWriting
        let bytes = Data(stdin)
        DispatchQueue.global().async {
            writer.write(bytes)
            try? writer.close()
        }
        let collector = OutputCollectorBytes(output: output.fileHandleForReading, error: errors.fileHandleForReading)
        process.waitUntilExit()
        let (out, err) = collector.finish()
        guard process.terminationStatus == 0 else {
            throw GitFailure(
                description: "git \(arguments.joined(separator: " ")) exited \(process.terminationStatus): "
                    + String(decoding: err, as: UTF8.self))
        }
        return Array(out)
    }

    @discardableResult
    func git(_ arguments: [String], stdin: [UInt8] = [], environment: [String: String] = [:]) throws -> String {
        let bytes = try Self.runGit(
            arguments, in: nil, gitDirectory: gitDirectory, stdin: stdin, environment: environment)
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The commit `branch` points at, or nil.
    func ref(_ branch: String) -> String? {
        try? git(["rev-parse", "--verify", "--quiet", "refs/heads/\(branch)^{commit}"])
    }

    /// Every branch and the commit it points at.
    var refs: [String: String] {
        let text = (try? git(["for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/"])) ?? ""
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }

    /// The parents of `commit`.
    func parents(_ commit: String) throws -> [String] {
        try git(["rev-list", "--parents", "-n", "1", commit]).split(separator: " ").dropFirst().map(String.init)
    }

    /// `git diff a..b` in the bare repository.
    func diff(_ range: String) throws -> String {
        try git(["diff", range])
    }

    /// The bytes of `path` at `ref`.
    func show(_ ref: String, _ path: String) throws -> [UInt8] {
        try Self.runGit(["show", "\(ref):\(path)"], in: nil, gitDirectory: gitDirectory)
    }

    /// The body of pull request `number`.
    func pullBody(_ number: Int) -> String? { pulls[number]?.body }

    /// Marks a pull request merged: its base branch fast-forwards (or moves) to the head, and it is closed.
    func mergePull(_ number: Int) throws {
        guard let pull = pulls[number], let head = ref(pull.head) else { throw GitFailure(description: "no PR") }
        try git(["update-ref", "refs/heads/\(pull.base)", head])
        pulls[number]?.open = false
    }

    func respond(_ request: RecordedRequest) async -> TestReply {
        let prefix = "/repos/\(repo)"
        guard request.path.hasPrefix(prefix) else { return .json(404, ["message": "Not Found"]) }
        let path = String(request.path.dropFirst(prefix.count))
        do {
            return try route(request, path: path)
        } catch {
            return .json(422, ["message": "\(error)"])
        }
    }

    private func route(_ request: RecordedRequest, path: String) throws -> TestReply {
        let body = (try? request.json()) ?? [:]
        switch request.method {
        case "GET":
            if path.hasPrefix("/git/ref/heads/") {
                let branch = String(path.dropFirst("/git/ref/heads/".count))
                guard let sha = ref(branch) else { return .json(404, ["message": "Not Found"]) }
                return .json(200, ["ref": "refs/heads/\(branch)", "object": ["sha": sha, "type": "commit"]])
            }
            if path.hasPrefix("/git/commits/") {
                let sha = String(path.dropFirst("/git/commits/".count))
                guard (try? git(["cat-file", "-t", sha])) == "commit" else {
                    return .json(404, ["message": "Not Found"])
                }
                let tree = try git(["rev-parse", "\(sha)^{tree}"])
                let message = try git(["log", "-1", "--format=%B", sha])
                return .json(
                    200,
                    [
                        "sha": sha, "tree": ["sha": tree], "parents": try parents(sha).map { ["sha": $0] },
                        "message": message,
                    ])
            }
            if path.hasPrefix("/git/blobs/") {
                let sha = String(path.dropFirst("/git/blobs/".count))
                let bytes = try Self.runGit(["cat-file", "blob", sha], in: nil, gitDirectory: gitDirectory)
                return .json(200, ["sha": sha, "encoding": "base64", "content": Data(bytes).base64EncodedString()])
            }
            if path.hasPrefix("/contents/") {
                let item = String(path.dropFirst("/contents/".count))
                let ref = request.query["ref"] ?? "main"
                guard let type = try? git(["cat-file", "-t", "\(ref):\(item)"]) else {
                    return .json(404, ["message": "Not Found"])
                }
                if type == "blob" {
                    let bytes = try show(ref, item)
                    if request.headers["accept"] == "application/vnd.github.raw" {
                        return TestReply(
                            status: 200, headers: ["Content-Type": "application/vnd.github.raw"], body: bytes)
                    }
                    return .json(
                        200,
                        [
                            "name": (item as NSString).lastPathComponent, "type": "file", "path": item,
                            "encoding": "base64", "content": Data(bytes).base64EncodedString(),
                        ])
                }
                let listing = try git(["ls-tree", "\(ref):\(item)"])
                var entries: [[String: String]] = []
                for line in listing.split(separator: "\n") {
                    let halves = line.split(separator: "\t", maxSplits: 1)
                    guard halves.count == 2 else { continue }
                    let meta = halves[0].split(separator: " ")
                    let name = String(halves[1])
                    entries.append([
                        "name": name, "type": meta.count > 1 && meta[1] == "tree" ? "dir" : "file",
                        "path": item + "/" + name, "sha": meta.count > 2 ? String(meta[2]) : "",
                    ])
                }
                return .json(200, entries)
            }
            if path == "/pulls" {
                let head = request.query["head"] ?? ""
                let owner = repo.split(separator: "/")[0]
                let matching = pulls.filter { "\(owner):\($0.value.head)" == head && $0.value.open }
                return .json(
                    200,
                    matching.keys.sorted().map { ["number": $0, "html_url": "https://github.test/\(repo)/pull/\($0)"] })
            }
        case "POST":
            if path == "/git/blobs" {
                guard let content = body["content"] as? String, let data = Data(base64Encoded: content) else {
                    return .json(422, ["message": "bad blob"])
                }
                return .json(201, ["sha": try git(["hash-object", "-w", "--stdin"], stdin: Array(data))])
            }
            if path == "/git/trees" {
                guard let entries = body["tree"] as? [[String: Any]] else { return .json(422, ["message": "no tree"]) }
                let index = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "fake-github-index-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: index) }
                let environment = ["GIT_INDEX_FILE": index.path]
                if let base = body["base_tree"] as? String {
                    try git(["read-tree", base], environment: environment)
                } else {
                    try git(["read-tree", "--empty"], environment: environment)
                }
                for entry in entries {
                    guard let path = entry["path"] as? String, entry["mode"] as? String == "100644",
                        entry["type"] as? String == "blob"
                    else { return .json(422, ["message": "bad tree entry"]) }
                    let sha: String
                    if let content = entry["content"] as? String {
                        sha = try git(["hash-object", "-w", "--stdin"], stdin: Array(content.utf8))
                    } else if let given = entry["sha"] as? String {
                        sha = given
                    } else {
                        return .json(422, ["message": "tree entry needs content or sha"])
                    }
                    try git(
                        ["update-index", "--add", "--cacheinfo", "100644,\(sha),\(path)"], environment: environment)
                }
                return .json(201, ["sha": try git(["write-tree"], environment: environment)])
            }
            if path == "/git/commits" {
                guard let tree = body["tree"] as? String, let parents = body["parents"] as? [String],
                    let message = body["message"] as? String
                else { return .json(422, ["message": "bad commit"]) }
                let sha = try git(
                    ["commit-tree", tree] + parents.flatMap { ["-p", $0] } + ["-F", "-"], stdin: Array(message.utf8))
                return .json(201, ["sha": sha])
            }
            if path == "/git/refs" {
                guard let ref = body["ref"] as? String, ref.hasPrefix("refs/heads/"), let sha = body["sha"] as? String
                else { return .json(422, ["message": "bad ref"]) }
                guard self.ref(String(ref.dropFirst("refs/heads/".count))) == nil else {
                    return .json(422, ["message": "Reference already exists"])
                }
                try git(["update-ref", ref, sha])
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
                guard ref(branch) != nil, let sha = body["sha"] as? String else {
                    return .json(422, ["message": "Reference does not exist"])
                }
                try git(["update-ref", "refs/heads/\(branch)", sha])
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

/// Drains a child's stdout and stderr as bytes on background threads, so a chatty child never blocks on a full
/// pipe.
public final class OutputCollectorBytes: @unchecked Sendable {
    private let group = DispatchGroup()
    private var out = Data()
    private var err = Data()

    public init(output: FileHandle, error: FileHandle) {
        group.enter()
        DispatchQueue.global().async {
            self.out = output.readDataToEndOfFile()
            self.group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            self.err = error.readDataToEndOfFile()
            self.group.leave()
        }
    }

    public func finish() -> (Data, Data) {
        group.wait()
        return (out, err)
    }
}

/// A serial executor on a dispatch queue of its own, for an actor whose work blocks on subprocesses.
final class QueueExecutor: SerialExecutor {
    static let gitHub = QueueExecutor(label: "smsync.tests.git-backed-github")

    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
