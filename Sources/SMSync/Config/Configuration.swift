import Foundation
import Yams

/// How big a version change is, for the policy. A Python minor bump (3.10 → 3.11) counts as `major`.
public enum ChangeKind: String, Sendable, Hashable, CaseIterable {
    case major
    case minor
    case patch
    case downgrade
    case same
    /// Versions that do not split into numbers (`2021a` → `2021b`).
    case other
}

/// What smsync may change: the kinds of change applied, packages never touched, and whether to go down.
public struct Policy: Sendable, Hashable {
    public var update: Set<ChangeKind>
    public var ignore: [String]
    public var downgrade: Bool

    public static let `default` = Policy(update: [.patch, .minor], ignore: [], downgrade: false)

    public init(update: Set<ChangeKind>, ignore: [String], downgrade: Bool) {
        self.update = update
        self.ignore = ignore
        self.downgrade = downgrade
    }
}

/// One upstream source in `sources:`; precedence follows their order.
public struct SourceConfig: Sendable, Hashable {
    /// The kinds a configuration may name: the upstream readers'.
    public static let kinds = UpstreamSourceKind.allCases.map(\.rawValue)

    /// `aws-docs`, `env-export`, `distribution`, `sdk-changelog` or `examples`: which reader reads it.
    public var kind: UpstreamSourceKind
    /// A `file://` URL, an `http(s)://` URL, or a path relative to the configuration file.
    public var url: String
    /// The kernels it speaks for; nil means its default (the kernels it names, or every local kernel).
    public var kernels: [String]?
    /// A label for reports (default: the kind, numbered when repeated).
    public var name: String
    /// examples: the file holding the pinned commit id, relative to the configuration file.
    public var pinFile: String?
    /// examples: the branch whose head is followed; distribution: the image major version folder (`v4`).
    public var branch: String?
    /// GitHub `owner/name` for sources read through the GitHub API (distribution, examples).
    public var repo: String?
    /// distribution: which column of `RELEASE.md` to read (`cpu` or `gpu`).
    public var variant: String?

    /// The reader for `kind` (the same value; kept for callers written when `kind` was text).
    public var upstreamKind: UpstreamSourceKind { kind }

    public init(
        kind: UpstreamSourceKind, url: String, kernels: [String]? = nil, name: String, pinFile: String? = nil,
        branch: String? = nil, repo: String? = nil, variant: String? = nil
    ) {
        self.kind = kind
        self.url = url
        self.kernels = kernels
        self.name = name
        self.pinFile = pinFile
        self.branch = branch
        self.repo = repo
        self.variant = variant
    }
}

/// A rebuild trigger, fired once per change for the kernels it names.
public struct RebuildTarget: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        case command([String])
        case webhook(url: String, secretEnv: String?)
        case repositoryDispatch(repo: String, eventType: String)
        case workflowDispatch(repo: String, workflow: String, ref: String)
    }

    /// Kernels whose change fires it (`examples` for a new examples commit); nil means every kernel.
    public var kernels: [String]?
    public var action: Action
    /// A stable label for state and reports.
    public var name: String
    /// `env:`: variables passed to a command besides its minimal environment (names only; each value comes
    /// from the environment or the file named by `NAME_FILE`).
    public var env: [String] = []
}

/// `pull_request:`: the branch name and, optionally, the GitHub repository to open pull requests in.
public struct PullRequestConfig: Sendable, Hashable {
    public var branchPrefix: String
    public var github: GitHubPullRequest?

    public struct GitHubPullRequest: Sendable, Hashable {
        public var repo: String
        public var base: String
        public var tokenEnv: String
    }
}

/// `http:`: bounds on every fetch.
public struct HTTPConfig: Sendable, Hashable {
    public var timeoutSeconds: Double = 30
    public var connectTimeoutSeconds: Double = 10
    public var retries: Int = 3
    public var maxBytes: Int = 16 << 20
    public var maxArchiveBytes: Int = 512 << 20
    public var perHost: Int = 4
    /// `http.deny_networks`: no request or redirect hop may go to an address in these networks.
    public var denyNetworks: [IPNetwork] = IPNetwork.defaultDenied
}

