/// Reads what a live notebook instance exported for one kernel: the `conda env export` YAML and, optionally, the
/// `pip freeze` text of the same environment. This is the only complete package list on the AWS side.
///
/// Where the export and the freeze both name a package with different versions, both are reported in the notes
/// and the higher version wins (as the original image's own `create_env_file.py` did; on a tie the conda entry
/// stays). A freeze line without a version (`numpy @ file:///…`, `-e …`) changes nothing.
public enum EnvExportReader {
    /// One line of a `pip freeze` text that pins a version.
    public struct FrozenPackage: Sendable, Hashable {
        public var name: String
        public var version: String
        public var line: Int
    }

    /// Reads an export (and its freeze text). The kernel is `conda_` + the export's `name:` (file stem if none).
    public static func read(
        export: [UInt8], exportLocation: String, freeze: [UInt8]? = nil, freezeLocation: String? = nil,
        limits: UpstreamLimits = UpstreamLimits()
    ) throws(UpstreamError) -> UpstreamRelease {
        let text = try UpstreamText.decode(
            export, source: .envExport, location: exportLocation, maxBytes: limits.maxBytesPerFile)
        let file: EnvironmentFile
        do {
            file = try EnvironmentFile(text: text, path: exportLocation)
        } catch {
            throw UpstreamError(
                .malformed, source: .envExport, location: exportLocation, line: error.line,
                message: "not a conda env export: \(error.message)")
        }
        guard file.dependencies.contains(where: { $0.name != nil }) else {
            throw UpstreamError(
                .missingContent, source: .envExport, location: exportLocation,
                message: "no `dependencies` with packages; expected the output of `conda env export`")
        }
        let kernel = "conda_" + (file.name ?? stem(of: exportLocation))
        var notes: [String] = []
        var packages: [UpstreamPackage] = []
        var indexByKey: [String: Int] = [:]
        var python: String?
        for dependency in file.dependencies {
            switch dependency.requirement {
            case .conda(let spec):
                guard let version = exactVersion(dependency.versionText) else {
                    if spec.name != "pip" {
                        notes.append("\(exportLocation):\(dependency.line): `\(dependency.raw)` pins no exact version")
                    }
                    continue
                }
                if spec.name == "python" { python = majorMinor(version) }
                indexByKey[normalizedPythonPackageName(spec.name)] = packages.count
                packages.append(
                    UpstreamPackage(
                        name: spec.name, version: version, manager: .conda, build: spec.build, channel: spec.channel,
                        subdir: spec.subdir))
            case .pip(let requirement):
                guard let version = exactVersion(dependency.versionText) else {
                    notes.append("\(exportLocation):\(dependency.line): `\(dependency.raw)` pins no exact version")
                    continue
                }
                let key = normalizedPythonPackageName(requirement.name)
                let package = UpstreamPackage(name: requirement.name, version: version, manager: .pip)
                if let index = indexByKey[key] {
                    merge(package, into: &packages[index], origin: "export pip block", notes: &notes)
                } else {
                    indexByKey[key] = packages.count
                    packages.append(package)
                }
            case .other(let reason):
                notes.append(
                    "\(exportLocation):\(dependency.line): `\(dependency.raw)` is not a requirement (\(reason))")
            }
        }
        if let freeze {
            let location = freezeLocation ?? "pip freeze"
            let freezeText = try UpstreamText.decode(
                freeze, source: .envExport, location: location, maxBytes: limits.maxBytesPerFile)
            let (frozen, freezeNotes) = readFreeze(freezeText, location: location)
            notes += freezeNotes
            for item in frozen {
                let key = normalizedPythonPackageName(item.name)
                let package = UpstreamPackage(name: item.name, version: item.version, manager: .pip)
                if let index = indexByKey[key] {
                    merge(package, into: &packages[index], origin: "pip freeze", notes: &notes)
                } else {
                    indexByKey[key] = packages.count
                    packages.append(package)
                }
            }
        }
        let digest = "sha256:" + SHA256Digest.hex(export + (freeze ?? []))
        return UpstreamRelease(
            kind: .envExport, release: digest, published: nil,
            kernels: [UpstreamKernel(kernel: kernel, python: python, packages: packages)], notes: notes)
    }

