import SMSync

/// One package change that led to a rebuild.
public struct TriggerChange: Sendable, Hashable {
    public var kernel: String
    public var package: String
    /// `conda` or `pip` (or `examples` for the examples commit).
    public var manager: String
    /// The version before; nil for an added package.
    public var from: String?
    /// The version after; nil for a removed package.
    public var to: String?

    public init(kernel: String, package: String, manager: String, from: String?, to: String?) {
        self.kernel = kernel
        self.package = package
        self.manager = manager
        self.from = from
        self.to = to
    }

    var json: JSONValue {
        .object([
            ("kernel", .string(kernel)), ("package", .string(package)), ("manager", .string(manager)),
            ("from", .string(from)), ("to", .string(to)),
        ])
    }
}

/// What a rebuild trigger is told: the run, the kernels that changed and how, and the pull request if any.
public struct RebuildEvent: Sendable, Hashable {
    /// The sync run's id.
    public var runID: String
    /// The kernels to rebuild (`examples` for a new examples commit).
    public var kernels: [String]
    public var changes: [TriggerChange]
    /// The files the run changed, relative to the configuration folder.
    public var changedFiles: [String]
    public var pullRequestURL: String?

    public init(
        runID: String, kernels: [String], changes: [TriggerChange], changedFiles: [String],
        pullRequestURL: String? = nil
    ) {
        self.runID = runID
        self.kernels = kernels
        self.changes = changes
        self.changedFiles = changedFiles
        self.pullRequestURL = pullRequestURL
    }

    /// The webhook body: `{"run_id", "kernels", "changes": [{"kernel", "package", "manager", "from", "to"}],
    /// "pull_request_url"}`, compact, keys in that order.
    public var webhookBody: [UInt8] {
        let value = JSONValue.object([
            ("run_id", .string(runID)), ("kernels", .array(kernels.map { .string($0) })),
            ("changes", .array(changes.map(\.json))), ("pull_request_url", .string(pullRequestURL)),
        ])
        return Array(value.serialized(pretty: false).utf8)
    }
}
