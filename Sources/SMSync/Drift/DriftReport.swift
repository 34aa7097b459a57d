/// What `diff` decides for one dependency.
public enum DriftAction: String, Sendable, Hashable {
    /// The policy allows the change and the file can take it: `apply` will make it.
    case update
    /// The policy holds the change back (its kind is not in `policy.update`, or it is a downgrade).
    case held
    /// The local spec is a range (or another form) the upstream version does not fit; change it by hand.
    case blocked
    /// `policy.ignore` names the package, or it is unpinned locally.
    case ignored
    /// Nothing to change: already the same version, or the local spec already admits the upstream one (`reason`
    /// says so: `` `polars>0.20` already admits 0.30; left as is ``).
    case same
    /// The update the policy allows cannot be installed from the env file's channels or the package index yet
    /// (`availability:`); `reason` says why. It is not applied and becomes an `update` once it can be.
    case unavailable
}

/// The availability check of one proposed update (`availability:` on).
public struct ChangeAvailability: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        case available
        case unavailable
        /// Not checked: that kind is off in `availability.check`, or the lookup could not be made (`reason`).
        case unchecked
    }

    public var status: Status
    /// Where an available version comes from.
    public var source: AvailabilitySource?
    /// Why it is unavailable or unchecked.
    public var reason: String?
    /// When it was first seen unavailable (`2026-12-02`), from the state database.
    public var since: String?
    /// Another version an upstream source lists that is available (`2.1.2 (aws-docs) from conda-forge linux-64`).
    public var alternative: String?
    /// The check itself failed (a lookup error), as opposed to a version that is not there.
    public var failed: Bool

    public init(
        status: Status, source: AvailabilitySource? = nil, reason: String? = nil, since: String? = nil,
        alternative: String? = nil, failed: Bool = false
    ) {
        self.status = status
        self.source = source
        self.reason = reason
        self.since = since
        self.alternative = alternative
        self.failed = failed
    }
}

/// Where an upstream version came from.
public struct DriftOrigin: Sendable, Hashable {
    /// The source's label from the configuration (`aws-docs`, `env-export#2`, or its `name:`).
    public var source: String
    public var kind: UpstreamSourceKind
    public var release: String?
    /// The package name as that source writes it (`torch` for a local `pytorch`).
    public var name: String
    public var version: String
    public var manager: PackageManager?
}

/// One local dependency that an upstream source names.
public struct DriftChange: Sendable, Hashable {
    /// The local name as the file writes it.
    public var package: String
    public var manager: PackageManager
    public var line: Int
    /// The local version without operator or build (`1.14.3` for `numpy=1.14.3=py36_0`); nil when unpinned.
    public var current: String?
    /// The local version-spec text as written (`=1.14.3`).
    public var currentSpec: String?
    public var upstream: String
    public var kind: ChangeKind
    public var action: DriftAction
    /// Why it is held, blocked or ignored.
    public var reason: String?
    public var origin: DriftOrigin
    /// The next source, in precedence order, that names a different version.
    public var runnerUp: DriftOrigin? {
        get { rare.stored?.runnerUp }
        set { rare.update { $0.runnerUp = newValue } }
    }
    /// For `update`: the version-spec text the file will have (`=1.19.5`).
    public var plannedSpec: String?
    /// With `availability:` on, for `update` and `unavailable`: where it comes from, or why it cannot.
    public var availability: ChangeAvailability? {
        get { rare.stored?.availability }
        set { rare.update { $0.availability = newValue } }
    }
    /// The runner-up and the availability, which most changes have neither of, kept out of line: a report holds
    /// a change per dependency, and inline they would more than double its size.
    private var rare = OutOfLine<RareFields>()

    private struct RareFields: OutOfLineFields {
        var runnerUp: DriftOrigin?
        var availability: ChangeAvailability?
    }

    public init(
        package: String, manager: PackageManager, line: Int, current: String? = nil, currentSpec: String? = nil,
        upstream: String, kind: ChangeKind, action: DriftAction, reason: String? = nil, origin: DriftOrigin,
        runnerUp: DriftOrigin? = nil, plannedSpec: String? = nil, availability: ChangeAvailability? = nil
    ) {
        self.package = package
        self.manager = manager
        self.line = line
        self.current = current
        self.currentSpec = currentSpec
        self.upstream = upstream
        self.kind = kind
        self.action = action
        self.reason = reason
        self.origin = origin
        self.plannedSpec = plannedSpec
        if runnerUp != nil || availability != nil {
            rare = OutOfLine(boxing: RareFields(runnerUp: runnerUp, availability: availability))
        }
    }

