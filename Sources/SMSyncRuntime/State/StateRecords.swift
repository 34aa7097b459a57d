import Foundation
import SMSync

/// How a `sync` run ended. The raw values are what the database and the JSON reports hold.
public enum RunOutcome: String, Sendable, Hashable, CaseIterable {
    /// Nothing to change, nothing failed.
    case success
    /// Changes were applied, proposed or triggered, and nothing failed.
    case changes
    /// At least one upstream source failed or could not be read.
    case upstreamFailed = "upstream-failed"
    /// At least one rebuild trigger failed.
    case triggerFailed = "trigger-failed"
    /// Opening or updating the pull request failed.
    case pullRequestFailed = "pull-request-failed"
    /// Any other failure (the message says which).
    case failed
    /// The run was stopped before it finished: by SIGTERM or SIGINT (recorded by the run itself), or its process
    /// died (killed, crashed, power lost; set by a later run that holds the lock, through
    /// ``StateStore/closeUnfinishedRuns(endedAt:)``). Its triggers stay pending.
    case interrupted
    /// The run passed `sync.deadline_seconds` and was stopped; its triggers stay pending.
    case timedOut = "timed-out"

    /// The process exit code `smsync sync` uses for this outcome.
    public var exitCode: Int32 {
        switch self {
        case .success, .changes: 0
        case .upstreamFailed: 3
        case .triggerFailed, .pullRequestFailed: 5
        case .timedOut: 5
        case .failed, .interrupted: 1
        }
    }
}

/// What one run counted.
public struct RunCounts: Sendable, Hashable {
    public var updates: Int
    public var held: Int
    public var blocked: Int
    public var sourcesFailed: Int
    public var triggersFired: Int
    public var triggersFailed: Int

    public static let zero = RunCounts()

    public init(
        updates: Int = 0, held: Int = 0, blocked: Int = 0, sourcesFailed: Int = 0, triggersFired: Int = 0,
        triggersFailed: Int = 0
    ) {
        self.updates = updates
        self.held = held
        self.blocked = blocked
        self.sourcesFailed = sourcesFailed
        self.triggersFired = triggersFired
        self.triggersFailed = triggersFailed
    }
}

/// One `sync` run as the database holds it. A run without `endedAt` is still going, or was killed.
public struct RunRecord: Sendable, Hashable {
    public var id: Int64
    public var startedAt: Date
    public var endedAt: Date?
    public var pid: Int32
    public var host: String
    public var dryRun: Bool
    /// nil while the run has not finished (or never will: it was killed).
    public var outcome: RunOutcome?
    public var counts: RunCounts
    public var message: String?

    public init(
        id: Int64, startedAt: Date, endedAt: Date?, pid: Int32, host: String, dryRun: Bool, outcome: RunOutcome?,
        counts: RunCounts, message: String?
    ) {
        self.id = id
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.pid = pid
        self.host = host
        self.dryRun = dryRun
        self.outcome = outcome
        self.counts = counts
        self.message = message
    }
}

/// What the last usable fetch of a URL returned: the validators and digest for the next conditional request.
public struct FetchRecord: Sendable, Hashable {
    /// The URL, with credentials in it redacted (see ``Redactor``).
    public var url: String
    public var etag: String?
    public var lastModified: String?
    /// The digest of the content last received in full (`sha256:…`).
    public var digest: String?
    /// 200-class or 304: failed fetches do not replace the record.
    public var status: Int
    public var fetchedAt: Date
    public var runID: Int64

    public init(
        url: String, etag: String?, lastModified: String?, digest: String?, status: Int, fetchedAt: Date, runID: Int64
    ) {
        self.url = url
        self.etag = etag
        self.lastModified = lastModified
        self.digest = digest
        self.status = status
        self.fetchedAt = fetchedAt
        self.runID = runID
    }
}

/// An upstream release as stored: its id, content digest and the parsed release (JSON of ``UpstreamRelease``).
public struct StoredRelease: Sendable, Hashable {
    public var source: String
    public var kind: String
    public var releaseID: String?
    public var digest: String
    public var payload: Data
    /// When this content was first seen.
    public var firstSeen: Date
    /// When this content was last seen (it may come back after another release).
    public var lastSeen: Date

    public init(
        source: String, kind: String, releaseID: String?, digest: String, payload: Data, firstSeen: Date,
        lastSeen: Date
    ) {
        self.source = source
        self.kind = kind
        self.releaseID = releaseID
        self.digest = digest
        self.payload = payload
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }
}

/// How one source has fared over the runs.
public struct SourceHealth: Sendable, Hashable {
    public var source: String
    public var lastSuccess: Date?
    public var lastFailure: Date?
    /// The message of the last failure, redacted.
    public var lastFailureMessage: String?
    /// Failures since the last success (0 when the last attempt succeeded).
    public var consecutiveFailures: Int
    public var lastRunID: Int64

    public init(
        source: String, lastSuccess: Date?, lastFailure: Date?, lastFailureMessage: String?, consecutiveFailures: Int,
        lastRunID: Int64
    ) {
        self.source = source
        self.lastSuccess = lastSuccess
        self.lastFailure = lastFailure
        self.lastFailureMessage = lastFailureMessage
        self.consecutiveFailures = consecutiveFailures
        self.lastRunID = lastRunID
    }

