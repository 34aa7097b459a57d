import Foundation
import SMSync

/// A source that could not be read in a run, with the reason; the other sources still count.
public struct SourceFailure: Sendable, CustomStringConvertible {
    public var source: String
    public var error: UpstreamError
    public var description: String { "\(source): \(error.description)" }
}

/// The local side of a run: the configuration and the environment files it names.
public struct Workspace: Sendable {
    public var configuration: Configuration
    public var kernels: [LocalKernel]

    public init(configuration: Configuration, kernels: [LocalKernel]) {
        self.configuration = configuration
        self.kernels = kernels
    }

    /// Reads `smsync.yml` and every environment file it names. Bad configuration or a file conda would reject is
    /// a `ConfigError` (exit 2).
    public static func load(configPath: String) throws(ConfigError) -> Workspace {
        let configuration = try loadConfiguration(configPath: configPath)
        return Workspace(configuration: configuration, kernels: try loadKernels(configuration))
    }

    /// Reads and checks `smsync.yml` only.
    public static func loadConfiguration(configPath: String) throws(ConfigError) -> Configuration {
        let bytes: [UInt8]
        do {
            bytes = try AtomicFile.read(configPath, limit: 1 << 20)
        } catch {
            throw ConfigError(
                path: configPath, keyPath: "", line: nil, "cannot read the configuration: \(error.reason)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(path: configPath, keyPath: "", line: nil, "the configuration is not UTF-8 text")
        }
        return try Configuration(text: text, file: configPath)
    }

    /// Reads and checks every environment file `configuration` names, in report order.
    public static func loadKernels(_ configuration: Configuration) throws(ConfigError) -> [LocalKernel] {
        var kernels: [LocalKernel] = []
        var byName: [String: String] = [:]
        func add(_ kernel: String, _ path: String, _ file: EnvironmentFile, keyPath: String) throws(ConfigError) {
            if let existing = byName[kernel] {
                throw ConfigError(
                    path: configuration.file, keyPath: keyPath, line: nil,
                    "kernel \(kernel) comes from both \(existing) and \(path); map one explicitly in envs.kernels")
            }
            byName[kernel] = path
            kernels.append(LocalKernel(kernel: kernel, path: path, file: file))
        }
        // Every file to read, in the order kernels are reported: explicit mappings, then the folder's files by name.
        var entries: [(kernel: String?, path: String, name: String, keyPath: String)] = []
        for (kernel, path) in configuration.explicitKernels {
            entries.append((kernel, path, path, "envs.kernels.\(kernel)"))
        }
        let mapped = Set(configuration.explicitKernels.map { standardized($0.file) })
        if let directory = configuration.envsDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw ConfigError(
                    path: configuration.file, keyPath: "envs.dir", line: nil, "folder not found: \(directory)")
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names.sorted() where name.hasSuffix(".yml") || name.hasSuffix(".yaml") {
                let path = "\(directory)/\(name)"
                if mapped.contains(standardized(path)) { continue }
                entries.append((nil, path, name, "envs.dir"))
            }
        }
        // Files are read and parsed on every core; the first error in that order is the one reported.
        let results = ParallelMap.map(entries) { entry in
            Result { () throws(ConfigError) -> EnvironmentFile in
                try readEnvironment(entry.path, configuration: configuration, keyPath: entry.keyPath)
            }
        }
        for (entry, result) in zip(entries, results) {
            let file = try result.get()
            let kernel = entry.kernel ?? "conda_" + (file.name ?? EnvExportReader.stem(of: entry.name))
            try add(kernel, entry.path, file, keyPath: entry.keyPath)
        }
        guard !kernels.isEmpty else {
            throw ConfigError(path: configuration.file, keyPath: "envs", line: nil, "no environment files found")
        }
        return kernels
    }

    private static func standardized(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    private static func readEnvironment(
        _ path: String, configuration: Configuration, keyPath: String
    )
        throws(ConfigError) -> EnvironmentFile
    {
        let bytes: [UInt8]
        do {
            bytes = try AtomicFile.read(path, limit: 16 << 20)
        } catch {
            throw ConfigError(path: configuration.file, keyPath: keyPath, line: nil, error.description)
        }
        do {
            return try EnvironmentFile(bytes: bytes, path: path)
        } catch {
            throw ConfigError(path: error.path, keyPath: "", line: error.line, error.message)
        }
    }
}

/// Reads upstream sources that are local files or folders (`file://` URLs or paths).
public enum LocalSources {
    /// Every source's release, in configuration order; a source that fails is reported and the rest go on.
    public static func read(
        _ configuration: Configuration, limits: UpstreamLimits = UpstreamLimits()
    )
        -> (releases: [SourceRelease], failures: [SourceFailure])
    {
        var releases: [SourceRelease] = []
        var failures: [SourceFailure] = []
        for source in configuration.sources {
            do {
                let release = try read(source, configuration: configuration, limits: limits)
                releases.append(SourceRelease(config: source, release: release))
            } catch {
                failures.append(SourceFailure(source: source.name, error: error))
            }
        }
        return (releases, failures)
    }

    /// One source read from disk.
    public static func read(
        _ source: SourceConfig, configuration: Configuration, limits: UpstreamLimits
    )
        throws(UpstreamError) -> UpstreamRelease
    {
        let kind = source.upstreamKind
        guard let path = configuration.localPath(of: source) else {
            throw UpstreamError(
                .unreadable, source: kind, location: source.url,
                message: "an http(s) source is read over HTTP (by the source poller), not from disk")
        }
        let variant = DistributionVariant(rawValue: source.variant ?? "cpu") ?? .cpu
        return try read(kind, paths: [path], variant: variant, kernels: source.kernels, limits: limits)
    }

