import Foundation
import Logging
import SMSync

/// How the read-sources step treats the state database.
public enum SourceReadMode: Sendable, Hashable {
    /// `sync`: every fetch goes into the run's history, and each source's release and inputs are recorded as
    /// processed (what decides updates, pull requests and triggers), with its health.
    case process(runID: Int64)
    /// `diff` and `apply`: conditional requests with the stored validators; new bodies and validators go into the
    /// shared HTTP cache only. Nothing that `sync` treats as processed moves.
    case look
    /// `--offline`: no request at all; HTTP sources are the releases the last sync read.
    case offline
}

/// One source after the read-sources step.
public struct SourceRead: Sendable {
    public var config: SourceConfig
    public var release: UpstreamRelease
    public var origin: SourceOrigin
    public var changed: Bool
    public var requests: Int
}

/// The read-sources step's result: the releases in configuration order, and the sources that failed.
public struct SourcesRead: Sendable {
    public var sources: [SourceRead]
    public var failures: [SourceFailure]

    public var releases: [SourceRelease] { sources.map { SourceRelease(config: $0.config, release: $0.release) } }
    public var anyChanged: Bool { sources.contains { $0.changed } }
}

/// The steps `diff`, `apply` and `sync` share, in order: read sources → drift → plan → write / publish → trigger →
/// record. `diff` runs the first two, `apply` the first three and writes local files, `sync` runs them all
/// (``SyncRunner``). The pure steps (drift, plan) come from `SMSync`; this type holds the seams the others need:
/// the workspace, the state database (when there is one), one HTTP client and the secrets.
public struct Pipeline: Sendable {
    public var workspace: Workspace
    public var store: StateStore?
    /// One client for the whole command, so the per-host cap and the retry budget hold across steps.
    public var http: HTTPClient
    public var secrets: Secrets
    public var environment: [String: String]
    public var logger: Logger
    public var now: @Sendable () -> Date
    /// The availability lookup; nil for the one ``makeAvailabilityLookup(configuration:http:cacheDirectory:secrets:)``
    /// makes.
    public var availabilityLookup: (any AvailabilityLookup)?

    public var configuration: Configuration { workspace.configuration }

    public init(
        workspace: Workspace, store: StateStore?, version: String, environment: [String: String],
        logger: Logger = Logger(label: "smsync", factory: { _ in SwiftLogNoOpLogHandler() }),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.workspace = workspace
        self.store = store
        self.http = HTTPClient(
            policy: HTTPPolicy(from: workspace.configuration.http, userAgent: "smsync/\(version)"))
        self.secrets = Secrets(environment: environment)
        self.environment = environment
        self.logger = logger
        self.now = now
    }

    /// The environment variables that may hold secrets for a configuration (their values are redacted).
    public static func secretNames(_ configuration: Configuration) -> [String] {
        var names = [configuration.githubTokenEnv]
        if let github = configuration.pullRequest.github { names.append(github.tokenEnv) }
        for target in configuration.rebuild {
            if case .webhook(_, let secretEnv?) = target.action { names.append(secretEnv) }
        }
        for name in configuration.availability.secretNames where !names.contains(name) { names.append(name) }
        return names
    }

    /// Opens the state database of `configuration` when it exists (`create` opens or creates it).
    public static func openState(
        _ configuration: Configuration, environment: [String: String], create: Bool
    ) throws(StateError) -> StateStore? {
        let path = StateStore.defaultPath(configured: configuration.statePath, environment: environment)
        guard create || FileManager.default.fileExists(atPath: path) else { return nil }
        return try StateStore(path: path, secrets: secretValues(configuration, environment: environment))
    }

