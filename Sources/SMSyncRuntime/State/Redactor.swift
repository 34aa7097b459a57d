/// Removes credentials from text before it is stored or shown: GitHub tokens (`ghp_…`, `github_pat_…`),
/// `Bearer …`/`token …` values, `Authorization:` headers, credentials in URLs (`user:pass@`, signed query
/// parameters), and any literal secret it is given.
///
/// Redaction is deterministic, so a redacted URL can still serve as a lookup key.
public struct Redactor: Sendable {
    /// What replaces a secret.
    public static let mask = "[redacted]"

    /// Redacts the patterns only.
    public static let patterns = Redactor()

    /// Literal secrets (tokens read from the environment); values shorter than 4 characters are ignored.
    public var secrets: [String]

    public init(secrets: [String] = []) {
        self.secrets = secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
    }

    /// Query parameters whose values are credentials (compared case-insensitively).
    static let secretParameters: Set<String> = [
        "access_token", "token", "key", "api_key", "apikey", "sig", "signature", "secret", "password",
        "x-amz-signature", "x-amz-credential", "x-amz-security-token",
    ]

    /// The text with every secret replaced by ``mask``.
    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets { result = result.replacing(secret, with: Self.mask) }
        result = result.replacing(
            #/(?i)(authorization\s*[:=]\s*)[^\r\n]+/#, with: { "\($0.output.1)\(Self.mask)" })
        result = result.replacing(#/github_pat_[A-Za-z0-9_]+/#, with: Self.mask)
        result = result.replacing(#/\bgh[pousr]_[A-Za-z0-9]{8,}/#, with: Self.mask)
        result = result.replacing(
            #/(?i)\b(bearer|token)(\s+)([A-Za-z0-9._~+\/=-]+)/#,
            with: { match in
                let value = match.output.3
                guard value != Self.mask, value.contains(where: \.isNumber) || value.count >= 24 else {
                    return String(match.output.0)
                }
                return "\(match.output.1)\(match.output.2)\(Self.mask)"
            })
        result = result.replacing(
            #/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\/\s@]+@/#, with: { "\($0.output.1)\(Self.mask)@" })
        result = result.replacing(
            #/([?&;])([^=&\s#]+)=([^&\s#]*)/#,
            with: { match in
                guard Self.secretParameters.contains(match.output.2.lowercased()) else {
                    return String(match.output.0)
                }
                return "\(match.output.1)\(match.output.2)=\(Self.mask)"
            })
        return result
    }

    /// ``redact(_:)`` for an optional.
    public func redact(_ text: String?) -> String? {
        text.map { redact($0) }
    }
}