    /// The one map from a source kind to its reader on disk, for configured sources and `smsync upstream parse`.
    ///
    /// `paths` is one file or folder; distribution takes several release files or folders, and env-export an export
    /// YAML followed by its `pip freeze` text. A single export file is read with the `<env>_pip.txt` beside it
    /// when `siblingFreeze` (a configured source), else alone (the command reads only the files it is given).
    public static func read(
        _ kind: UpstreamSourceKind, paths: [String], variant: DistributionVariant = .cpu, kernels: [String]? = nil,
        commit: String? = nil, siblingFreeze: Bool = true, limits: UpstreamLimits
    ) throws(UpstreamError) -> UpstreamRelease {
        guard let path = paths.first else {
            throw UpstreamError(.unreadable, source: kind, location: "", message: "no input path")
        }
        switch kind {
        case .awsDocs:
            return try UpstreamReaders.awsDocs(path: path, limits: limits)
        case .sdkChangelog:
            return try UpstreamReaders.sdkChangelog(path: path, limits: limits)
        case .distribution:
            return try UpstreamReaders.distribution(paths: paths, variant: variant, limits: limits)
        case .examples:
            return try ExamplesTree.scan(root: path, commit: commit, limits: limits)
        case .envExport:
            if UpstreamFiles.isDirectory(path) || (siblingFreeze && paths.count == 1) {
                return try envExports(at: path, kernels: kernels, limits: limits)
            }
            let export = try UpstreamFiles.read(path, source: .envExport, maxBytes: limits.maxBytesPerFile)
            let freezePath = paths.dropFirst().first
            let freeze = try freezePath.map { (freezePath) throws(UpstreamError) in
                try UpstreamFiles.read(freezePath, source: .envExport, maxBytes: limits.maxBytesPerFile)
            }
            return try EnvExportReader.read(
                export: Array(export), exportLocation: path, freeze: freeze.map(Array.init),
                freezeLocation: freezePath, limits: limits)
        }
    }

    /// Exports in a folder: `<env>.yml` and optional `<env>_pip.txt` for each env named by `kernels` (without
    /// `conda_`), else by the folder's `environment_list.txt`, else every `*.yml` in it. A single `.yml` path is one
    /// export (with a `<env>_pip.txt` beside it when present).
    public static func envExports(
        at path: String, kernels: [String]?, limits: UpstreamLimits
    )
        throws(UpstreamError) -> UpstreamRelease
    {
        let folder: String
        var environments: [String]
        if UpstreamFiles.isDirectory(path) {
            folder = path.hasSuffix("/") ? String(path.dropLast()) : path
            if let kernels {
                environments = kernels.map(EnvExportReader.environmentName(ofKernel:))
            } else if let index = try? UpstreamFiles.read(
                "\(folder)/environment_list.txt", source: .envExport, maxBytes: limits.maxBytesPerFile)
            {
                environments = EnvExportIndex.environments(in: String(decoding: index, as: UTF8.self))
            } else {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
                environments = names.sorted().filter { $0.hasSuffix(".yml") }.map { String($0.dropLast(4)) }
            }
        } else {
            folder = (path as NSString).deletingLastPathComponent
            let name = (path as NSString).lastPathComponent
            environments = [name.hasSuffix(".yml") ? String(name.dropLast(4)) : name]
        }
        guard !environments.isEmpty else {
            throw UpstreamError(.missingContent, source: .envExport, location: path, message: "no exports found")
        }
        var releases: [UpstreamRelease] = []
        for environment in environments {
            try EnvExportReader.checkEnvironmentName(environment, location: path)
            let exportPath = "\(folder)/\(environment).yml"
            let export = try UpstreamFiles.read(exportPath, source: .envExport, maxBytes: limits.maxBytesPerFile)
            let freezePath = "\(folder)/\(environment)_pip.txt"
            let freeze =
                FileManager.default.fileExists(atPath: freezePath)
                ? try UpstreamFiles.read(freezePath, source: .envExport, maxBytes: limits.maxBytesPerFile) : nil
            releases.append(
                try EnvExportReader.read(
                    export: Array(export), exportLocation: exportPath, freeze: freeze.map(Array.init),
                    freezeLocation: freezePath, limits: limits))
        }
        let digests = releases.map { $0.release ?? "" }.joined(separator: "\n")
        return EnvExportReader.combine(releases, releaseID: "sha256:" + SHA256Digest.hex(Array(digests.utf8)))
    }
}

/// The index file a notebook instance's exporter writes beside the exports: one line per environment, its name
/// and, from exporters that write it, the sha256 of its `<env>.yml` followed by its `<env>_pip.txt`
/// (`python3 9f2c…`). Older exporters and hand-made folders write names only.
public enum EnvExportIndex {
    /// One line of the index.
    public struct Entry: Sendable, Hashable {
        public var name: String
        /// The content digest after the name, as written (`sha256:` prefix optional); nil when the line has none or
        /// the second word is not a hexadecimal digest.
        public var digest: String?
    }

    /// The lines in order: the first word is the name, a hexadecimal digest may follow; blank lines and `#`
    /// comments are skipped.
    public static func entries(in text: String) -> [Entry] {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).compactMap { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let name = words.first, !name.hasPrefix("#") else { return nil }
            return Entry(name: name, digest: words.count > 1 ? digest(words[1]) : nil)
        }
    }

    /// The environment names, in order.
    public static func environments(in text: String) -> [String] {
        entries(in: text).map(\.name)
    }

    static func digest(_ word: String) -> String? {
        let hex = word.hasPrefix("sha256:") ? word.dropFirst("sha256:".count) : Substring(word)
        guard (4...128).contains(hex.count), hex.allSatisfy(\.isHexDigit) else { return nil }
        return word
    }
}
