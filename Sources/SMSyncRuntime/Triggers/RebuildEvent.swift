import Foundation
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

    /// The `X-Smsync-Delivery` id of this event for `target`: a UUID-shaped digest of the target, the kernels
    /// and the changes (not the run), so every retry of one event, in this run or a later one, carries
    /// the same id and a receiver can drop duplicates (as with GitHub's `X-GitHub-Delivery`).
    public func deliveryID(target: String) -> String {
        var text = "smsync-delivery-v1\u{0}\(target)\u{0}\(kernels.joined(separator: ","))"
        for change in changes {
            text += "\u{0}\(change.kernel)|\(change.package)|\(change.manager)|\(change.from ?? "")|\(change.to ?? "")"
        }
        let hex = SHA256Digest.hex(SHA256Digest.hash(Array(text.utf8)).prefix(16))
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(hex.dropFirst(range.lowerBound).prefix(range.count))
        }
        return parts.joined(separator: "-")
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

extension RebuildEvent {
    /// Reads back a stored webhook body (`webhookBody`), for retrying a trigger on a later run.
    public static func decoded(from data: Data) -> RebuildEvent? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let runID = object["run_id"] as? String, let kernels = object["kernels"] as? [String]
        else { return nil }
        let changes = (object["changes"] as? [[String: Any]] ?? []).compactMap { change -> TriggerChange? in
            guard let kernel = change["kernel"] as? String, let package = change["package"] as? String,
                let manager = change["manager"] as? String
            else { return nil }
            return TriggerChange(
                kernel: kernel, package: package, manager: manager, from: change["from"] as? String,
                to: change["to"] as? String)
        }
        return RebuildEvent(
            runID: runID, kernels: kernels, changes: changes, changedFiles: [],
            pullRequestURL: object["pull_request_url"] as? String)
    }
}
