/// Where an installable version will come from.
public struct AvailabilitySource: Sendable, Hashable {
    /// conda: the channel's short name (`conda-forge`) or URL; pip: nil.
    public var channel: String?
    public var subdir: String?
    public var build: String?
    /// The package file (`numpy-2.1.3-py310h1_0.conda`, `numpy-2.1.3-cp310-…whl`).
    public var file: String
    /// pip: the index URL.
    public var index: String?

    public init(channel: String? = nil, subdir: String? = nil, build: String? = nil, file: String, index: String? = nil)
    {
        self.channel = channel
        self.subdir = subdir
        self.build = build
        self.file = file
        self.index = index
    }

    /// One phrase for reports: `conda-forge linux-64 py310h1_0`, or the index file's name.
    public var summary: String {
        if let channel {
            return [channel, subdir, build].compactMap { $0 }.joined(separator: " ")
        }
        return file
    }
}

/// The outcome of one check.
public enum AvailabilityVerdict: Sendable, Hashable {
    case available(AvailabilitySource)
    case unavailable(String)
}

/// The Python an env file pins (`python=3.10` or `python=3.10.14`), as the checks use it.
public struct PythonTarget: Sendable, Hashable {
    public var major: Int
    public var minor: Int
    /// The full version when the file pins one (`3.10.14`).
    public var exact: String?

    public init(major: Int, minor: Int, exact: String? = nil) {
        self.major = major
        self.minor = minor
        self.exact = exact
    }

    /// From a version text (`3.10`, `3.10.14`, `3.10.*`); nil without a major and minor number.
    public init?(version: String) {
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        self.major = major
        self.minor = minor
        self.exact = parts.count == 3 && Int(parts[2]) != nil ? version : nil
    }

    /// `3.10`.
    public var display: String { "\(major).\(minor)" }
    /// `py310`, as conda build strings name it.
    public var condaTag: String { "py\(major)\(minor)" }
    /// `cp310`, as wheel tags name it.
    public var wheelTag: String { "cp\(major)\(minor)" }

    /// The versions that stand for "Python X.Y": the pinned one, else the first and a late patch release.
    var representatives: [String] {
        if let exact { return [exact] }
        return ["\(major).\(minor).0", "\(major).\(minor).99"]
    }

    /// Whether a conda version spec (`>=3.10,<3.11.0a0`, `3.10.*`) admits this Python.
    public func admits(conda spec: CondaVersionSpec) -> Bool {
        representatives.contains { text in (try? CondaVersion(text)).map(spec.matches) ?? false }
    }

    /// Whether a `requires-python` value admits this Python (an unreadable value admits it, as pip does).
    public func admits(requiresPython text: String) -> Bool {
        guard let set = try? PEP440SpecifierSet(text) else { return true }
        return representatives.contains { set.contains($0, prereleases: true) }
    }
}

/// Whether a conda package version can be installed from a file's channels: a record of the spec in each
/// platform's subdir or `noarch`, under strict or flexible channel priority, whose `depends` admit the Python.
public struct CondaCheck: Sendable, Hashable {
    /// The package name, lower case.
    public var name: String
    /// The version proposed (for messages).
    public var version: String
    /// The spec as the edit will write it; its build is kept when the edit keeps it.
    public var spec: CondaMatchSpec
    /// Channel URLs in priority order.
    public var channels: [String]
    /// The platforms that must each have it (`linux-64`), or `noarch` alone.
    public var platforms: [String]
    public var python: PythonTarget?
    public var priority: AvailabilityConfig.ChannelPriority

    public init(
        name: String, version: String, spec: CondaMatchSpec, channels: [String], platforms: [String],
        python: PythonTarget?, priority: AvailabilityConfig.ChannelPriority
    ) {
        self.name = name.lowercased()
        self.version = version
        self.spec = spec
        self.channels = channels
        self.platforms = platforms
        self.python = python
        self.priority = priority
    }

    /// The subdirs a platform installs from.
    public static func subdirs(of platform: String) -> [String] {
        platform == "noarch" ? ["noarch"] : [platform, "noarch"]
    }

    /// Every subdir the check reads.
    public var subdirs: [String] {
        var result: [String] = []
        for platform in platforms {
            for subdir in Self.subdirs(of: platform) where !result.contains(subdir) { result.append(subdir) }
        }
        return result
    }

