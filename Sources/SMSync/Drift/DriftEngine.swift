import Foundation

/// A local kernel: one environment file.
public struct LocalKernel: Sendable {
    /// `conda_` + the file's `name:` (or its stem), or the name an explicit mapping gives.
    public var kernel: String
    public var path: String
    public var file: EnvironmentFile

    public init(kernel: String, path: String, file: EnvironmentFile) {
        self.kernel = kernel
        self.path = path
        self.file = file
    }
}

/// An upstream release together with the configured source it came from; precedence is array order.
public struct SourceRelease: Sendable {
    public var config: SourceConfig
    public var release: UpstreamRelease

    public init(config: SourceConfig, release: UpstreamRelease) {
        self.config = config
        self.release = release
    }
}

/// Compares local kernels with upstream releases under a policy. Pure: no I/O.
public struct DriftEngine: Sendable {
    public var policy: Policy {
        didSet { rules = PolicyRules(policy) }
    }
    public var names: PackageNames
    /// The policy's update kinds as flags, and the reason a kind the policy holds gives, per kind.
    private var rules: PolicyRules

    public init(policy: Policy, names: PackageNames = PackageNames()) {
        self.policy = policy
        self.names = names
        rules = PolicyRules(policy)
    }

    private struct PolicyRules: Sendable {
        var updates: [Bool]
        var heldReasons: [String]

        init(_ policy: Policy) {
            let allowed = ChangeKind.allCases.filter { policy.update.contains($0) }.map(\.rawValue)
            let list = "[\(allowed.joined(separator: ", "))]"
            updates = ChangeKind.allCases.map { policy.update.contains($0) }
            heldReasons = ChangeKind.allCases.map { "\($0.rawValue) change; policy.update is \(list)" }
        }
    }

    /// The engine a configuration asks for: its policy and its aliases on top of the default ones.
    public init(configuration: Configuration) {
        self.init(policy: configuration.policy, names: PackageNames(extra: configuration.aliases))
    }

    private struct Candidate {
        var origin: DriftOrigin
    }

    public func diff(local: [LocalKernel], releases: [SourceRelease]) -> DriftReport {
        let localNames = Set(local.map(\.kernel))
        var perKernel: [String: [(source: SourceRelease, kernel: UpstreamKernel)]] = [:]
        var renames: [KernelRename] = []
        var missingKernels: [MissingKernel] = []
        var examplesCommit: String?
        var examples: [SourceRelease] = []

        let upstreamNames = names(of: releases)
        for sourceRelease in releases {
            let release = sourceRelease.release
            let label = sourceRelease.config.name
            if release.kind == .examples {
                examples.append(sourceRelease)
                examplesCommit = examplesCommit ?? release.examples?.commit ?? release.release
                continue
            }
            let every = release.kernels.first { $0.kernel == UpstreamKernel.everyKernel }
            let named = release.kernels.filter { $0.kernel != UpstreamKernel.everyKernel }
            if let configured = sourceRelease.config.kernels {
                for kernel in configured where localNames.contains(kernel) {
                    let match =
                        named.first { $0.kernel == kernel } ?? every ?? (named.count == 1 ? named.first : nil)
                    if let match { perKernel[kernel, default: []].append((sourceRelease, match)) }
                }
                continue
            }
            if let every {
                for kernel in local { perKernel[kernel.kernel, default: []].append((sourceRelease, every)) }
            }
            for upstream in named {
                if localNames.contains(upstream.kernel) {
                    perKernel[upstream.kernel, default: []].append((sourceRelease, upstream))
                } else if let renamed = local.first(where: {
                    !upstreamNames.contains($0.kernel) && Self.baseName($0.kernel) == Self.baseName(upstream.kernel)
                }) {
                    renames.append(KernelRename(local: renamed.kernel, upstream: upstream.kernel, source: label))
                } else {
                    missingKernels.append(MissingKernel(kernel: upstream.kernel, source: label))
                }
            }
        }

        var tables: [String: CandidateTable] = [:]
        var jobs: [KernelJob] = []
        jobs.reserveCapacity(local.count)
        for kernel in local {
            let sources = perKernel[kernel.kernel] ?? []
            let identity = sources.map { "\($0.source.config.name)\u{0}\($0.kernel.kernel)" }.joined(separator: "\u{1}")
            let table = tables[identity] ?? candidateTable(sources)
            tables[identity] = table
            jobs.append(KernelJob(kernel: kernel, sources: sources, table: table))
        }
        // Kernels are decided on every core, in runs of neighbours that share one memo; the order stays.
        let decided = ParallelMap.map(Self.runs(of: jobs.count)) { [jobs, examples] run in
            let memo = DecisionMemo()
            return run.map { index in
                let job = jobs[index]
                let drift = self.drift(of: job.kernel, sources: job.sources, table: job.table, memo: memo)
                var found: [ExamplesConflict] = []
                for source in examples {
                    found += self.examplesConflicts(job.kernel, source)
                }
                return (drift, found)
            }
        }
        var kernels: [KernelDrift] = []
        kernels.reserveCapacity(local.count)
        var conflicts: [ExamplesConflict] = []
        for run in decided {
            for (drift, found) in run {
                kernels.append(drift)
                conflicts += found
            }
        }
        let covered = Set(perKernel.keys)
        let unsourced = local.map(\.kernel).filter { !covered.contains($0) }
        let summaries = releases.map {
            SourceSummary(
                name: $0.config.name, kind: $0.release.kind, release: $0.release.release,
                published: $0.release.published, notes: $0.release.notes)
        }
        return DriftReport(
            kernels: kernels, renames: Self.unique(renames), missingKernels: Self.unique(missingKernels),
            unsourcedKernels: unsourced, conflicts: conflicts, sources: summaries, policy: policy,
            examplesCommit: examplesCommit)
    }