    /// True when the last attempt succeeded.
    public var isHealthy: Bool { consecutiveFailures == 0 }
}

/// One line of a run's drift, as plain text so that the state outlives changes to the drift types.
public struct DriftRow: Sendable, Hashable {
    public var kernel: String
    public var package: String
    /// `conda` or `pip`.
    public var manager: String
    /// The local version; nil when unpinned.
    public var current: String?
    public var upstream: String
    /// A ``ChangeKind`` raw value (`minor`, `patch`, …).
    public var kind: String
    /// A ``DriftAction`` raw value (`update`, `held`, …).
    public var action: String
    /// The source label the upstream version came from.
    public var source: String

    public init(
        kernel: String, package: String, manager: String, current: String?, upstream: String, kind: String,
        action: String, source: String
    ) {
        self.kernel = kernel
        self.package = package
        self.manager = manager
        self.current = current
        self.upstream = upstream
        self.kind = kind
        self.action = action
        self.source = source
    }

    /// The row for one change of one kernel's drift.
    public init(kernel: String, change: DriftChange) {
        self.init(
            kernel: kernel, package: change.package, manager: change.manager.rawValue, current: change.current,
            upstream: change.upstream, kind: change.kind.rawValue, action: change.action.rawValue,
            source: change.origin.source)
    }

    /// The changes of a drift report's kernels worth keeping, in report order: every action but "up to
    /// date" (a workspace of a thousand files would otherwise store every dependency on every run).
    public static func rows(of kernels: [KernelDrift]) -> [DriftRow] {
        kernels.flatMap { drift in
            drift.changes.filter { $0.action != .same }.map { DriftRow(kernel: drift.kernel, change: $0) }
        }
    }
}

/// Where a rebuild trigger stands for one (target, kernel, manifest digest).
public enum TriggerStatus: String, Sendable, Hashable, CaseIterable {
    /// Known but not attempted yet.
    case pending
    /// Fired successfully: it is never fired again for the same manifest digest.
    case succeeded
    /// The last attempt failed; the next run retries it.
    case failed
    /// Failed as many times as allowed; reported, no longer retried.
    case abandoned
}

/// One rebuild trigger for one kernel at one manifest digest.
public struct TriggerRecord: Sendable, Hashable {
    public var target: String
    public var kernel: String
    public var manifestDigest: String
    public var status: TriggerStatus
    public var attempts: Int
    /// The last attempt's error, redacted.
    public var lastError: String?
    public var firstAttemptAt: Date?
    public var lastAttemptAt: Date?
    public var lastRunID: Int64?
    /// What was sent (the rebuild event, as JSON), so a failed trigger can be retried after its change was applied.
    public var payload: Data?

    /// Succeeded or abandoned: not to be fired again.
    public var isSettled: Bool { status == .succeeded || status == .abandoned }

    public init(
        target: String, kernel: String, manifestDigest: String, status: TriggerStatus, attempts: Int,
        lastError: String?, firstAttemptAt: Date?, lastAttemptAt: Date?, lastRunID: Int64?, payload: Data? = nil
    ) {
        self.payload = payload
        self.target = target
        self.kernel = kernel
        self.manifestDigest = manifestDigest
        self.status = status
        self.attempts = attempts
        self.lastError = lastError
        self.firstAttemptAt = firstAttemptAt
        self.lastAttemptAt = lastAttemptAt
        self.lastRunID = lastRunID
    }
}

/// A pull request smsync opened, keyed by branch and repository.
public struct PullRequestRecord: Sendable, Hashable {
    public var branch: String
    public var repo: String
    public var number: Int
    public var url: String
    public var kernels: [String]
    public var headCommit: String
    public var openedAt: Date
    public var updatedAt: Date

    public init(
        branch: String, repo: String, number: Int, url: String, kernels: [String], headCommit: String, openedAt: Date,
        updatedAt: Date
    ) {
        self.branch = branch
        self.repo = repo
        self.number = number
        self.url = url
        self.kernels = kernels
        self.headCommit = headCommit
        self.openedAt = openedAt
        self.updatedAt = updatedAt
    }
}

/// What one run found for one checked update: available (no reason) or not (the reason).
public struct AvailabilityObservation: Sendable, Hashable {
    public var kernel: String
    public var package: String
    /// `conda` or `pip`.
    public var manager: String
    public var version: String
    /// nil when the version is available.
    public var unavailableReason: String?

    public init(kernel: String, package: String, manager: String, version: String, unavailableReason: String?) {
        self.kernel = kernel
        self.package = package
        self.manager = manager
        self.version = version
        self.unavailableReason = unavailableReason
    }
}

/// An update held because its version could not be installed, as the state database keeps it.
public struct AvailabilityHold: Sendable, Hashable {
    public var kernel: String
    public var package: String
    public var manager: String
    public var version: String
    public var firstSeenUnavailable: Date
    public var lastSeen: Date
    public var reason: String
}