    /// The verdict, given this package's records per channel URL and subdir (a missing subdir has none).
    /// `label` shortens a channel URL for messages.
    public func verdict(records: [String: [String: [CondaRecord]]], label: (String) -> String) -> AvailabilityVerdict {
        let subdirs = self.subdirs
        func listed(_ channel: String) -> Bool {
            subdirs.contains { !(records[channel]?[$0] ?? []).isEmpty }
        }
        let having = channels.filter(listed)
        let head = "\(name) \(version)"
        guard let first = having.first else {
            let names = channels.map(label).joined(separator: ", ")
            return .unavailable(
                "\(head): no channel has \(name) (looked in \(names.isEmpty ? "no channel" : names) for "
                    + "\(subdirs.joined(separator: ", ")))")
        }
        let deciding = priority == .strict ? [first] : having
        var found: [(platform: String, channel: String, record: CondaRecord)] = []
        var missing: [String] = []
        for platform in platforms {
            if let (channel, record) = best(in: deciding, platform: platform, records: records) {
                found.append((platform, channel, record))
            } else {
                missing.append(platform)
            }
        }
        if missing.isEmpty, let pick = found.first {
            return .available(
                AvailabilitySource(
                    channel: label(pick.channel), subdir: pick.record.subdir, build: pick.record.build,
                    file: pick.record.fileName))
        }
        // Why not: per missing platform, the closest miss.
        let place = deciding.map(label).joined(separator: ", ")
        var parts: [String] = []
        if !found.isEmpty {
            let channels = Self.unique(found.map { label($0.channel) }).joined(separator: ", ")
            parts.append("on \(channels) only for \(found.map(\.platform).joined(separator: ", "))")
        }
        for platform in missing {
            parts.append(missReason(platform: platform, deciding: deciding, records: records, place: place))
        }
        var text = "\(head): " + parts.joined(separator: "; ")
        if priority == .strict, having.count > 1 {
            let others = having.dropFirst()
            let flexible = CondaCheck(
                name: name, version: version, spec: spec, channels: Array(others), platforms: platforms,
                python: python, priority: .flexible)
            if case .available(let source) = flexible.verdict(records: records, label: label) {
                text += " (strict channel priority: \(label(first)) decides; \(source.channel ?? "") has it)"
            }
        }
        return .unavailable(text)
    }

    /// The record conda would take for a platform: the first deciding channel with a match, highest build number.
    private func best(
        in channels: [String], platform: String, records: [String: [String: [CondaRecord]]]
    ) -> (
        String, CondaRecord
    )? {
        for channel in channels {
            var pick: CondaRecord?
            for subdir in Self.subdirs(of: platform) {
                for record in records[channel]?[subdir] ?? [] where matches(record) && admitsPython(record) == nil {
                    if pick == nil || record.buildNumber > (pick?.buildNumber ?? 0) { pick = record }
                }
            }
            if let pick { return (channel, pick) }
        }
        return nil
    }

    func matches(_ record: CondaRecord) -> Bool {
        guard let version = try? CondaVersion(record.version) else { return false }
        return spec.matches(name: record.name, version: version, build: record.build)
    }

    func versionMatches(_ record: CondaRecord) -> Bool {
        guard let version = try? CondaVersion(record.version) else { return false }
        return spec.version.map { $0.matches(version) } ?? true
    }

    /// nil when the record's dependencies admit the Python (or name none); else the dependency that does not.
    func admitsPython(_ record: CondaRecord) -> String? {
        guard let python, name != "python" else { return nil }
        for dependency in record.depends {
            let head = dependency.prefix { $0 != " " && $0 != "=" && $0 != "<" && $0 != ">" && $0 != "!" }
            guard head == "python" || head == "python_abi" else { continue }
            guard let parsed = try? CondaMatchSpec.parse(dependency), let version = parsed.version else { continue }
            if !python.admits(conda: version) { return dependency }
        }
        return nil
    }

