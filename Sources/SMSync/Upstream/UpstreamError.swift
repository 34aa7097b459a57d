/// An upstream source that could not be read: the layout changed, the input is malformed, or it is too large.
///
/// Every error names the source kind, the file or URL, the line when there is one, and what was
/// missing or wrong. `smsync upstream parse` exits with status 3 for any of them.
public struct UpstreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as a stable code for scripts and tests.
    public enum Code: String, Sendable, Equatable, Codable {
        /// The reader did not find what it exists to find (no kernel table, no version heading, no notebooks).
        case missingContent = "missing-content"
        /// The input is not in the expected format (ragged table, bad URL line, bad date, not JSON).
        case malformed
        /// The input is binary or not UTF-8.
        case binary
        /// The input ends early (an HTML page without its closing tags).
        case truncated
        /// The input exceeds a configured size or count limit.
        case tooLarge = "too-large"
        /// Several files given together do not belong to one release.
        case inconsistent
        /// The file or directory could not be read at all.
        case unreadable
    }

    public var code: Code
    public var source: UpstreamSourceKind
    /// The file path or URL the input came from.
    public var location: String
    /// The 1-based line in that file, when known.
    public var line: Int?
    /// What was missing or wrong, and where useful what to try.
    public var message: String

    public init(_ code: Code, source: UpstreamSourceKind, location: String, line: Int? = nil, message: String) {
        self.code = code
        self.source = source
        self.location = location
        self.line = line
        self.message = message
    }

    /// `aws-docs: nbi-al2023.html:12: <message>`.
    public var description: String {
        let place = line.map { "\(location):\($0)" } ?? location
        return "\(source.rawValue): \(place): \(message)"
    }
}
