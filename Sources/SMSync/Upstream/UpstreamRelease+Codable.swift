import Foundation

// Two JSON forms of an upstream release:
//
// - The `smsync upstream parse` contract (its `Encodable` side is in UpstreamReleaseRendering.swift; the
//   `Decodable` side is here, so that contract JSON reads back). It leaves out what the contract does not
//   promise: package channel and subdir, platforms, the default platform.
// - ``UpstreamReleaseArchive``: every field, for storing a parsed release (in the state database) and reading it
//   back exactly, so that an unchanged source needs no parsing.

/// An ``UpstreamRelease`` with every field in its JSON, for storage. `UpstreamReleaseArchive(r).release == r`
/// after any encode and decode.
public struct UpstreamReleaseArchive: Codable, Sendable, Hashable {
    /// The release stored.
    public var release: UpstreamRelease

    public init(_ release: UpstreamRelease) {
        self.release = release
    }

    private enum Keys: String, CodingKey {
        case format, kind, release, published, kernels, notes, platforms, defaultPlatform, examples
    }

    private struct Kernel: Codable {
        var kernel: String
        var python: String?
        var packages: [Package]
    }

    private struct Package: Codable {
        var name: String
        var version: String
        var manager: PackageManager?
        var build: String?
        var channel: String?
        var subdir: String?
    }

    /// The archive format version written by this build; newer formats are refused when read.
    public static let format = 1

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let format = try container.decode(Int.self, forKey: .format)
        guard format <= Self.format else {
            throw DecodingError.dataCorruptedError(
                forKey: .format, in: container,
                debugDescription: "archive format \(format) is newer than this smsync reads (\(Self.format))")
        }
        let kernels = try container.decode([Kernel].self, forKey: .kernels).map { kernel in
            UpstreamKernel(
                kernel: kernel.kernel, python: kernel.python,
                packages: kernel.packages.map {
                    UpstreamPackage(
                        name: $0.name, version: $0.version, manager: $0.manager, build: $0.build, channel: $0.channel,
                        subdir: $0.subdir)
                })
        }
        release = UpstreamRelease(
            kind: try container.decode(UpstreamSourceKind.self, forKey: .kind),
            release: try container.decodeIfPresent(String.self, forKey: .release),
            published: try container.decodeIfPresent(UpstreamDate.self, forKey: .published),
            kernels: kernels,
            notes: try container.decode([String].self, forKey: .notes),
            platforms: try container.decode([String].self, forKey: .platforms),
            defaultPlatform: try container.decodeIfPresent(String.self, forKey: .defaultPlatform),
            examples: try container.decodeIfPresent(ExamplesSummary.self, forKey: .examples))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(Self.format, forKey: .format)
        try container.encode(release.kind, forKey: .kind)
        try container.encodeIfPresent(release.release, forKey: .release)
        try container.encodeIfPresent(release.published, forKey: .published)
        let kernels = release.kernels.map { kernel in
            Kernel(
                kernel: kernel.kernel, python: kernel.python,
                packages: kernel.packages.map {
                    Package(
                        name: $0.name, version: $0.version, manager: $0.manager, build: $0.build, channel: $0.channel,
                        subdir: $0.subdir)
                })
        }
        try container.encode(kernels, forKey: .kernels)
        try container.encode(release.notes, forKey: .notes)
        try container.encode(release.platforms, forKey: .platforms)
        try container.encodeIfPresent(release.defaultPlatform, forKey: .defaultPlatform)
        try container.encodeIfPresent(release.examples, forKey: .examples)
    }
}

extension UpstreamRelease: Decodable {
    private enum DecodingKeys: String, CodingKey {
        case kind, release, published, kernels, notes, commit, notebooks, requirements, kernelspecs
    }

    /// Reads the `smsync upstream parse` JSON contract (see `encode(to:)`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: DecodingKeys.self)
        let kind = try container.decode(UpstreamSourceKind.self, forKey: .kind)
        var examples: ExamplesSummary?
        if kind == .examples {
            examples = ExamplesSummary(
                commit: try container.decodeIfPresent(String.self, forKey: .commit),
                notebooks: try container.decodeIfPresent(Int.self, forKey: .notebooks) ?? 0,
                requirements: try container.decodeIfPresent([ExampleRequirement].self, forKey: .requirements) ?? [],
                kernelspecs: try container.decodeIfPresent([String: Int].self, forKey: .kernelspecs) ?? [:])
        }
        self.init(
            kind: kind,
            release: try container.decodeIfPresent(String.self, forKey: .release),
            published: try container.decodeIfPresent(UpstreamDate.self, forKey: .published),
            kernels: try container.decode([UpstreamKernel].self, forKey: .kernels),
            notes: try container.decodeIfPresent([String].self, forKey: .notes) ?? [],
            examples: examples)
    }
}

extension UpstreamKernel: Decodable {
    private enum DecodingKeys: String, CodingKey {
        case kernel, python, packages
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: DecodingKeys.self)
        self.init(
            kernel: try container.decode(String.self, forKey: .kernel),
            python: try container.decodeIfPresent(String.self, forKey: .python),
            packages: try container.decode([UpstreamPackage].self, forKey: .packages))
    }
}

extension UpstreamPackage: Decodable {
    private enum DecodingKeys: String, CodingKey {
        case name, version, manager, build
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: DecodingKeys.self)
        self.init(
            name: try container.decode(String.self, forKey: .name),
            version: try container.decode(String.self, forKey: .version),
            manager: try container.decodeIfPresent(PackageManager.self, forKey: .manager),
            build: try container.decodeIfPresent(String.self, forKey: .build))
    }
}

extension ExampleRequirement: Decodable {
    private enum DecodingKeys: String, CodingKey {
        case package, spec, file
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: DecodingKeys.self)
        self.init(
            package: try container.decode(String.self, forKey: .package),
            spec: try container.decode(String.self, forKey: .spec),
            file: try container.decode(String.self, forKey: .file))
    }
}

extension ExamplesSummary: Codable {
    private enum Keys: String, CodingKey {
        case commit, notebooks, requirements, kernelspecs
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        self.init(
            commit: try container.decodeIfPresent(String.self, forKey: .commit),
            notebooks: try container.decode(Int.self, forKey: .notebooks),
            requirements: try container.decode([ExampleRequirement].self, forKey: .requirements),
            kernelspecs: try container.decode([String: Int].self, forKey: .kernelspecs))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encodeIfPresent(commit, forKey: .commit)
        try container.encode(notebooks, forKey: .notebooks)
        try container.encode(requirements, forKey: .requirements)
        try container.encode(kernelspecs, forKey: .kernelspecs)
    }
}

extension UpstreamDate: Codable {
    /// Decodes `YYYY-MM-DD`; anything else (or a day that does not exist) is a data-corrupted error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = UpstreamDate(iso: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a date as YYYY-MM-DD, found \"\(text.prefix(40))\"")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
