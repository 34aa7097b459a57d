import Crypto
import Foundation
import Logging
import SMSync

/// A rebuild trigger that failed. Secrets are removed from every field.
public struct TriggerError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable {
        /// The command could not start, exited non-zero, or timed out.
        case command
        /// The webhook receiver answered outside 2xx, or could not be reached.
        case webhook
        /// The GitHub dispatch failed.
        case dispatch
        /// The trigger is misconfigured (a bad URL, a missing token).
        case configuration
    }

    public var code: Code
    /// The rebuild entry's name.
    public var target: String
    /// The exit status or HTTP status, when there was one.
    public var status: Int?
    /// What went wrong, with the end of the command's stderr or the receiver's reply.
    public var message: String

    public init(_ code: Code, target: String, status: Int? = nil, message: String) {
        self.code = code
        self.target = target
        self.status = status
        self.message = message
    }

    public var description: String { "rebuild \(target.debugDescription): \(message)" }
}

/// How a trigger went, for logs and state.
public struct TriggerOutcome: Sendable, Hashable {
    /// The rebuild entry's name.
    public var target: String
    /// `exit 0`, `HTTP 204` …
    public var detail: String
    /// The end of the command's output, or the receiver's reply (capped, secrets removed).
    public var output: String
}

/// Fires rebuild triggers: a command run without a shell, a signed webhook, or a GitHub dispatch.
///
/// Secrets (the webhook secret, the GitHub token) are read from the injected `environment` and are never
/// logged or put in errors; any echo of them in a command's output or a reply is replaced by `<redacted>`.
public struct TriggerRunner: Sendable {
    /// Where secrets come from, and the variables a command may be given (see ``commandEnvironment(for:passing:)``).
    public var environment: [String: String]
    /// How webhooks and dispatches are sent.
    public var http: any HTTPTransport
    /// The environment variable holding the GitHub token for dispatches.
    public var githubTokenEnv: String
    /// The folder commands run in (the configuration's folder); nil for the current one.
    public var workingDirectory: String?
    /// Seconds a command may run.
    public var commandTimeout: Double
    /// Bytes of each output stream kept.
    public var outputLimit: Int
    /// Lines of stderr put in a failure message.
    public var failureLines: Int = 20
    public var userAgent: String
    public var logger: Logger
    /// Environment variables whose values are removed from messages, besides the token and secret-like names.
    public var secretNames: Set<String> = []

