/// A comma-separated set of PEP 440 specifiers, matching as `packaging.specifiers.SpecifierSet`.
///
/// INTERFACE STUB: the real implementation replaces this file.
public struct PEP440SpecifierSet: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    public init(_ text: String) throws(VersionError) {
        self.text = text
    }

    public var description: String { text }

    /// Whether `version` is admitted; `prereleases` is packaging's `prereleases=` argument (nil: default rules).
    public func contains(_ version: PEP440Version, prereleases: Bool? = nil) -> Bool { true }
}
