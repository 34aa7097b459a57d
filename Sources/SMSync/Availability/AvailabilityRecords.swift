/// One package record of a conda channel's repodata (`repodata.json` or a CEP-16 shard), reduced to what an
/// install check needs.
public struct CondaRecord: Sendable, Hashable {
    /// The package name, lower case, as repodata writes it.
    public var name: String
    public var version: String
    public var build: String
    public var buildNumber: Int
    /// Match specs of the record's run dependencies (`python >=3.10,<3.11.0a0`, `python_abi 3.10.* *_cp310`).
    public var depends: [String]
    /// The subdir the record was listed in: `linux-64`, `noarch`, …
    public var subdir: String
    /// `python` or `generic` for a noarch package; nil otherwise.
    public var noarch: String?
    /// The file name (`numpy-2.1.3-py310h…_0.conda`).
    public var fileName: String

    public init(
        name: String, version: String, build: String, buildNumber: Int = 0, depends: [String] = [],
        subdir: String, noarch: String? = nil, fileName: String
    ) {
        self.name = name
        self.version = version
        self.build = build
        self.buildNumber = buildNumber
        self.depends = depends
        self.subdir = subdir
        self.noarch = noarch
        self.fileName = fileName
    }
}

/// One file of a project on a PEP 691 simple index.
public struct IndexFile: Sendable, Hashable {
    public var filename: String
    /// The `requires-python` value as the index gives it; nil when absent.
    public var requiresPython: String?
    /// True when the index marks the file yanked (`"yanked": true` or a reason).
    public var yanked: Bool
    public var yankedReason: String?
    /// The file's digests by algorithm (`sha256` → lower-case hex), as the index lists them.
    public var hashes: [String: String]

    public init(
        filename: String, requiresPython: String? = nil, yanked: Bool = false, yankedReason: String? = nil,
        hashes: [String: String] = [:]
    ) {
        self.filename = filename
        self.requiresPython = requiresPython
        self.yanked = yanked
        self.yankedReason = yankedReason
        self.hashes = hashes
    }
}
