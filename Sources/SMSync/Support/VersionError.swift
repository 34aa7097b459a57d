/// A version, specifier or requirement string that the rules of its scheme reject.
public struct VersionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which rules rejected it.
    public enum Scheme: String, Sendable, Equatable, Codable {
        case conda
        case pep440
    }

    public var scheme: Scheme
    /// The text that was rejected, exactly as given.
    public var input: String
    /// Why it was rejected, in words a user can act on.
    public var reason: String

    public init(scheme: Scheme, input: String, reason: String) {
        self.scheme = scheme
        self.input = input
        self.reason = reason
    }

    public var description: String {
        "invalid \(scheme.rawValue) \(input.debugDescription): \(reason)"
    }
}