    private func missReason(
        platform: String, deciding: [String], records: [String: [String: [CondaRecord]]], place channels: String
    ) -> String {
        let all = deciding.flatMap { channel in Self.subdirs(of: platform).flatMap { records[channel]?[$0] ?? [] } }
        let ofVersion = all.filter(versionMatches)
        let pythonTag = python.map { "/\($0.condaTag)" } ?? ""
        if ofVersion.isEmpty {
            let newest = all.compactMap { try? CondaVersion($0.version) }.max()
            let newestText = newest.map { "; newest there \($0.text)" } ?? ""
            return "\(channels) has no \(version) for \(Self.subdirs(of: platform).joined(separator: " or "))"
                + newestText
        }
        let ofBuild = ofVersion.filter(matches)
        if ofBuild.isEmpty, let build = spec.build {
            return "no build matching \(build) for \(platform) on \(channels)"
        }
        let needs = ofBuild.compactMap(admitsPython)
        let needText = Self.unique(needs).prefix(2).joined(separator: "; ")
        return "none for \(platform)\(pythonTag) on \(channels)"
            + (needText.isEmpty ? "" : " (builds need \(needText))")
    }

    static func unique(_ items: [String]) -> [String] {
        var seen: Set<String> = []
        return items.filter { seen.insert($0).inserted }
    }
}

/// Whether a pip package version can be installed from a PEP 691 index: a file of that version, not yanked, whose
/// `requires-python` admits the Python, that is an sdist or a wheel for each platform (as pip on a manylinux
/// glibc system takes them).
public struct PipCheck: Sendable, Hashable {
    /// The PEP 503-normalised project name.
    public var project: String
    public var version: String
    public var index: String
    /// conda platform names (`linux-64`, `linux-aarch64`).
    public var platforms: [String]
    public var python: PythonTarget?
    /// The image's glibc, `[2, 34]`.
    public var glibc: [Int]

    public init(
        project: String, version: String, index: String, platforms: [String], python: PythonTarget?, glibc: [Int]
    ) {
        self.project = normalizedPythonPackageName(project)
        self.version = version
        self.index = index
        self.platforms = platforms
        self.python = python
        self.glibc = glibc
    }

    /// The verdict for the project's files on the index (nil: the index does not know the project).
    public func verdict(files: [IndexFile]?) -> AvailabilityVerdict {
        let head = "\(project) \(version)"
        guard let files else { return .unavailable("\(head): \(index) does not know \(project)") }
        guard let target = try? PEP440Version(version) else {
            return .unavailable("\(head): not a version pip can compare")
        }
        let parsed = files.compactMap { file in Self.fileVersion(file.filename, project: project).map { (file, $0) } }
        let ofVersion = parsed.filter { (try? PEP440Version($0.1)) == target }.map(\.0)
        guard !ofVersion.isEmpty else {
            let newest = parsed.filter { !$0.0.yanked }.compactMap { try? PEP440Version($0.1) }
                .filter { !$0.isPrerelease }.max()
            return .unavailable(
                "\(head): no file for \(version) on \(index)" + (newest.map { "; newest there \($0)" } ?? ""))
        }
        let live = ofVersion.filter { !$0.yanked }
        guard !live.isEmpty else {
            let reason = ofVersion.compactMap(\.yankedReason).first.map { ": \($0)" } ?? ""
            return .unavailable("\(head): every file of \(version) on \(index) is yanked\(reason)")
        }
        let admitted = live.filter { file in
            guard let python, let requires = file.requiresPython else { return true }
            return python.admits(requiresPython: requires)
        }
        guard !admitted.isEmpty else {
            let requires = CondaCheck.unique(live.compactMap(\.requiresPython)).joined(separator: "; ")
            return .unavailable(
                "\(head): no file on \(index) admits Python \(python?.display ?? "") (requires-python \(requires))")
        }
        var chosen: IndexFile?
        var missing: [String] = []
        for platform in platforms {
            let wheel = admitted.first { Self.isWheel($0.filename) && wheelFits($0.filename, platform: platform) }
            let sdist = admitted.first { Self.isSdist($0.filename) }
            if let pick = wheel ?? sdist {
                if chosen == nil { chosen = pick }
            } else {
                missing.append(platform)
            }
        }
        if missing.isEmpty, let chosen {
            return .available(AvailabilitySource(file: chosen.filename, index: index))
        }
        let tag = python.map { " / \($0.wheelTag)" } ?? ""
        let sample = admitted.prefix(3).map(\.filename).joined(separator: ", ")
        return .unavailable(
            "\(head): no wheel for \(missing.joined(separator: ", "))\(tag) and no sdist on \(index) (files: \(sample))"
        )
    }

