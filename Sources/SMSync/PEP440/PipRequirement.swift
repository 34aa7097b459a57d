/// PEP 503 name normalisation: lowercase, runs of `-`, `_`, `.` become one `-`.
public func normalizedPythonPackageName(_ name: String) -> String {
    name.lowercased()
}

/// A PEP 508 requirement (`name[extras] specifiers ; marker` or `name @ url ; marker`).
///
/// INTERFACE STUB: the real implementation replaces this file.
public struct PEP508Requirement: Sendable, Hashable {
    public var name: String
    public var extras: [String]
    /// The specifier text as written (`==1.2`, `>=1,<2`, `(>=1)` without the parentheses), nil when none.
    public var specifierText: String?
    public var specifier: PEP440SpecifierSet?
    /// UTF-8 offsets of exactly `specifierText` within the parsed line.
    public var specifierRange: Range<Int>?
    public var url: String?
    public var marker: String?

    public init(
        name: String, extras: [String] = [], specifierText: String? = nil, specifier: PEP440SpecifierSet? = nil,
        specifierRange: Range<Int>? = nil, url: String? = nil, marker: String? = nil
    ) {
        self.name = name
        self.extras = extras
        self.specifierText = specifierText
        self.specifier = specifier
        self.specifierRange = specifierRange
        self.url = url
        self.marker = marker
    }

    public static func parse(_ line: String) throws(VersionError) -> PEP508Requirement {
        PEP508Requirement(name: line)
    }
}

/// One line of a pip requirements list (the `- pip:` block of an env file, or a requirements file).
public enum PipLine: Sendable, Hashable {
    /// A requirement smsync may read and edit.
    case requirement(PEP508Requirement)
    /// A line that is not a requirement (`-r file`, `-e .`, `--index-url …`, `git+https://…`, a bare path):
    /// kept as it is and never edited. `reason` says what it is.
    case other(reason: String)

    /// Classifies a line; throws only for a line that looks like a requirement but is malformed.
    public static func parse(_ line: String) throws(VersionError) -> PipLine {
        .requirement(PEP508Requirement(name: line))
    }
}
