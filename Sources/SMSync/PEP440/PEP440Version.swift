/// A Python package version under PEP 440, normalised and ordered as `packaging.version.Version`.
///
/// INTERFACE STUB: the real implementation replaces this file.
public struct PEP440Version: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The text as given.
    public let text: String

    public init(_ text: String) throws(VersionError) {
        guard !text.isEmpty else { throw VersionError(scheme: .pep440, input: text, reason: "empty version") }
        self.text = text
    }

    /// The canonical form, as `str(packaging.version.Version(text))`.
    public var description: String { text }

    public var isPrerelease: Bool { false }

    public static func < (lhs: PEP440Version, rhs: PEP440Version) -> Bool { lhs.text < rhs.text }
}
