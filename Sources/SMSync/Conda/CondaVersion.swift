/// A conda package version, ordered exactly as conda's `VersionOrder`.
///
/// INTERFACE STUB: the real implementation replaces this file.
public struct CondaVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The text as given (trimmed).
    public let text: String

    public init(_ text: String) throws(VersionError) {
        guard !text.isEmpty else { throw VersionError(scheme: .conda, input: text, reason: "empty version") }
        self.text = text
    }

    public var description: String { text }

    public static func < (lhs: CondaVersion, rhs: CondaVersion) -> Bool { lhs.text < rhs.text }
}