    // MARK: File names

    static func isWheel(_ name: String) -> Bool { name.hasSuffix(".whl") }

    static let sdistSuffixes = [".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz"]

    static func isSdist(_ name: String) -> Bool { sdistSuffixes.contains { name.hasSuffix($0) } }

    /// The version a file name carries: a wheel's second field, an sdist's part after the project name.
    public static func fileVersion(_ filename: String, project: String) -> String? {
        if isWheel(filename) {
            let parts = filename.dropLast(4).split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 5 || parts.count == 6 else { return nil }
            guard normalizedPythonPackageName(String(parts[0])) == project else { return nil }
            return String(parts[1])
        }
        guard let suffix = sdistSuffixes.first(where: { filename.hasSuffix($0) }) else { return nil }
        let stem = filename.dropLast(suffix.count)
        var index = stem.startIndex
        while let hyphen = stem[index...].firstIndex(of: "-") {
            if normalizedPythonPackageName(String(stem[..<hyphen])) == project {
                let version = stem[stem.index(after: hyphen)...]
                return version.isEmpty ? nil : String(version)
            }
            index = stem.index(after: hyphen)
        }
        return nil
    }

    /// The wheel architecture of a conda platform.
    static func architecture(of platform: String) -> String? {
        switch platform {
        case "linux-64": "x86_64"
        case "linux-aarch64": "aarch64"
        case "linux-ppc64le": "ppc64le"
        case "linux-s390x": "s390x"
        default: nil
        }
    }

    /// Whether pip on a manylinux (glibc) system of `platform` with this Python takes the wheel.
    public func wheelFits(_ filename: String, platform: String) -> Bool {
        let parts = filename.dropLast(4).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 5 || parts.count == 6 else { return false }
        let pythonTags = parts[parts.count - 3].split(separator: ".")
        let abiTags = parts[parts.count - 2].split(separator: ".")
        let platformTags = parts[parts.count - 1].split(separator: ".")
        guard platformTags.contains(where: { platformFits(String($0), platform: platform) }) else { return false }
        return pythonTags.contains { pythonTag in
            abiTags.contains { pythonFits(String(pythonTag), abi: String($0)) }
        }
    }

    func platformFits(_ tag: String, platform: String) -> Bool {
        if tag == "any" { return true }
        guard let arch = Self.architecture(of: platform), tag.hasSuffix("_" + arch) else { return false }
        let stem = tag.dropLast(arch.count + 1)
        let legacy: [Substring: [Int]] = ["manylinux1": [2, 5], "manylinux2010": [2, 12], "manylinux2014": [2, 17]]
        if let needed = legacy[stem] { return needed.lexicographicallyPrecedes(glibc) || needed == glibc }
        guard stem.hasPrefix("manylinux_") else { return false }
        let numbers = stem.dropFirst("manylinux_".count).split(separator: "_").map { Int($0) }
        guard numbers.count == 2, let major = numbers[0], let minor = numbers[1] else { return false }
        return [major, minor].lexicographicallyPrecedes(glibc) || [major, minor] == glibc
    }

    /// The minor version of a tag's digits (`310` → 10 for major 3); nil when they do not start with the major.
    static func minor(_ digits: Substring, major: Int) -> Int? {
        let prefix = "\(major)"
        guard digits.hasPrefix(prefix), digits.count > prefix.count else { return nil }
        return Int(digits.dropFirst(prefix.count))
    }

    func pythonFits(_ tag: String, abi: String) -> Bool {
        guard let python else { return tag.hasPrefix("py3") || tag.hasPrefix("cp3") }
        let own = "\(python.major)\(python.minor)"
        if tag.hasPrefix("py") {
            guard abi == "none" else { return false }
            let digits = tag.dropFirst(2)
            if digits == "\(python.major)" { return true }
            guard let minor = Self.minor(digits, major: python.major) else { return false }
            return minor <= python.minor
        }
        guard tag.hasPrefix("cp") else { return false }
        let digits = tag.dropFirst(2)
        if abi == "abi3" {
            guard let minor = Self.minor(digits, major: python.major) else { return false }
            return minor <= python.minor
        }
        return digits == own && (abi == "cp\(own)" || abi == "cp\(own)m" || abi == "none")
    }
}
