/// A conda version specification (`>=1.2,<2|1.0.*`), matching as conda's `VersionSpec`.
///
/// INTERFACE STUB: the real implementation replaces this file.
public struct CondaVersionSpec: Sendable, Hashable, CustomStringConvertible {
    /// The spec text as given.
    public let text: String

    public init(_ text: String) throws(VersionError) {
        self.text = text
    }

    public var description: String { text }

    public func matches(_ version: CondaVersion) -> Bool { version.text == text }
}
