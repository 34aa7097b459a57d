/// One subdir of one channel.
public struct CondaQuery: Sendable, Hashable {
    public var channel: String
    public var subdir: String

    public init(channel: String, subdir: String) {
        self.channel = channel
        self.subdir = subdir
    }
}

/// One project on one package index.
public struct IndexQuery: Sendable, Hashable {
    public var index: String
    public var project: String

    public init(index: String, project: String) {
        self.index = index
        self.project = project
    }
}

/// What the lookups returned: records per channel subdir (by package name), files per index project, and the
/// lookups that failed with their message.
public struct AvailabilityData: Sendable {
    public var conda: [CondaQuery: [String: [CondaRecord]]] = [:]
    public var index: [IndexQuery: [IndexFile]?] = [:]
    public var condaFailures: [CondaQuery: String] = [:]
    public var indexFailures: [IndexQuery: String] = [:]
    /// Lookups deliberately not made (`--offline` and a channel that needs the network), with why.
    public var condaSkipped: [CondaQuery: String] = [:]
    public var indexSkipped: [IndexQuery: String] = [:]

    public init() {}
}

/// The availability step, pure: which lookups the `update` changes of a report need (batched per channel subdir
/// and per index project), then the report with each update either kept (with where it comes from) or turned
/// `unavailable` (with why).
public struct AvailabilityPlanner: Sendable {
    public var config: AvailabilityConfig
    public var resolver: ChannelResolver

    public init(config: AvailabilityConfig) {
        self.config = config
        self.resolver = ChannelResolver(config: config)
    }

    public enum Check: Sendable, Hashable {
        case conda(CondaCheck)
        case pip(PipCheck)
        /// Not checked: why (`availability.check.pip` is off).
        case off(String)
        /// Cannot be checked: why (a channel that is not a name or URL).
        case invalid(String)
    }

    /// One update to check, with an earlier version another source lists, to offer when this one is missing.
    public struct Item: Sendable {
        public var kernel: String
        public var line: Int
        public var manager: PackageManager
        public var package: String
        public var check: Check
        public var alternative: (version: String, source: String, check: Check)?
    }

    public struct Plan: Sendable {
        public var items: [Item]
        /// The names to look up per channel subdir.
        public var conda: [CondaQuery: Set<String>]
        public var index: Set<IndexQuery>
    }

    /// The checks for every `update` of `report`, on the kernels it was made from.
    public func plan(_ report: DriftReport, local: [LocalKernel]) -> Plan {
        var byKernel: [String: LocalKernel] = [:]
        for kernel in local where byKernel[kernel.kernel] == nil { byKernel[kernel.kernel] = kernel }
        var items: [Item] = []
        for kernel in report.kernels {
            guard let localKernel = byKernel[kernel.kernel] else { continue }
            let python = pythonTarget(localKernel.file, changes: kernel.changes)
            for change in kernel.changes where change.action == .update {
                guard
                    let dependency = localKernel.file.dependencies.first(where: {
                        $0.line == change.line && $0.manager == change.manager
                    })
                else { continue }
                let check = self.check(
                    dependency, version: change.upstream, planned: change.plannedSpec, file: localKernel.file,
                    python: python)
                var alternative: (version: String, source: String, check: Check)?
                if let runnerUp = change.runnerUp, runnerUp.version != change.upstream, let current = change.current,
                    ![.same, .downgrade].contains(
                        VersionDelta.kind(
                            current: current, upstream: runnerUp.version, manager: change.manager,
                            isPython: dependency.matchName == "python"))
                {
                    let planned = try? localKernel.file.plannedVersionText(for: dependency, to: runnerUp.version)
                    if change.manager == .pip || planned != nil {
                        let other = self.check(
                            dependency, version: runnerUp.version, planned: planned, file: localKernel.file,
                            python: python)
                        alternative = (runnerUp.version, runnerUp.source, other)
                    }
                }
                items.append(
                    Item(
                        kernel: kernel.kernel, line: change.line, manager: change.manager, package: change.package,
                        check: check, alternative: alternative))
            }
        }
        var conda: [CondaQuery: Set<String>] = [:]
        var index: Set<IndexQuery> = []
        for item in items {
            for check in [item.check] + (item.alternative.map { [$0.check] } ?? []) {
                switch check {
                case .conda(let condaCheck):
                    for channel in condaCheck.channels {
                        for subdir in condaCheck.subdirs {
                            conda[CondaQuery(channel: channel, subdir: subdir), default: []].insert(condaCheck.name)
                        }
                    }
                case .pip(let pip):
                    index.insert(IndexQuery(index: pip.index, project: pip.project))
                case .off, .invalid:
                    break
                }
            }
        }
        return Plan(items: items, conda: conda, index: index)
    }

    /// The Python of a kernel: the version a `python` update moves to, else the file's pin.
    func pythonTarget(_ file: EnvironmentFile, changes: [DriftChange]) -> PythonTarget? {
        if let update = changes.first(where: {
            $0.action == .update && $0.manager == .conda && $0.package.lowercased() == "python"
        }) {
            return PythonTarget(version: update.upstream)
        }
        guard
            let python = file.dependencies.first(where: { $0.manager == .conda && $0.matchName == "python" }),
            let spec = python.versionText, let version = DriftEngine.currentVersion(spec)
        else { return nil }
        return PythonTarget(version: version)
    }