    /// One kernel to decide, with the sources that speak for it and their candidates.
    private struct KernelJob: Sendable {
        var kernel: LocalKernel
        var sources: [(source: SourceRelease, kernel: UpstreamKernel)]
        var table: CandidateTable
    }

    /// `count` kernels in contiguous runs, a few per core: enough to balance the cores, few enough that each run's
    /// memo is reused across many kernels.
    static func runs(of count: Int) -> [Range<Int>] {
        let wanted = min(count, max(1, ProcessInfo.processInfo.activeProcessorCount) * 4)
        guard wanted > 1 else { return count == 0 ? [] : [0..<count] }
        return (0..<wanted).map { part in (part * count / wanted)..<((part + 1) * count / wanted) }
    }

    private func names(of releases: [SourceRelease]) -> Set<String> {
        Set(releases.flatMap { $0.release.kernels.map(\.kernel) })
    }

    /// `conda_pytorch_p310` → `conda_pytorch`: the name without a Python-version suffix.
    static func baseName(_ kernel: String) -> String {
        guard let underscore = kernel.lastIndex(of: "_") else { return kernel }
        let suffix = kernel[kernel.index(after: underscore)...]
        guard suffix.count >= 2, suffix.first == "p", suffix.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber })
        else { return kernel }
        return String(kernel[..<underscore])
    }

    private static func unique<T: Hashable>(_ items: [T]) -> [T] {
        var seen: Set<T> = []
        return items.filter { seen.insert($0).inserted }
    }

    /// Upstream versions per package key, in precedence order; shared by kernels with the same sources.
    /// `order` lists the keys that kernel-specific sources name (the ones a kernel can be missing).
    private struct CandidateTable: Sendable {
        var candidates: [String: [DriftOrigin]]
        var order: [String]
    }

    private struct DependencyKey: Hashable {
        var manager: PackageManager
        var key: String
    }

    private func candidateTable(_ sources: [(source: SourceRelease, kernel: UpstreamKernel)]) -> CandidateTable {
        var candidates: [String: [DriftOrigin]] = [:]
        var order: [String] = []
        for (source, upstream) in sources {
            var packages = upstream.packages
            if let python = upstream.python, !packages.contains(where: { names.key($0.name) == "python" }) {
                packages.append(UpstreamPackage(name: "python", version: python, manager: .conda))
            }
            let kernelSpecific = upstream.kernel != UpstreamKernel.everyKernel
            for package in packages {
                let key = names.key(package.name)
                let origin = DriftOrigin(
                    source: source.config.name, kind: source.release.kind, release: source.release.release,
                    name: package.name, version: package.version, manager: package.manager)
                if let existing = candidates[key] {
                    // One source naming a package twice: its first mention counts.
                    if existing.contains(where: { $0.source == origin.source }) { continue }
                    candidates[key]?.append(origin)
                } else {
                    candidates[key] = [origin]
                    if kernelSpecific { order.append(key) }
                }
            }
        }
        return CandidateTable(candidates: candidates, order: order)
    }

    private func drift(
        of kernel: LocalKernel, sources: [(source: SourceRelease, kernel: UpstreamKernel)], table: CandidateTable,
        memo: DecisionMemo
    ) -> KernelDrift {
        let candidates = table.candidates
        let dependencies = kernel.file.dependencies
        var changes: [DriftChange] = []
        changes.reserveCapacity(dependencies.count)
        // Which keys matched matters only when a kernel-specific source names packages a kernel can miss.
        let tracksMatches = !table.order.isEmpty
        var matched: Set<String> = []
        if tracksMatches { matched.reserveCapacity(dependencies.count) }
        var seen: Set<DependencyKey> = []
        seen.reserveCapacity(dependencies.count)
        var duplicated: Set<DependencyKey> = []
        var names: [String?] = []
        var keys: [String?] = []
        names.reserveCapacity(dependencies.count)
        keys.reserveCapacity(dependencies.count)
        // Entries are read in place, through the buffer (an array element passed on is a copy, which retains every
        // string it holds).
        dependencies.withUnsafeBufferPointer { dependencies in
            for index in dependencies.indices {
                let name = dependencies[index].name
                let key = name.map { memo.key($0, self.names) }
                names.append(name)
                keys.append(key)
                if let key {
                    let entry = DependencyKey(manager: dependencies[index].manager, key: key)
                    if !seen.insert(entry).inserted { duplicated.insert(entry) }
                }
            }
            for index in dependencies.indices {
                guard let key = keys[index], let options = candidates[key], let winner = options.first else {
                    continue
                }
                if tracksMatches { matched.insert(key) }
                let isDuplicated =
                    !duplicated.isEmpty
                    && duplicated.contains(DependencyKey(manager: dependencies[index].manager, key: key))
                let decision = decide(
                    dependencies, at: index, key: key, winner: winner, in: kernel.file, duplicated: isDuplicated,
                    memo: memo)
                changes.append(
                    DriftChange(
                        package: names[index] ?? key, manager: dependencies[index].manager,
                        line: dependencies[index].line, current: decision.current,
                        currentSpec: decision.currentSpec, upstream: winner.version, kind: decision.kind,
                        action: decision.action, reason: decision.reason, origin: winner,
                        runnerUp: options.dropFirst().first { $0.version != winner.version },
                        plannedSpec: decision.plannedSpec))
            }
        }
        // Sources for every kernel (`*`: a release's whole package list) do not make a kernel miss anything.
        var missing: [MissingPackage] = []
        for key in table.order where !matched.contains(key) {
            guard let first = candidates[key]?.first else { continue }
            missing.append(
                MissingPackage(name: first.name, version: first.version, manager: first.manager, source: first.source))
        }
        return KernelDrift(
            kernel: kernel.kernel, file: kernel.path, changes: changes, missing: missing,
            sources: Self.unique(sources.map(\.source.config.name)))
    }

    /// What the drift decides for one entry: the fields of its change that are not copied from the entry or the
    /// upstream version (small, so that the change itself is built once, in the report's array).
    private struct Decision {
        var current: String?
        var currentSpec: String?
        var kind = ChangeKind.other
        var action = DriftAction.same
        var reason: String?
        var plannedSpec: String?
    }

    /// The decision for entry `index` of `dependencies`, read in place.
    private func decide(
        _ dependencies: UnsafeBufferPointer<EnvironmentDependency>, at index: Int, key: String, winner: DriftOrigin,
        in file: EnvironmentFile, duplicated: Bool, memo: DecisionMemo
    ) -> Decision {
        let currentSpec = dependencies[index].versionText
        let current = currentSpec.flatMap(memo.currentVersion)
        let manager = dependencies[index].manager
        var decision = Decision(current: current, currentSpec: currentSpec)
        let ignored = !policy.ignore.isEmpty && policy.ignore.contains { names.key($0) == key }
        guard let current else {
            decision.action = .ignored
            decision.reason = ignored ? "policy.ignore" : "unpinned locally"
            return decision
        }
        decision.kind = VersionDelta.kind(
            current: current, upstream: winner.version, manager: manager, isPython: key == "python",
            memo: memo)
        if ignored {
            decision.action = .ignored
            decision.reason = "policy.ignore"
            return decision
        }
        switch decision.kind {
        case .same:
            decision.action = .same
            // `pydap !=3.5.5` against 3.5.5 names the version it excludes: not the same, and no bound to move.
            if let spec = currentSpec, let clauses = ConstraintClause.split(spec),
                !clauses.contains(where: { EnvironmentFile.movableOperators.contains($0.op) }),
                !EnvironmentFile.admits(spec, version: winner.version, target: dependencies[index], hasBuild: false)
            {
                decision.action = .blocked
                decision.reason = "range \(spec) excludes \(winner.version)"
            }
            return decision
        case .downgrade where !policy.downgrade:
            decision.action = .held
            decision.reason = "downgrade (policy.downgrade is false)"
            return decision
        case .downgrade:
            break
        default:
            guard rules.updates[decision.kind.ordinal] else {
                decision.action = .held
                decision.reason = rules.heldReasons[decision.kind.ordinal]
                return decision
            }
        }
        if duplicated {
            decision.action = .blocked
            decision.reason = "listed more than once as a \(manager.rawValue) dependency"
            return decision
        }
        do {
            let planned = try file.plannedVersionText(for: dependencies[index], to: winner.version, memo: memo)
            if planned == currentSpec {
                decision.action = .same
                decision.reason = EnvironmentFile.admitsNote(dependencies[index], winner.version)
            } else {
                decision.action = .update
                decision.plannedSpec = planned
            }
        } catch {
            decision.action = .blocked
            switch error.code {
            case .rangeExcludes: decision.reason = "range \(currentSpec ?? "") excludes \(winner.version)"
            case .notEditable: decision.reason = "spec \(currentSpec ?? "") needs a hand edit: \(error.message)"
            default: decision.reason = error.message
            }
        }
        return decision
    }

    /// The version a spec pins, without operator or build: the bound an edit would move, else the spec itself.
    static func currentVersion(_ spec: String) -> String? {
        if EnvironmentFile.isAnyVersion(spec, manager: .conda) { return nil }
        let bytes = Array(spec.utf8)
        guard let clauses = ConstraintClause.split(spec) else { return spec }
        let movable = clauses.first { ["", "=", "==", "===", "~=", ">="].contains($0.op) }
        guard let clause = movable ?? clauses.first else { return nil }
        return String(decoding: bytes[clause.versionRange], as: UTF8.self)
    }

    private func examplesConflicts(_ kernel: LocalKernel, _ source: SourceRelease) -> [ExamplesConflict] {
        if let configured = source.config.kernels, !configured.contains(kernel.kernel) { return [] }
        guard let summary = source.release.examples else { return [] }
        var conflicts: [ExamplesConflict] = []
        for dependency in kernel.file.dependencies {
            guard let name = dependency.name, let spec = dependency.versionText,
                let pinned = Self.currentVersion(spec), let version = try? PEP440Version(pinned)
            else { continue }
            let key = names.key(name)
            var bySpec: [String: [String]] = [:]
            var specOrder: [String] = []
            for requirement in summary.requirements where names.key(requirement.package) == key {
                guard !requirement.spec.isEmpty, let set = try? PEP440SpecifierSet(requirement.spec) else { continue }
                guard !set.contains(version, prereleases: true) else { continue }
                if bySpec[requirement.spec] == nil { specOrder.append(requirement.spec) }
                bySpec[requirement.spec, default: []].append(requirement.file)
            }
            for spec in specOrder {
                conflicts.append(
                    ExamplesConflict(
                        kernel: kernel.kernel, package: name, pinned: pinned, spec: spec,
                        files: bySpec[spec] ?? [], source: source.config.name))
            }
        }
        return conflicts
    }
}