/// `smsync.yml`, read strictly: unknown keys, wrong types and missing files are errors with key path and line.
public struct Configuration: Sendable {
    /// The configuration file's path, as given.
    public var file: String
    /// The folder relative paths are resolved against.
    public var baseDirectory: String
    /// `envs.dir`, resolved.
    public var envsDirectory: String?
    /// `envs.kernels`, resolved: explicit kernel → file mappings, in file order.
    public var explicitKernels: [(kernel: String, file: String)]
    /// `state` (or `state.path`), resolved; nil for the default location.
    public var statePath: String?
    /// `state.retention_days`: runs older than this are deleted at the end of each sync (default 90).
    public var stateRetentionDays: Double = 90
    /// `sync.deadline_seconds`: the longest one `smsync sync` run may take, polling, parsing, the pull request
    /// and the triggers included (default 1800). When it passes the run stops, leaves its triggers pending and
    /// exits 3 (while reading sources) or 5 (after).
    public var syncDeadlineSeconds: Double = 1800
    public var sources: [SourceConfig]
    public var policy: Policy
    /// Extra alias groups: names that are one package (`[pytorch, torch]`).
    public var aliases: [[String]]
    public var rebuild: [RebuildTarget]
    public var pullRequest: PullRequestConfig
    public var http: HTTPConfig
    /// The environment variable holding a GitHub token for API reads (default `GITHUB_TOKEN`).
    public var githubTokenEnv: String
    /// `availability:`: whether proposed updates are checked against the env's channels and the package index.
    public var availability = AvailabilityConfig()

    /// Reads a configuration from its text. `file` is used in messages and to resolve relative paths.
    public init(text: String, file: String) throws(ConfigError) {
        self.file = file
        self.baseDirectory = Self.directory(of: file)
        let root: Node?
        try YAMLBudget.check(text) { ConfigError(path: file, keyPath: "", line: $0, $1) }
        do {
            root = try Yams.compose(yaml: text, .default, .default, .utf8)
        } catch let error as YamlError {
            throw Self.translate(error, file: file)
        } catch {
            throw ConfigError(path: file, keyPath: "", line: nil, "\(error)")
        }
        guard let root else { throw ConfigError(path: file, keyPath: "", line: 1, "the file is empty") }
        let top = ConfigNode(node: root, keyPath: "", file: file)
        var envsDirectory: String?
        var explicitKernels: [(kernel: String, file: String)] = []
        var statePath: String?
        var sources: [SourceConfig] = []
        var policy = Policy.default
        var aliases: [[String]] = []
        var rebuild: [RebuildTarget] = []
        var pullRequest = PullRequestConfig(branchPrefix: "smsync/", github: nil)
        var http = HTTPConfig()
        var githubTokenEnv = "GITHUB_TOKEN"
        var stateRetentionDays = 90.0
        var syncDeadlineSeconds = 1800.0
        var availability = AvailabilityConfig()
        let base = baseDirectory
        for (key, value) in try top.mapping(allowed: [
            "envs", "state", "sources", "policy", "aliases", "rebuild", "pull_request", "http", "github", "sync",
            "availability",
        ]) {
            switch key {
            case "envs":
                for (envKey, envValue) in try value.mapping(allowed: ["dir", "kernels"]) {
                    if envKey == "dir" {
                        envsDirectory = Self.resolve(try envValue.string(), against: base)
                    } else {
                        for (kernel, path) in try envValue.namedEntries() {
                            explicitKernels.append((kernel, Self.resolve(try path.string(), against: base)))
                        }
                    }
                }
            case "state":
                if value.node.mapping == nil {
                    statePath = Self.resolve(try value.string(), against: base)
                } else {
                    for (stateKey, stateValue) in try value.mapping(allowed: ["path", "retention_days"]) {
                        if stateKey == "path" {
                            statePath = Self.resolve(try stateValue.string(), against: base)
                        } else {
                            stateRetentionDays = Double(try stateValue.int(in: 1...36_500))
                        }
                    }
                }
            case "sync":
                for (syncKey, syncValue) in try value.mapping(allowed: ["deadline_seconds"])
                where syncKey == "deadline_seconds" {
                    let seconds = try syncValue.number(
                        in: -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude)
                    guard seconds > 0, seconds <= 604_800 else {
                        throw syncValue.error(
                            "must be a number of seconds above 0 and at most 604800 (a week), not \(seconds)")
                    }
                    syncDeadlineSeconds = seconds
                }
            case "sources":
                sources = try Self.readSources(value)
            case "policy":
                policy = try Self.readPolicy(value)
            case "aliases":
                for (name, others) in try value.namedEntries() {
                    let group = others.node.sequence == nil ? [try others.string()] : try others.strings()
                    aliases.append([name] + group)
                }
            case "rebuild":
                rebuild = try Self.readRebuild(value)
            case "pull_request":
                pullRequest = try Self.readPullRequest(value)
            case "http":
                http = try Self.readHTTP(value)
            case "availability":
                availability = try Self.readAvailability(value, base: base)
            case "github":
                for (githubKey, githubValue) in try value.mapping(allowed: ["token_env"]) where githubKey == "token_env"
                {
                    githubTokenEnv = try Self.environmentName(githubValue)
                }
            default:
                break
            }
        }
        guard envsDirectory != nil || !explicitKernels.isEmpty else {
            throw ConfigError(path: file, keyPath: "envs", line: nil, "give `envs.dir` or `envs.kernels`")
        }
        self.envsDirectory = envsDirectory
        self.explicitKernels = explicitKernels
        self.statePath = statePath
        self.stateRetentionDays = stateRetentionDays
        self.syncDeadlineSeconds = syncDeadlineSeconds
        self.sources = sources
        self.policy = policy
        self.aliases = aliases
        self.rebuild = rebuild
        self.pullRequest = pullRequest
        self.http = http
        self.githubTokenEnv = githubTokenEnv
        self.availability = availability
    }