    /// The environment a kernel's export is named after: `conda_python3` → `python3`.
    public static func environmentName(ofKernel kernel: String) -> String {
        kernel.hasPrefix("conda_") ? String(kernel.dropFirst("conda_".count)) : kernel
    }

    /// Refuses an environment name (from an index file or the configuration) that could not be a file name.
    public static func checkEnvironmentName(_ name: String, location: String) throws(UpstreamError) {
        guard EnvironmentFile.isSafePackageName(name) else {
            throw UpstreamError(
                .malformed, source: .envExport, location: location,
                message: "\(name.debugDescription) is not an environment name")
        }
    }

    /// One release of several kernels' exports, in the order given.
    public static func combine(_ releases: [UpstreamRelease], releaseID: String) -> UpstreamRelease {
        UpstreamRelease(
            kind: .envExport, release: releaseID, kernels: releases.flatMap(\.kernels),
            notes: releases.flatMap(\.notes))
    }

    /// Reads `pip freeze` output: `name==version` lines pin; `name @ url`, `-e …` and comments do not.
    public static func readFreeze(_ text: String, location: String) -> ([FrozenPackage], [String]) {
        var packages: [FrozenPackage] = []
        var notes: [String] = []
        var unpinned = 0
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(rawLine.trimmingSpaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("-") {
                notes.append("\(location):\(index + 1): `\(line)` is not a pinned package; ignored")
                continue
            }
            guard let separator = line.firstRange(of: "==") else {
                unpinned += 1
                continue
            }
            let name = String(line[..<separator.lowerBound].trimmingSpaces)
            let version = String(line[separator.upperBound...].trimmingSpaces)
            guard EnvironmentFile.isSafePackageName(name), (try? PEP440Version(version)) != nil else {
                notes.append("\(location):\(index + 1): `\(line)` is not a `name==version` pin; ignored")
                continue
            }
            packages.append(FrozenPackage(name: name, version: version, line: index + 1))
        }
        if unpinned > 0 {
            notes.append("\(location): \(unpinned) lines name a package without a version (`name @ url`); ignored")
        }
        return (packages, notes)
    }

    /// Keeps the higher of two versions of one package, noting both when they differ.
    static func merge(
        _ candidate: UpstreamPackage, into current: inout UpstreamPackage, origin: String, notes: inout [String]
    ) {
        guard candidate.version != current.version else { return }
        let higher = isHigher(candidate.version, than: current.version)
        let winner = higher ? candidate : current
        notes.append(
            "\(current.name): \(current.manager?.rawValue ?? "export") \(current.version), \(origin) "
                + "\(candidate.version); \(winner.version) wins (the higher version)")
        if higher { current = candidate }
    }

    static func isHigher(_ a: String, than b: String) -> Bool {
        if let x = try? PEP440Version(a), let y = try? PEP440Version(b) { return x > y }
        if let x = try? CondaVersion(a), let y = try? CondaVersion(b) { return x > y }
        return false
    }

    /// The version of an exact pin (`=1.2`, `==1.2`, `1.2`), nil for ranges, wildcards and no version.
    static func exactVersion(_ spec: String?) -> String? {
        guard var text = spec.map({ String($0.trimmingSpaces) }) else { return nil }
        for op in ["===", "==", "="] where text.hasPrefix(op) {
            text = String(text.dropFirst(op.count))
            break
        }
        guard !text.isEmpty, EnvironmentFile.isSafeVersion(text) else { return nil }
        return text
    }

    static func majorMinor(_ version: String) -> String {
        version.split(separator: ".").prefix(2).joined(separator: ".")
    }

    /// A file's name without its folder and its `.yml`/`.yaml` extension: the env name when `name:` is absent.
    public static func stem(of path: String) -> String {
        var name = path.split(separator: "/").last.map(String.init) ?? path
        for suffix in [".yml", ".yaml"] where name.hasSuffix(suffix) {
            name = String(name.dropLast(suffix.count))
        }
        return name
    }
}