    public static func == (lhs: DriftChange, rhs: DriftChange) -> Bool {
        lhs.package == rhs.package && lhs.manager == rhs.manager && lhs.line == rhs.line && lhs.current == rhs.current
            && lhs.currentSpec == rhs.currentSpec && lhs.upstream == rhs.upstream && lhs.kind == rhs.kind
            && lhs.action == rhs.action && lhs.reason == rhs.reason && lhs.origin == rhs.origin
            && lhs.plannedSpec == rhs.plannedSpec && lhs.runnerUp == rhs.runnerUp
            && lhs.availability == rhs.availability
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(package)
        hasher.combine(manager)
        hasher.combine(line)
        hasher.combine(current)
        hasher.combine(currentSpec)
        hasher.combine(upstream)
        hasher.combine(kind)
        hasher.combine(action)
        hasher.combine(reason)
        hasher.combine(origin)
        hasher.combine(plannedSpec)
        hasher.combine(runnerUp)
        hasher.combine(availability)
    }
}

/// An upstream package a local kernel does not list.
public struct MissingPackage: Sendable, Hashable {
    public var name: String
    public var version: String
    public var manager: PackageManager?
    public var source: String
}

/// The drift of one local kernel.
public struct KernelDrift: Sendable {
    public var kernel: String
    /// The environment file, as the configuration resolves it.
    public var file: String
    public var changes: [DriftChange]
    public var missing: [MissingPackage]
    /// The sources that speak for this kernel, in precedence order.
    public var sources: [String]
}

/// A local kernel whose upstream counterpart has a new name (`conda_pytorch_p310` → `conda_pytorch`).
public struct KernelRename: Sendable, Hashable {
    public var local: String
    public var upstream: String
    public var source: String
}

/// An upstream kernel that no local environment file provides.
public struct MissingKernel: Sendable, Hashable {
    public var kernel: String
    public var source: String
}

/// A local pin that example notebooks need more of (`sagemaker==2.214.0` while notebooks ask `>=2.220`).
public struct ExamplesConflict: Sendable, Hashable {
    public var kernel: String
    public var package: String
    public var pinned: String
    public var spec: String
    public var files: [String]
    public var source: String
}

/// A source that was read, for the report's header.
public struct SourceSummary: Sendable, Hashable {
    public var name: String
    public var kind: UpstreamSourceKind
    public var release: String?
    public var published: UpstreamDate?
    public var notes: [String]
}

/// Everything `smsync diff` reports.
public struct DriftReport: Sendable {
    /// The kernels' drift; `summary` counts it once, when the report is made.
    public private(set) var kernels: [KernelDrift]
    public var renames: [KernelRename]
    public var missingKernels: [MissingKernel]
    /// Local kernels that no source speaks for.
    public var unsourcedKernels: [String]
    public var conflicts: [ExamplesConflict]
    public var sources: [SourceSummary]
    public var policy: Policy
    /// The examples commit, when an examples source was read.
    public var examplesCommit: String?
    /// Whether updates were checked against the channels and the index (`availability:`); the renderings show
    /// where each update comes from and the `unavailable` ones only then.
    public var availabilityChecked = false

    public struct Summary: Sendable, Hashable {
        public var updates = 0
        public var held = 0
        public var blocked = 0
        public var ignored = 0
        public var same = 0
        public var unavailable = 0
    }

    /// The count of each action, computed once from `kernels`.
    public let summary: Summary

    public init(
        kernels: [KernelDrift], renames: [KernelRename], missingKernels: [MissingKernel], unsourcedKernels: [String],
        conflicts: [ExamplesConflict], sources: [SourceSummary], policy: Policy, examplesCommit: String?
    ) {
        self.kernels = kernels
        self.renames = renames
        self.missingKernels = missingKernels
        self.unsourcedKernels = unsourcedKernels
        self.conflicts = conflicts
        self.sources = sources
        self.policy = policy
        self.examplesCommit = examplesCommit
        var summary = Summary()
        for kernel in kernels {
            for change in kernel.changes {
                switch change.action {
                case .update: summary.updates += 1
                case .held: summary.held += 1
                case .blocked: summary.blocked += 1
                case .ignored: summary.ignored += 1
                case .same: summary.same += 1
                case .unavailable: summary.unavailable += 1
                }
            }
        }
        self.summary = summary
    }

    /// The same report with each change passed through `transform` (the summary counted again).
    public func mapChanges(_ transform: (_ kernel: String, inout DriftChange) -> Void) -> DriftReport {
        var kernels = self.kernels
        for index in kernels.indices {
            let name = kernels[index].kernel
            for changeIndex in kernels[index].changes.indices {
                transform(name, &kernels[index].changes[changeIndex])
            }
        }
        var report = DriftReport(
            kernels: kernels, renames: renames, missingKernels: missingKernels, unsourcedKernels: unsourcedKernels,
            conflicts: conflicts, sources: sources, policy: policy, examplesCommit: examplesCommit)
        report.availabilityChecked = availabilityChecked
        return report
    }

    /// The changes `apply` makes, by kernel.
    public var updates: [(kernel: KernelDrift, changes: [DriftChange])] {
        kernels.compactMap { kernel in
            let changes = kernel.changes.filter { $0.action == .update }
            return changes.isEmpty ? nil : (kernel, changes)
        }
    }
}