    private static func readAvailability(
        _ value: ConfigNode, base: String
    ) throws(ConfigError)
        -> AvailabilityConfig
    {
        var config = AvailabilityConfig()
        let allowed: Set<String> = [
            "enabled", "platforms", "channel_priority", "channel_alias", "defaults", "channels", "pip_index",
            "pip_index_token_env", "check", "glibc", "cache_dir", "concurrency",
        ]
        func channelURL(_ node: ConfigNode) throws(ConfigError) -> String {
            let text = try node.string()
            guard AvailabilityConfig.isChannelURL(text) else {
                throw node.error("must be an http://, https:// or file:// URL, not \(text.debugDescription)")
            }
            return AvailabilityConfig.trimmed(text)
        }
        for (key, field) in try value.mapping(allowed: allowed) {
            switch key {
            case "enabled": config.enabled = try field.bool()
            case "platforms":
                var platforms: [String] = []
                for item in try field.list() {
                    let text = try item.string()
                    guard AvailabilityConfig.knownPlatforms.contains(text) else {
                        let known = AvailabilityConfig.knownPlatforms.sorted().joined(separator: ", ")
                        throw item.error("unknown platform \(text.debugDescription); one of \(known)")
                    }
                    if !platforms.contains(text) { platforms.append(text) }
                }
                guard !platforms.isEmpty else { throw field.error("name at least one platform") }
                config.platforms = platforms
            case "channel_priority":
                let text = try field.string()
                guard let priority = AvailabilityConfig.ChannelPriority(rawValue: text) else {
                    throw field.error("must be strict or flexible, not \(text.debugDescription)")
                }
                config.channelPriority = priority
            case "channel_alias": config.channelAlias = try channelURL(field)
            case "defaults":
                var urls: [String] = []
                for item in try field.list() { urls.append(try channelURL(item)) }
                config.defaults = urls
            case "channels":
                var channels: [AvailabilityConfig.Channel] = []
                for item in try field.list() {
                    var url: String?
                    var tokenEnv: String?
                    for (channelKey, channelValue) in try item.mapping(allowed: ["url", "token_env"]) {
                        if channelKey == "url" {
                            url = try channelURL(channelValue)
                        } else {
                            tokenEnv = try environmentName(channelValue)
                        }
                    }
                    guard let url else { throw item.error("a channel needs `url`") }
                    channels.append(AvailabilityConfig.Channel(url: url, tokenEnv: tokenEnv))
                }
                config.channels = channels
            case "pip_index": config.pipIndex = try channelURL(field)
            case "pip_index_token_env": config.pipIndexTokenEnv = try environmentName(field)
            case "check":
                for (kind, flag) in try field.mapping(allowed: ["conda", "pip"]) {
                    if kind == "conda" {
                        config.checkConda = try flag.bool()
                    } else {
                        config.checkPip = try flag.bool()
                    }
                }
            case "glibc":
                let text = try field.string()
                let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
                guard parts.count == 2, let major = parts[0], let minor = parts[1], major >= 1, minor >= 0 else {
                    throw field.error("must be a glibc version like 2.34, not \(text.debugDescription)")
                }
                config.glibc = [major, minor]
            case "cache_dir": config.cacheDirectory = resolve(try field.string(), against: base)
            case "concurrency": config.concurrency = try field.int(in: 1...32)
            default: break
            }
        }
        return config
    }