/// What deciding dependencies learns that later decisions reuse: versions parsed, package keys, the version a spec
/// pins, and which spec texts admit which versions. Each run of kernels has its own; never shared between threads.
final class DecisionMemo {
    private var condaVersions: [String: CondaVersion?] = [:]
    private var pep440Versions: [String: PEP440Version?] = [:]
    private var keys: [String: String] = [:]
    private var currentVersions: [String: String?] = [:]
    private var admissions: [Admission: Bool] = [:]

    struct Admission: Hashable {
        var manager: PackageManager
        var spec: String
        var version: String
        var hasBuild: Bool
    }

    func conda(_ text: String) -> CondaVersion? {
        if let known = condaVersions[text] { return known }
        let parsed = try? CondaVersion(text)
        condaVersions[text] = parsed
        return parsed
    }

    func pep440(_ text: String) -> PEP440Version? {
        if let known = pep440Versions[text] { return known }
        let parsed = try? PEP440Version(text)
        pep440Versions[text] = parsed
        return parsed
    }

    func key(_ name: String, _ names: PackageNames) -> String {
        if let known = keys[name] { return known }
        let key = names.key(name)
        keys[name] = key
        return key
    }

    func currentVersion(_ spec: String) -> String? {
        if let plain = ConstraintClause.plainPinVersion(spec) { return plain }
        if let known = currentVersions[spec] { return known }
        let version = DriftEngine.currentVersion(spec)
        currentVersions[spec] = version
        return version
    }

    func admits(_ admission: Admission, _ decide: () -> Bool) -> Bool {
        if let known = admissions[admission] { return known }
        let result = decide()
        admissions[admission] = result
        return result
    }
}

extension ChangeKind {
    /// The kind's place in `allCases`.
    var ordinal: Int {
        switch self {
        case .major: 0
        case .minor: 1
        case .patch: 2
        case .downgrade: 3
        case .same: 4
        case .other: 5
        }
    }
}
