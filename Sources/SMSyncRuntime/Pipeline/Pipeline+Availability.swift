import Foundation
import Logging
import SMSync

/// The availability step's result: the report with every update checked, and the checks that could not be made.
public struct AvailabilityRun: Sendable {
    public var report: DriftReport
    /// One line per update whose check failed (a lookup error): those updates are `unavailable`, not applied.
    public var failures: [String]
}

extension Pipeline {
    // MARK: - Step 2b: availability

    /// Where fetched repodata and index pages are cached: `availability.cache_dir`, else `$XDG_CACHE_HOME/smsync`,
    /// else `~/.cache/smsync`, else beside the state database.
    public var availabilityCacheDirectory: String {
        if let configured = configuration.availability.cacheDirectory { return configured }
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/smsync" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.cache/smsync" }
        let state = StateStore.defaultPath(configured: configuration.statePath, environment: environment)
        return URL(fileURLWithPath: state).deletingLastPathComponent().appendingPathComponent("cache").path
    }

    /// Checks every `update` of `report` against the env files' channels and the package index (when
    /// `availability.enabled`): an update that cannot be installed becomes `unavailable`. With a state database
    /// (and not `offline`), what was found is recorded and each unavailable update shows since when it has been.
    /// `offline`: only `file://` channels and indexes are read; the others are left unchecked, with a note.
    public func checkAvailability(
        _ report: DriftReport, local: [LocalKernel]? = nil, offline: Bool = false
    ) async
        -> AvailabilityRun
    {
        let config = configuration.availability
        guard config.enabled else { return AvailabilityRun(report: report, failures: []) }
        let planner = AvailabilityPlanner(config: config)
        let plan = planner.plan(report, local: local ?? workspace.kernels)
        var data = AvailabilityData()
        let lookup: any AvailabilityLookup
        do {
            lookup =
                try availabilityLookup
                ?? makeAvailabilityLookup(
                    configuration: configuration, http: http, cacheDirectory: availabilityCacheDirectory,
                    secrets: secrets)
        } catch {
            let message = "\(error)"
            for query in plan.conda.keys { data.condaFailures[query] = message }
            for query in plan.index { data.indexFailures[query] = message }
            return finishAvailability(planner.apply(plan, to: report, data: data), offline: offline)
        }
        let redact: @Sendable (String) -> String = { [store] in store?.redactor.redact($0) ?? $0 }
        let offlineNote = "offline: not checked (only file:// channels and indexes are read with --offline)"
        var condaQueries: [CondaQuery] = []
        for query in plan.conda.keys.sorted(by: { ($0.channel, $0.subdir) < ($1.channel, $1.subdir) }) {
            if offline, !query.channel.hasPrefix("file://") {
                data.condaSkipped[query] = offlineNote
            } else {
                condaQueries.append(query)
            }
        }
        var indexQueries: [IndexQuery] = []
        for query in plan.index.sorted(by: { ($0.index, $0.project) < ($1.index, $1.project) }) {
            if offline, !query.index.hasPrefix("file://") {
                data.indexSkipped[query] = offlineNote
            } else {
                indexQueries.append(query)
            }
        }
        let names = plan.conda
        let limit = config.concurrency
        let conda = await Self.bounded(condaQueries, limit: limit) { query in
            do {
                return Result<[String: [CondaRecord]], AvailabilityLookupError>.success(
                    try await lookup.condaRecords(
                        channel: query.channel, subdir: query.subdir, names: names[query] ?? []))
            } catch {
                return .failure(AvailabilityLookupError(redact("\(error)")))
            }
        }
        for (query, result) in conda {
            switch result {
            case .success(let records): data.conda[query] = records
            case .failure(let error): data.condaFailures[query] = error.message
            }
        }
        let index = await Self.bounded(indexQueries, limit: limit) { query in
            do {
                return Result<[IndexFile]?, AvailabilityLookupError>.success(
                    try await lookup.indexFiles(indexURL: query.index, project: query.project))
            } catch {
                return .failure(AvailabilityLookupError(redact("\(error)")))
            }
        }
        for (query, result) in index {
            switch result {
            case .success(let files): data.index[query] = files
            case .failure(let error): data.indexFailures[query] = error.message
            }
        }
        logger.info(
            "availability checked",
            metadata: [
                "smsync.updates": "\(plan.items.count)", "smsync.subdirs": "\(condaQueries.count)",
                "smsync.projects": "\(indexQueries.count)",
            ])
        return finishAvailability(planner.apply(plan, to: report, data: data), offline: offline)
    }

    /// Records what was found (not offline) and adds since when each unavailable update has been unavailable.
    private func finishAvailability(_ report: DriftReport, offline: Bool) -> AvailabilityRun {
        var failures: [String] = []
        var observations: [AvailabilityObservation] = []
        for kernel in report.kernels {
            for change in kernel.changes {
                guard let availability = change.availability else { continue }
                if availability.failed {
                    failures.append("\(kernel.kernel): \(change.reason ?? change.package)")
                    continue
                }
                guard availability.status != .unchecked else { continue }
                observations.append(
                    AvailabilityObservation(
                        kernel: kernel.kernel, package: change.package, manager: change.manager.rawValue,
                        version: change.upstream,
                        unavailableReason: availability.status == .unavailable ? change.reason ?? "" : nil))
            }
        }
        guard let store, !observations.isEmpty else { return AvailabilityRun(report: report, failures: failures) }
        var since: [String: Date] = [:]
        func key(_ kernel: String, _ package: String, _ manager: String, _ version: String) -> String {
            [kernel, package, manager, version].joined(separator: "\u{0}")
        }
        if offline {
            for hold in (try? store.availabilityHolds()) ?? [] {
                since[key(hold.kernel, hold.package, hold.manager, hold.version)] = hold.firstSeenUnavailable
            }
        } else {
            do {
                for (observation, date) in try store.recordAvailability(observations, at: now()) {
                    since[key(observation.kernel, observation.package, observation.manager, observation.version)] =
                        date
                }
            } catch {
                logger.warning(
                    "cannot record availability", metadata: ["smsync.error": "\(store.redactor.redact("\(error)"))"])
            }
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        let dated = report.mapChanges { kernel, change in
            guard change.action == .unavailable,
                let date = since[key(kernel, change.package, change.manager.rawValue, change.upstream)]
            else { return }
            change.availability?.since = formatter.string(from: date)
        }
        return AvailabilityRun(report: dated, failures: failures)
    }

    /// `body` over `items`, at most `limit` at a time.
    static func bounded<Item: Sendable & Hashable, Value: Sendable>(
        _ items: [Item], limit: Int, _ body: @escaping @Sendable (Item) async -> Value
    ) async -> [Item: Value] {
        var results: [Item: Value] = [:]
        await withTaskGroup(of: (Item, Value).self) { group in
            var next = 0
            while next < items.count, next < max(1, limit) {
                let item = items[next]
                group.addTask { (item, await body(item)) }
                next += 1
            }
            while let (item, value) = await group.next() {
                results[item] = value
                if next < items.count {
                    let item = items[next]
                    group.addTask { (item, await body(item)) }
                    next += 1
                }
            }
        }
        return results
    }
}