    private static func readSources(_ value: ConfigNode) throws(ConfigError) -> [SourceConfig] {
        var sources: [SourceConfig] = []
        var seen: [String: Int] = [:]
        for item in try value.list() {
            var kind: UpstreamSourceKind?
            var url: String?
            var kernels: [String]?
            var name: String?
            var pinFile: String?
            var branch: String?
            var repo: String?
            var variant: String?
            let allowed: Set<String> = ["kind", "url", "kernels", "name", "pin_file", "branch", "repo", "variant"]
            for (key, field) in try item.mapping(allowed: allowed) {
                switch key {
                case "kind":
                    let text = try field.string()
                    guard let known = UpstreamSourceKind(rawValue: text) else {
                        throw field.error("unknown source kind \(text.debugDescription); one of \(SourceConfig.kinds)")
                    }
                    kind = known
                case "url": url = try field.string()
                case "kernels": kernels = try field.strings()
                case "name": name = try field.string()
                case "pin_file": pinFile = try field.string()
                case "branch": branch = try field.string()
                case "repo":
                    let text = try field.string()
                    guard isRepoName(text) else { throw field.error("must be `owner/name`") }
                    repo = text
                case "variant":
                    let text = try field.string()
                    guard ["cpu", "gpu"].contains(text) else { throw field.error("must be cpu or gpu") }
                    variant = text
                default: break
                }
            }
            guard let kind else { throw item.error("a source needs `kind`") }
            guard let url else { throw item.error("a source needs `url`") }
            seen[kind.rawValue, default: 0] += 1
            let count = seen[kind.rawValue, default: 1]
            let label = name ?? (count > 1 ? "\(kind.rawValue)#\(count)" : kind.rawValue)
            sources.append(
                SourceConfig(
                    kind: kind, url: url, kernels: kernels, name: label, pinFile: pinFile, branch: branch, repo: repo,
                    variant: variant))
        }
        return sources
    }

    private static func readPolicy(_ value: ConfigNode) throws(ConfigError) -> Policy {
        var policy = Policy.default
        for (key, field) in try value.mapping(allowed: ["update", "ignore", "downgrade"]) {
            switch key {
            case "update":
                var kinds: Set<ChangeKind> = []
                for item in try field.list() {
                    let text = try item.string()
                    guard let kind = ChangeKind(rawValue: text), [.major, .minor, .patch, .other].contains(kind) else {
                        throw item.error("unknown change kind \(text.debugDescription); use major, minor, patch, other")
                    }
                    kinds.insert(kind)
                }
                policy.update = kinds
            case "ignore": policy.ignore = try field.strings()
            case "downgrade": policy.downgrade = try field.bool()
            default: break
            }
        }
        return policy
    }