    func check(
        _ dependency: EnvironmentDependency, version: String, planned: String?, file: EnvironmentFile,
        python: PythonTarget?
    ) -> Check {
        switch dependency.requirement {
        case .conda(let spec):
            guard config.checkConda else { return .off("availability.check.conda is off") }
            let (channels, invalid) = resolver.channels(for: dependency, in: file)
            if let bad = invalid.first {
                return .invalid("channel \(bad.debugDescription) is neither a channel name nor an http(s)/file URL")
            }
            let text = planned ?? "==\(version)"
            let glued = text.first.map { "=<>!~".contains($0) } ?? false
            guard var newSpec = try? CondaMatchSpec.parse(spec.name + (glued ? "" : " ") + text) else {
                return .invalid("the new spec \(spec.name)\(text) does not parse")
            }
            newSpec.channel = nil
            newSpec.subdir = nil
            // The edit keeps a build only when it is a pattern (`*cuda*`); an exact build is dropped.
            newSpec.build = dependency.build.flatMap { $0.contains("*") ? $0 : nil }
            let platforms: [String] = dependency.subdir.map { [$0] } ?? config.platforms
            return .conda(
                CondaCheck(
                    name: spec.name, version: version, spec: newSpec, channels: channels, platforms: platforms,
                    python: python, priority: config.channelPriority))
        case .pip(let requirement):
            guard config.checkPip else { return .off("availability.check.pip is off") }
            return .pip(
                PipCheck(
                    project: requirement.name, version: version, index: AvailabilityConfig.trimmed(config.pipIndex),
                    platforms: config.platforms, python: python, glibc: config.glibc))
        case .other(let reason):
            return .off(reason)
        }
    }

    /// What came of one check.
    public enum Outcome: Sendable, Hashable {
        case verdict(AvailabilityVerdict)
        /// A lookup failed, or the check cannot be made (a bad channel): the update must not be applied.
        case failed(String)
        /// Deliberately not checked (that kind is off, or offline): the update stays an update.
        case unchecked(String)
    }

    /// The outcome of one check with the data the lookups returned.
    public func outcome(_ check: Check, data: AvailabilityData) -> Outcome {
        switch check {
        case .conda(let conda):
            var records: [String: [String: [CondaRecord]]] = [:]
            for channel in conda.channels {
                for subdir in conda.subdirs {
                    let query = CondaQuery(channel: channel, subdir: subdir)
                    if let failure = data.condaFailures[query] {
                        return .failed("\(resolver.label(of: channel)) \(subdir): \(failure)")
                    }
                    if let skipped = data.condaSkipped[query] { return .unchecked(skipped) }
                    records[channel, default: [:]][subdir] = data.conda[query]?[conda.name] ?? []
                }
            }
            return .verdict(conda.verdict(records: records, label: resolver.label))
        case .pip(let pip):
            let query = IndexQuery(index: pip.index, project: pip.project)
            if let failure = data.indexFailures[query] { return .failed("\(pip.index): \(failure)") }
            if let skipped = data.indexSkipped[query] { return .unchecked(skipped) }
            return .verdict(pip.verdict(files: data.index[query] ?? nil))
        case .off(let reason):
            return .unchecked(reason)
        case .invalid(let reason):
            return .failed(reason)
        }
    }

    /// The report with every checked update marked: kept with where it comes from, or `unavailable` with why (and
    /// an available version another source lists, if there is one). A check that failed makes the update
    /// `unavailable` too ("could not check: …"): an unchecked version is never applied.
    public func apply(_ plan: Plan, to report: DriftReport, data: AvailabilityData) -> DriftReport {
        var results: [String: ChangeAvailability] = [:]
        for item in plan.items {
            let key = Self.key(kernel: item.kernel, line: item.line, manager: item.manager)
            switch outcome(item.check, data: data) {
            case .verdict(.available(let source)):
                results[key] = ChangeAvailability(status: .available, source: source)
            case .verdict(.unavailable(let reason)):
                var availability = ChangeAvailability(status: .unavailable, reason: reason)
                if let alternative = item.alternative,
                    case .verdict(.available(let source)) = outcome(alternative.check, data: data)
                {
                    availability.alternative = "\(alternative.version) (\(alternative.source)) from \(source.summary)"
                }
                results[key] = availability
            case .unchecked(let reason):
                results[key] = ChangeAvailability(status: .unchecked, reason: reason)
            case .failed(let reason):
                results[key] = ChangeAvailability(
                    status: .unavailable, reason: "could not check: \(reason)", failed: true)
            }
        }
        var report = report.mapChanges { kernel, change in
            guard change.action == .update,
                let availability = results[Self.key(kernel: kernel, line: change.line, manager: change.manager)]
            else { return }
            change.availability = availability
            if availability.status == .unavailable {
                change.action = .unavailable
                change.reason = availability.reason
            }
        }
        report.availabilityChecked = true
        return report
    }

    static func key(kernel: String, line: Int, manager: PackageManager) -> String {
        "\(kernel)\u{0}\(line)\u{0}\(manager.rawValue)"
    }
}