    /// Every secret value of a run, for its redactor: the values of ``secretNames(_:)`` and the credentials held
    /// in the configured URLs (user info, credential parameters, token-like path segments).
    public static func secretValues(_ configuration: Configuration, environment: [String: String]) -> [String] {
        let secrets = Secrets(environment: environment)
        var urls = configuration.sources.map(\.url)
        for target in configuration.rebuild {
            if case .webhook(let url, _) = target.action { urls.append(url) }
        }
        return secretNames(configuration).compactMap { secrets.value($0) } + Redactor.credentials(inURLs: urls)
    }

    // MARK: - Step 1: read sources

    /// The one place a source kind meets its reader: local files through ``LocalSources``, HTTP through the
    /// ``SourcePoller`` (which switches over the kind once), both behind the same cache.
    public func poller() -> SourcePoller {
        let limits = UpstreamLimits(
            maxBytesPerFile: configuration.http.maxBytes, maxTreeBytes: configuration.http.maxArchiveBytes * 4)
        let maxArchiveBytes = configuration.http.maxArchiveBytes
        let cache: any SourceCache = store.map { StateSourceCache(store: $0) } ?? NoSourceCache()
        var githubEnvironment = environment
        if let token = secrets.value(configuration.githubTokenEnv) {
            githubEnvironment[configuration.githubTokenEnv] = token
        }
        let http = self.http
        let github = Result { () throws(GitHubError) -> GitHubClient in
            try GitHubClient(
                http: http, environment: githubEnvironment, tokenEnv: configuration.githubTokenEnv,
                userAgent: http.policy.userAgent)
        }
        return SourcePoller(
            http: http, github: github, cache: cache, limits: limits, maxArchiveBytes: maxArchiveBytes,
            extract: { archive, directory in
                _ = try await ArchiveExtractor.extract(
                    tarGz: archive, into: directory,
                    limits: ArchiveLimits(maxTotalBytes: maxArchiveBytes * 4, maxFiles: 200_000, maxPathLength: 1024))
            })
    }

    /// Reads every configured source; a source that fails is reported and the others go on.
    public func readSources(_ mode: SourceReadMode) async -> SourcesRead {
        let poller = poller()
        var read = SourcesRead(sources: [], failures: [])
        for source in configuration.sources {
            var sourceLogger = logger
            sourceLogger[metadataKey: "smsync.source"] = "\(source.name)"
            do {
                let result: SourceRead
                if mode == .offline, configuration.localPath(of: source) == nil || source.repo != nil {
                    result = try offline(source)
                } else {
                    let polled = try await poller.poll(source, configuration: configuration)
                    record(polled, source: source, mode: mode)
                    result = SourceRead(
                        config: source, release: polled.release, origin: polled.origin, changed: polled.changed,
                        requests: polled.requests)
                }
                sourceLogger.info(
                    "source read",
                    metadata: [
                        "smsync.changed": "\(result.changed)", "smsync.requests": "\(result.requests)",
                        "smsync.release": "\(result.release.release ?? "-")",
                    ])
                read.sources.append(result)
            } catch {
                let description: String = error.description
                let message: String = store.map { $0.redactor.redact(description) } ?? description
                if case .process(let runID) = mode {
                    try? store?.recordSourceResult(
                        runID: runID, source: source.name, ok: false, message: message, at: now())
                }
                sourceLogger.error("source failed", metadata: ["smsync.error": "\(message)"])
                read.failures.append(SourceFailure(source: source.name, error: error))
            }
        }
        return read
    }

    /// The release the last sync read for an HTTP source, with when and in which run.
    func offline(_ source: SourceConfig) throws(UpstreamError) -> SourceRead {
        let kind = source.upstreamKind
        guard let store else {
            throw UpstreamError(
                .unreadable, source: kind, location: source.url, message: "offline, and there is no state database")
        }
        guard let stored = try? store.lastRelease(source: source.name), let release = try? store.decodeRelease(stored)
        else {
            throw UpstreamError(
                .unreadable, source: kind, location: source.url,
                message: "offline, and no sync has read this source yet; run `smsync sync` (or drop --offline)")
        }
        let health = (try? store.sourceHealth())?.first { $0.source == source.name }
        return SourceRead(
            config: source, release: release,
            origin: .offline(at: health?.lastSuccess ?? stored.lastSeen, runID: health?.lastRunID), changed: false,
            requests: 0)
    }

