/// Which upstream source a release was read from.
///
/// The raw values are the `--kind` names of `smsync upstream parse` and the `"kind"` of its JSON.
public enum UpstreamSourceKind: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// The kernel tables of the AWS notebook-instance docs (`nbi-al2023.html`, `nbi-al2.html`, or their Markdown).
    case awsDocs = "aws-docs"
    /// A `conda env export` YAML taken on a live instance, optionally with its `pip freeze` text.
    case envExport = "env-export"
    /// The release files of aws/sagemaker-distribution (`RELEASE.md`, `CHANGELOG-cpu.md`, `cpu.env.out`).
    case distribution
    /// The `CHANGELOG.md` of aws/sagemaker-python-sdk.
    case sdkChangelog = "sdk-changelog"
    /// A checkout or extracted archive of aws/amazon-sagemaker-examples.
    case examples

    public var description: String { rawValue }
}

/// The package manager that installs a package into a kernel.
public enum PackageManager: String, Sendable, Hashable, Codable {
    case conda
    case pip
}

/// One package of one kernel, as an upstream source states it.
public struct UpstreamPackage: Sendable, Hashable {
    /// The package name as the source writes it (conda names are lowercase already).
    public var name: String
    /// The version text exactly as the source states it.
    public var version: String
    /// Who installs it, when the source says so.
    public var manager: PackageManager?
    /// The conda build string (`h4922eb0_0`), when the source names one.
    public var build: String?
    /// The conda channel (`conda-forge`), when the source names one. Not part of the JSON contract.
    public var channel: String?
    /// The conda subdir (`linux-64`, `noarch`), when the source names one. Not part of the JSON contract.
    public var subdir: String?

    public init(
        name: String, version: String, manager: PackageManager? = nil, build: String? = nil,
        channel: String? = nil, subdir: String? = nil
    ) {
        self.name = name
        self.version = version
        self.manager = manager
        self.build = build
        self.channel = channel
        self.subdir = subdir
    }
}

/// The packages one kernel ships according to one source.
public struct UpstreamKernel: Sendable, Hashable {
    /// The kernel name that stands for every kernel (sources that do not distinguish kernels).
    public static let everyKernel = "*"

    /// The normalised kernel name (`conda_python3`), or ``everyKernel``.
    public var kernel: String
    /// The kernel's Python version (`3.10`), when the source states it.
    public var python: String?
    /// The packages, in the order the source lists them.
    public var packages: [UpstreamPackage]

    public init(kernel: String, python: String? = nil, packages: [UpstreamPackage] = []) {
        self.kernel = kernel
        self.python = python
        self.packages = packages
    }
}

/// A calendar date as upstream sources write it (`2024-03-06`), without a time zone.
public struct UpstreamDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    /// Validates the parts (month 1–12, a day that exists in that month).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1 else { return nil }
        let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day <= lengths[month - 1] else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD`; nil for anything else.
    public init?(iso text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: UpstreamDate, rhs: UpstreamDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

/// One requirement that an example notebook or requirements file places on a package.
public struct ExampleRequirement: Sendable, Hashable {
    /// The PEP 503-normalised package name (`sagemaker`).
    public var package: String
    /// The specifiers in the order written, each without spaces (`>=2.156.0,<3`; `transformers == 4.38.0` gives
    /// `==4.38.0`); empty when the requirement names no version, or when pip gets none (`!pip install
    /// sagemaker>=2` unquoted: the shell redirects at `>`).
    public var spec: String
    /// The file it was found in, relative to the root of the examples tree.
    public var file: String

    public init(package: String, spec: String, file: String) {
        self.package = package
        self.spec = spec
        self.file = file
    }
}

/// What an examples repository tree contains besides kernel packages.
public struct ExamplesSummary: Sendable, Hashable {
    /// The commit the tree was taken at, when known.
    public var commit: String?
    /// How many `.ipynb` files the tree holds (including those that could not be read; see the notes).
    public var notebooks: Int
    /// Every requirement found, ordered by file path, then by position in the file.
    public var requirements: [ExampleRequirement]
    /// How many notebooks name each kernel in `metadata.kernelspec.name`.
    public var kernelspecs: [String: Int]

    public init(commit: String?, notebooks: Int, requirements: [ExampleRequirement], kernelspecs: [String: Int]) {
        self.commit = commit
        self.notebooks = notebooks
        self.requirements = requirements
        self.kernelspecs = kernelspecs
    }
}

/// What one upstream source says the SageMaker kernels ship, at one release of that source.
///
/// Kernels are in source order (the order the source first lists them); packages are in source order.
/// A reader never returns a release without kernels, except the examples reader, whose
/// ``examples`` summary is its content.
public struct UpstreamRelease: Sendable, Hashable {
    public var kind: UpstreamSourceKind
    /// The source's own release id: a version (`4.4.1`, `2.212.0`), a commit, or a content digest
    /// (`sha256:…`).
    public var release: String?
    /// When the source says it was published.
    public var published: UpstreamDate?
    public var kernels: [UpstreamKernel]
    /// Everything a reader noticed but did not turn into packages, in words for a person.
    public var notes: [String]
    /// Platform identifiers the source names (`notebook-al2023-v1`), in order of first mention. aws-docs only.
    public var platforms: [String]
    /// The platform identifier the source calls the default, if it says so. aws-docs only.
    public var defaultPlatform: String?
    /// The examples-tree summary. examples only.
    public var examples: ExamplesSummary?

    public init(
        kind: UpstreamSourceKind, release: String?, published: UpstreamDate? = nil, kernels: [UpstreamKernel],
        notes: [String] = [], platforms: [String] = [], defaultPlatform: String? = nil,
        examples: ExamplesSummary? = nil
    ) {
        self.kind = kind
        self.release = release
        self.published = published
        self.kernels = kernels
        self.notes = notes
        self.platforms = platforms
        self.defaultPlatform = defaultPlatform
        self.examples = examples
    }

    /// The kernel with this name, if the release has it.
    public func kernel(named name: String) -> UpstreamKernel? {
        kernels.first { $0.kernel == name }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