    /// A runner with secrets from `environment`.
    public init(
        environment: [String: String], http: any HTTPTransport, githubTokenEnv: String = "GITHUB_TOKEN",
        workingDirectory: String? = nil, commandTimeout: Double = 1800, outputLimit: Int = 256 << 10,
        userAgent: String = "smsync",
        logger: Logger = Logger(label: "smsync.trigger", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.environment = environment
        self.http = http
        self.githubTokenEnv = githubTokenEnv
        self.workingDirectory = workingDirectory
        self.commandTimeout = commandTimeout
        self.outputLimit = outputLimit
        self.userAgent = userAgent
        self.logger = logger
    }

    /// Fires `target` for `event`; throws when the trigger failed (the caller records it and retries next run).
    public func fire(_ target: RebuildTarget, event: RebuildEvent) async throws(TriggerError) -> TriggerOutcome {
        if case .webhook(_, let secretEnv?) = target.action, !secretNames.contains(secretEnv) {
            var runner = self
            runner.secretNames.insert(secretEnv)
            return try await runner.fire(target, event: event)
        }
        var logger = self.logger
        logger[metadataKey: "smsync.trigger"] = .string(target.name)
        logger[metadataKey: "smsync.run"] = .string(event.runID)
        logger.debug(
            "firing rebuild trigger", metadata: ["smsync.kernels": .string(event.kernels.joined(separator: ","))])
        let outcome: TriggerOutcome
        switch target.action {
        case .command(let argv):
            outcome = try await runCommand(argv, name: target.name, passing: target.env, event: event)
        case .webhook(let url, let secretEnv):
            outcome = try await postWebhook(url: url, secretEnv: secretEnv, name: target.name, event: event)
        case .repositoryDispatch(let repo, let eventType):
            let payload = JSONValue.object([
                ("run_id", .string(event.runID)), ("kernels", .array(event.kernels.map { .string($0) })),
                ("pull_request_url", .string(event.pullRequestURL)),
            ])
            outcome = try await dispatch(name: target.name) { client throws(GitHubError) in
                try await client.repositoryDispatch(repo: repo, eventType: eventType, clientPayload: payload)
            }
        case .workflowDispatch(let repo, let workflow, let ref):
            let inputs = [("kernels", event.kernels.joined(separator: ",")), ("run_id", event.runID)]
            outcome = try await dispatch(name: target.name) { client throws(GitHubError) in
                try await client.workflowDispatch(repo: repo, workflow: workflow, ref: ref, inputs: inputs)
            }
        }
        logger.info("rebuild trigger fired", metadata: ["smsync.result": .string(outcome.detail)])
        return outcome
    }

    // MARK: command

    /// The environment a command sees: a minimal one (`PATH`, `HOME`, `LANG`, `LC_ALL`, `TMPDIR` when set), the
    /// variables the rebuild entry lists under `env:` (from the environment, or the file `NAME_FILE` names), and
    /// `SMSYNC_KERNELS` (comma-separated), `SMSYNC_RUN_ID` and `SMSYNC_CHANGED_FILES` (one per line). Nothing
    /// else is inherited: not the GitHub token, not a webhook secret.
    public func commandEnvironment(for event: RebuildEvent, passing names: [String] = []) -> [String: String] {
        var result = ProcessRunner.minimalEnvironment(from: environment)
        let secrets = Secrets(environment: environment)
        for name in names {
            if let value = secrets.value(name) { result[name] = value }
        }
        result["SMSYNC_KERNELS"] = event.kernels.joined(separator: ",")
        result["SMSYNC_RUN_ID"] = event.runID
        result["SMSYNC_CHANGED_FILES"] = event.changedFiles.joined(separator: "\n")
        return result
    }

    private func runCommand(
        _ argv: [String], name: String, passing names: [String], event: RebuildEvent
    ) async throws(TriggerError)
        -> TriggerOutcome
    {
        let childEnvironment = commandEnvironment(for: event, passing: names)
        // A listed variable read from a `NAME_FILE`, or named like a secret, is kept out of messages too.
        let passed = names.filter { environment[$0] == nil || Self.isSecretLike($0) }.compactMap {
            childEnvironment[$0]
        }
        let directory = workingDirectory
        let timeout = commandTimeout
        let limit = outputLimit
        let result: Result<ProcessRunner.Output, ProcessError>
        do {
            result = .success(
                try await ProcessRunner.run(
                    argv, in: directory, environment: childEnvironment, outputLimit: limit, timeout: timeout))
        } catch {
            result = .failure(error)
        }
        let program = argv.first ?? ""
        switch result {
        case .failure(let error):
            throw TriggerError(
                .command, target: name, status: error.status.map(Int.init),
                message: redact("\(program): \(error.message)\(tail(error.output))", also: passed))
        case .success(let output):
            guard output.status == 0 else {
                throw TriggerError(
                    .command, target: name, status: Int(output.status),
                    message: redact(
                        "\(program) exited with status \(output.status)\(tail(output.stderr))", also: passed))
            }
            return TriggerOutcome(
                target: name, detail: "exit 0", output: redact(lastLines(output.stdout), also: passed))
        }
    }

    // MARK: webhook

    /// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`: the `X-Smsync-Signature` header value.
    public static func signature(body: [UInt8], secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return "sha256="
            + code.map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined()
    }

    private func postWebhook(
        url text: String, secretEnv: String?, name: String, event: RebuildEvent
    )
        async throws(TriggerError) -> TriggerOutcome
    {
        guard text.hasPrefix("https://") || text.hasPrefix("http://"), let url = URL(string: text) else {
            throw TriggerError(.configuration, target: name, message: "the webhook URL must be http or https")
        }
        let shown = Self.withoutCredentials(text)
        let body = event.webhookBody
        var headers = [
            "Content-Type": "application/json", "User-Agent": userAgent,
            "X-Smsync-Delivery": event.deliveryID(target: name),
        ]
        if let secretEnv {
            if let secret = Secret.from(environment: environment, name: secretEnv) {
                headers["X-Smsync-Signature"] = Self.signature(body: body, secret: secret.value)
            } else {
                logger.warning(
                    "webhook secret variable is unset; sending without a signature",
                    metadata: ["smsync.trigger": .string(name), "smsync.secret_env": .string(secretEnv)])
            }
        }
        let reply: HTTPResponse
        do {
            reply = try await http.send(
                HTTPRequest(url: url, method: "POST", headers: headers, body: body, maxBytes: 64 << 10))
        } catch {
            throw TriggerError(
                .webhook, target: name,
                message: redact("POST \(shown): \(error)", also: Redactor.credentials(inURLs: [text])))
        }
        let credentials = Redactor.credentials(inURLs: [text])
        let replyText = Self.storable(redact(String(decoding: reply.body, as: UTF8.self), also: credentials))
        guard (200...299).contains(reply.status) else {
            throw TriggerError(
                .webhook, target: name, status: reply.status,
                message: redact(
                    "POST \(shown) answered \(reply.status)\(replyText.isEmpty ? "" : ": " + replyText)",
                    also: credentials))
        }
        return TriggerOutcome(target: name, detail: "HTTP \(reply.status)", output: replyText)
    }

    /// `url` with any `user:password@` removed, for messages.
    static func withoutCredentials(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<scheme.upperBound]) + "***@" + String(url[rest.index(after: at)...])
    }

    // MARK: GitHub dispatch

    private func dispatch(
        name: String, _ body: (GitHubClient) async throws(GitHubError) -> Void
    ) async throws(TriggerError) -> TriggerOutcome {
        let client: GitHubClient
        do {
            client = try GitHubClient(
                http: http, environment: environment, tokenEnv: githubTokenEnv, userAgent: userAgent)
        } catch {
            throw TriggerError(.configuration, target: name, message: redact(error.description))
        }
        guard client.hasToken else {
            throw TriggerError(
                .configuration, target: name,
                message: "a GitHub dispatch needs a token; set the environment variable \(githubTokenEnv)")
        }
        do {
            try await body(client)
        } catch {
            throw TriggerError(.dispatch, target: name, status: error.status, message: redact(error.description))
        }
        return TriggerOutcome(target: name, detail: "dispatched", output: "")
    }

    // MARK: text

    private func tail(_ text: String) -> String {
        let lines = lastLines(text)
        return lines.isEmpty ? "" : "\n" + lines
    }

    private func lastLines(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        var kept = lines.suffix(failureLines)
        while let last = kept.last, last.allSatisfy(\.isWhitespace) { kept.removeLast() }
        return kept.map { String($0.prefix(500)) }.joined(separator: "\n")
    }

    /// Every secret the runner knows of, removed from `text`: the token, the webhook secret, the variables in
    /// ``secretNames``, and every value of a variable whose name holds `SECRET`, `TOKEN`, `PASSWORD` or ends in `_KEY`.
    /// `also` holds further values to remove (variables passed to a command, credentials of a webhook URL).
    /// Raw values become `<redacted>`; their percent-encoded and base64 forms, and the usual credential patterns,
    /// are then removed by a ``Redactor``.
    func redact(_ text: String, also extra: [String] = []) -> String {
        var values = extra.filter { $0.count >= 4 }
        for (name, value) in environment where value.count >= 4 {
            if name == githubTokenEnv || secretNames.contains(name) || Self.isSecretLike(name) { values.append(value) }
        }
        var result = text
        for value in values.sorted(by: { $0.count > $1.count }) {
            result = result.replacingOccurrences(of: value, with: "<redacted>")
        }
        return Redactor(secrets: values).redact(result)
    }

    /// Bytes of a reply kept: at most ``replyLimit`` bytes of UTF-8, control characters escaped (`\n`, `\u{1b}`).
    public static let replyLimit = 2048

    /// A reply as it may be shown and stored: control characters escaped, cut to ``replyLimit`` bytes.
    static func storable(_ text: String) -> String {
        var result = ""
        var bytes = 0
        for scalar in text.unicodeScalars {
            let piece: String
            switch scalar.value {
            case 0x0A: piece = "\\n"
            case 0x0D: piece = "\\r"
            case 0x09: piece = "\\t"
            case 0..<0x20, 0x7F...0x9F: piece = "\\u{" + String(scalar.value, radix: 16) + "}"
            default: piece = String(scalar)
            }
            bytes += piece.utf8.count
            if bytes > replyLimit {
                result += "…"
                break
            }
            result += piece
        }
        return result
    }

    /// A variable name that holds `SECRET`, `TOKEN`, `PASSWORD` or ends in `_KEY`.
    static func isSecretLike(_ name: String) -> Bool {
        let upper = name.uppercased()
        return upper.contains("SECRET") || upper.contains("TOKEN") || upper.contains("PASSWORD")
            || upper.hasSuffix("_KEY")
    }
}