    private static func readRebuild(_ value: ConfigNode) throws(ConfigError) -> [RebuildTarget] {
        var targets: [RebuildTarget] = []
        for (index, item) in try value.list().enumerated() {
            var kernels: [String]?
            var action: RebuildTarget.Action?
            var name: String?
            var env: [String] = []
            var envNode: ConfigNode?
            let allowed: Set<String> = ["kernels", "command", "webhook", "github_dispatch", "name", "env"]
            for (key, field) in try item.mapping(allowed: allowed) {
                switch key {
                case "kernels": kernels = try field.strings()
                case "env":
                    envNode = field
                    for entry in try field.list() {
                        let variable = try environmentName(entry)
                        guard !env.contains(variable) else { throw entry.error("is listed twice") }
                        env.append(variable)
                    }
                case "name": name = try field.string()
                case "command":
                    guard action == nil else { throw field.error("one of command, webhook, github_dispatch per entry") }
                    let argv = try field.strings()
                    guard !argv.isEmpty, !argv[0].isEmpty else { throw field.error("must be a non-empty argv list") }
                    action = .command(argv)
                case "webhook":
                    guard action == nil else { throw field.error("one of command, webhook, github_dispatch per entry") }
                    var url: String?
                    var secretEnv: String?
                    for (hookKey, hookValue) in try field.mapping(allowed: ["url", "secret_env"]) {
                        if hookKey == "url" {
                            url = try hookValue.string()
                        } else {
                            secretEnv = try environmentName(hookValue)
                        }
                    }
                    guard let url, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                        throw field.error("needs `url` (http or https)")
                    }
                    action = .webhook(url: url, secretEnv: secretEnv)
                case "github_dispatch":
                    guard action == nil else { throw field.error("one of command, webhook, github_dispatch per entry") }
                    var fields: [String: String] = [:]
                    for (dispatchKey, dispatchValue) in try field.mapping(allowed: [
                        "repo", "event_type", "workflow", "ref",
                    ]) {
                        fields[dispatchKey] = try dispatchValue.string()
                    }
                    guard let repo = fields["repo"], isRepoName(repo) else {
                        throw field.error("needs `repo: owner/name`")
                    }
                    if let workflow = fields["workflow"] {
                        action = .workflowDispatch(repo: repo, workflow: workflow, ref: fields["ref"] ?? "main")
                    } else if let eventType = fields["event_type"] {
                        action = .repositoryDispatch(repo: repo, eventType: eventType)
                    } else {
                        throw field.error("needs `event_type` (repository_dispatch) or `workflow` (workflow_dispatch)")
                    }
                default: break
                }
            }
            guard let action else { throw item.error("needs one of command, webhook, github_dispatch") }
            if let envNode {
                guard case .command = action else { throw envNode.error("applies to `command` entries only") }
            }
            targets.append(
                RebuildTarget(kernels: kernels, action: action, name: name ?? "rebuild-\(index + 1)", env: env))
        }
        return targets
    }

    private static func readPullRequest(_ value: ConfigNode) throws(ConfigError) -> PullRequestConfig {
        var config = PullRequestConfig(branchPrefix: "smsync/", github: nil)
        for (key, field) in try value.mapping(allowed: ["branch_prefix", "github"]) {
            if key == "branch_prefix" {
                let prefix = try field.string()
                guard isSafeRefPart(prefix) else { throw field.error("must be a valid git branch prefix") }
                config.branchPrefix = prefix
            } else {
                var repo: String?
                var base = "main"
                var tokenEnv = "GITHUB_TOKEN"
                for (githubKey, githubValue) in try field.mapping(allowed: ["repo", "base", "token_env"]) {
                    switch githubKey {
                    case "repo": repo = try githubValue.string()
                    case "base": base = try githubValue.string()
                    default: tokenEnv = try environmentName(githubValue)
                    }
                }
                guard let repo, isRepoName(repo) else { throw field.error("needs `repo: owner/name`") }
                config.github = .init(repo: repo, base: base, tokenEnv: tokenEnv)
            }
        }
        return config
    }

    private static func readHTTP(_ value: ConfigNode) throws(ConfigError) -> HTTPConfig {
        var http = HTTPConfig()
        let allowed: Set<String> = [
            "timeout_seconds", "connect_timeout_seconds", "retries", "max_bytes", "max_archive_bytes", "per_host",
            "deny_networks",
        ]
        for (key, field) in try value.mapping(allowed: allowed) {
            switch key {
            case "timeout_seconds": http.timeoutSeconds = try field.number(in: 0.05...3600)
            case "connect_timeout_seconds": http.connectTimeoutSeconds = try field.number(in: 0.05...600)
            case "retries": http.retries = try field.int(in: 0...10)
            case "max_bytes": http.maxBytes = try field.int(in: 1024...(1 << 31))
            case "max_archive_bytes": http.maxArchiveBytes = try field.int(in: 1024...(1 << 34))
            case "per_host": http.perHost = try field.int(in: 1...16)
            case "deny_networks":
                var networks: [IPNetwork] = []
                for item in try field.list() {
                    let text = try item.string()
                    do {
                        networks.append(try IPNetwork(parsing: text))
                    } catch {
                        throw item.error(error.message)
                    }
                }
                http.denyNetworks = networks
            default: break
            }
        }
        return http
    }

    private static func environmentName(_ value: ConfigNode) throws(ConfigError) -> String {
        let name = try value.string()
        let valid =
            !name.isEmpty && !(0x30...0x39).contains(name.utf8.first ?? 0)
            && name.utf8.allSatisfy {
                (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F
            }
        guard valid else { throw value.error("must be an environment variable name") }
        return name
    }

    /// A GitHub `owner/name`: two parts of letters, digits, `-`, `_`, `.` (at most 100 each, not `.` or `..`).
    /// The one rule for repository names, here and in the GitHub client.
    public static func isRepoName(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2
            && parts.allSatisfy { part in
                !part.isEmpty && part != "." && part != ".." && part.utf8.count <= 100
                    && part.utf8.allSatisfy {
                        (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0)
                            || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E
                    }
            }
    }

    static func isSafeRefPart(_ text: String) -> Bool {
        !text.isEmpty && !text.contains("..") && !text.hasPrefix("-") && !text.hasPrefix("/")
            && text.utf8.allSatisfy {
                (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0)
                    || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E || $0 == 0x2F
            }
    }

    private static func translate(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return ConfigError(path: file, keyPath: "", line: mark.line, "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(
                path: file, keyPath: duplicates.joined(separator: ", "), line: context.mark.line, "duplicate key")
        default:
            return ConfigError(path: file, keyPath: "", line: nil, "not valid YAML: \(error)")
        }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// A path relative to the configuration file's folder, or absolute as given; `file://` URLs become paths, and
    /// `~` or a leading `~/` is the home folder (`HOME`, as a shell expands it; `~user` is not expanded).
    public static func resolve(_ path: String, against base: String) -> String {
        var path = path
        if path.hasPrefix("file://") { path = String(path.dropFirst("file://".count)) }
        if path.hasPrefix("/") { return path }
        if path == "~" || path.hasPrefix("~/") {
            let home =
                ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            let folder = home.count > 1 && home.hasSuffix("/") ? String(home.dropLast()) : home
            return folder + path.dropFirst()
        }
        return base == "." ? path : "\(base)/\(path)"
    }

    /// A source URL or path as a local path, or nil when it is an http(s) URL.
    public func localPath(of source: SourceConfig) -> String? {
        if source.url.hasPrefix("http://") || source.url.hasPrefix("https://") { return nil }
        return Self.resolve(source.url, against: baseDirectory)
    }
}