    /// Writes what a read leaves behind: the HTTP cache always; history, the processed release and inputs, and
    /// the source's health only for `sync`.
    func record(_ polled: PolledSource, source: SourceConfig, mode: SourceReadMode) {
        guard let store else { return }
        let runID: Int64?
        switch mode {
        case .process(let id): runID = id
        case .look: runID = nil
        case .offline: return
        }
        for fetch in polled.fetches {
            try? store.recordFetch(
                runID: runID, url: fetch.url, status: fetch.status, etag: fetch.etag,
                lastModified: fetch.lastModified, digest: fetch.digest, at: now(), body: fetch.body)
        }
        if polled.parsed, let fingerprint = polled.fingerprint {
            try? store.recordSourceRead(
                source: source.name, fingerprint: fingerprint, release: polled.release, at: now())
        }
        guard let runID else { return }
        if polled.changed, let payload = try? store.encode(polled.release) {
            _ = try? store.recordRelease(
                source: source.name, kind: source.kind.rawValue, releaseID: polled.release.release,
                digest: "sha256:" + SHA256Digest.hex(Array(payload)), payload: payload, at: now())
        }
        if let fingerprint = polled.fingerprint {
            try? store.recordSourceInputs(source: source.name, fingerprint: fingerprint, runID: runID, at: now())
        }
        try? store.recordSourceResult(runID: runID, source: source.name, ok: true, message: nil, at: now())
    }

    // MARK: - Steps 2 and 3: drift and plan (pure)

    /// Compares the kernels (the workspace's, unless `local` gives others: a pull-request run's base-branch files)
    /// with the releases.
    public func drift(_ releases: [SourceRelease], local: [LocalKernel]? = nil) -> DriftReport {
        DriftEngine(configuration: configuration).diff(local: local ?? workspace.kernels, releases: releases)
    }

    /// The edits that make every update of `report`, on the same kernels the report was made from.
    public func plan(_ report: DriftReport, local: [LocalKernel]? = nil) throws(PlanError) -> ApplyPlan {
        try ApplyPlan(
            report: report, local: local ?? workspace.kernels, branchPrefix: configuration.pullRequest.branchPrefix)
    }
}

/// No state database: every request is unconditional and nothing was processed before.
struct NoSourceCache: SourceCache {
    func cachedFetch(url: String) throws -> CachedFetch? { nil }
    func cachedBody(url: String) throws -> [UInt8]? { nil }
    func cachedRelease(source: String) throws -> UpstreamRelease? { nil }
    func processedInputs(source: String) throws -> String? { nil }
    func parsedRelease(source: String, fingerprint: String) throws -> UpstreamRelease? { nil }
}

extension SourceOrigin {
    /// One line for a report header: where a source's data came from, and when.
    public func describe(now: Date) -> String {
        switch self {
        case .local: return "local files"
        case .fetched: return "fetched now"
        case .notModified: return "not modified (304), from the cache"
        case .offline(let at, let runID):
            var text = "offline: as read"
            if let at { text += " " + Self.age(now.timeIntervalSince(at)) + " ago" }
            if let runID { text += " by run \(runID)" }
            return text
        }
    }

    /// The short name used in JSON.
    public var name: String {
        switch self {
        case .local: "local"
        case .fetched: "fetched"
        case .notModified: "not-modified"
        case .offline: "offline"
        }
    }

    static func age(_ seconds: TimeInterval) -> String {
        let seconds = max(0, seconds)
        if seconds < 60 { return "\(Int(seconds)) s" }
        if seconds < 3600 { return "\(Int(seconds / 60)) min" }
        if seconds < 86400 { return "\(Int(seconds / 3600)) h" }
        return "\(Int(seconds / 86400)) d"
    }
}
