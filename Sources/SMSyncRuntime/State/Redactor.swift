import Foundation

/// Removes credentials from text before it is stored or shown: GitHub tokens (`ghp_…`, `github_pat_…`),
/// `Bearer …`/`token …` values, `Authorization:` headers (also as JSON keys), credentials in URLs (`user:pass@`,
/// signed query parameters), and any literal secret it is given — raw, percent-encoded, JSON-escaped or in base64
/// (alone, or inside a longer base64 text such as `Basic` credentials).
///
/// Redaction is deterministic, so a redacted URL can still serve as a lookup key.
public struct Redactor: Sendable {
    /// What replaces a secret.
    public static let mask = "[redacted]"

    /// Redacts the patterns only.
    public static let patterns = Redactor()

    /// Literal secrets (tokens read from the environment); values shorter than 4 characters are ignored.
    public var secrets: [String]
    /// Every form of every secret that is searched for, longest first.
    private let forms: [String]

    public init(secrets: [String] = []) {
        self.secrets = secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
        var forms = Set<String>()
        for secret in self.secrets { forms.formUnion(Self.forms(of: secret)) }
        self.forms = forms.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    /// Query parameters whose values are credentials (compared case-insensitively).
    static let secretParameters: Set<String> = [
        "access_token", "token", "key", "api_key", "apikey", "sig", "signature", "secret", "password",
        "x-amz-signature", "x-amz-credential", "x-amz-security-token",
    ]

    /// The ways `secret` can appear in stored text: itself, percent-encoded (upper and lower case hex),
    /// JSON-escaped, and base64 (standard and URL-safe, whole, and the characters that depend on it alone when it
    /// sits at any of the three byte offsets of a longer base64 text).
    static func forms(of secret: String) -> Set<String> {
        var result: Set<String> = [secret]
        let bytes = Array(secret.utf8)
        var encoded = ""
        for byte in bytes {
            let unreserved =
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            encoded += unreserved ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
        }
        result.insert(encoded)
        result.insert(encoded.replacing(#/%[0-9A-F]{2}/#) { $0.output.lowercased() })
        result.insert(secret.replacingOccurrences(of: "/", with: "\\/"))
        var base64: Set<String> = [Data(bytes).base64EncodedString()]
        for offset in 0..<3 {
            let text = Array(Data(Array(repeating: 0, count: offset) + bytes).base64EncodedString().utf8)
            // Character i covers bits 6i..<6i+6; keep those inside the secret's bits.
            let first = (8 * offset + 5) / 6
            let end = (8 * (offset + bytes.count)) / 6
            guard end - first >= 8 else { continue }
            base64.insert(String(decoding: text[first..<end], as: UTF8.self))
        }
        for form in base64 where form.count >= 6 {
            result.insert(form)
            result.insert(form.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"))
        }
        return result.filter { $0.count >= 4 }
    }

    /// Secrets held in URLs themselves: the password and `user:password` of user info (as written and decoded),
    /// values of credential query parameters, and path segments that look like tokens (`ghp_…`, `github_pat_…`,
    /// or 24 or more letters, digits, `-` and `_` mixing letters and digits, not a hex digest).
    public static func credentials(inURLs urls: [String]) -> [String] {
        var found: [String] = []
        for url in urls {
            guard let scheme = url.range(of: "://") else { continue }
            let rest = url[scheme.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                let userInfo = String(rest[..<at])
                found.append(userInfo)
                if let decoded = userInfo.removingPercentEncoding { found.append(decoded) }
                if let colon = userInfo.firstIndex(of: ":") {
                    let password = String(userInfo[userInfo.index(after: colon)...])
                    found.append(password)
                    if let decoded = password.removingPercentEncoding { found.append(decoded) }
                }
            }
            let afterAuthority = rest[authorityEnd...]
            let pathEnd = afterAuthority.firstIndex { $0 == "?" || $0 == "#" } ?? afterAuthority.endIndex
            for segment in afterAuthority[..<pathEnd].split(separator: "/") {
                let text = String(segment)
                if looksLikeToken(text) { found.append(text) }
            }
            if let query = afterAuthority[pathEnd...].split(separator: "#").first, query.hasPrefix("?") {
                for pair in query.dropFirst().split(separator: "&") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2, secretParameters.contains(parts[0].lowercased()) else { continue }
                    found.append(String(parts[1]))
                    if let decoded = String(parts[1]).removingPercentEncoding { found.append(decoded) }
                }
            }
        }
        var seen = Set<String>()
        return found.filter { $0.count >= 4 && seen.insert($0).inserted }
    }

    static func looksLikeToken(_ text: String) -> Bool {
        if text.hasPrefix("ghp_") || text.hasPrefix("github_pat_") || text.hasPrefix("gho_") { return text.count > 8 }
        guard text.count >= 24,
            text.unicodeScalars.allSatisfy({
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
                    || $0 == "_"
            })
        else { return false }
        let hex = text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
        return !hex && text.contains(where: \.isNumber) && text.contains(where: \.isLetter)
    }

    /// The text with every secret replaced by ``mask``.
    public func redact(_ text: String) -> String {
        var result = text
        for form in forms where result.contains(form) { result = result.replacing(form, with: Self.mask) }
        result = result.replacing(
            #/(?i)("authorization"\s*:\s*")((?:[^"\\]|\\.)*)"/#, with: { "\($0.output.1)\(Self.mask)\"" })
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
        // `Basic` credentials: base64 of `user:password`.
        result = result.replacing(
            #/\b(Basic\s+)([A-Za-z0-9+\/]{6,}={0,2})/#,
            with: { match in
                guard let decoded = Data(base64Encoded: String(match.output.2)), decoded.contains(0x3A) else {
                    return String(match.output.0)
                }
                return "\(match.output.1)\(Self.mask)"
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

    /// ``redact(_:)`` for UTF-8 bytes (a stored JSON payload); bytes that are not UTF-8 are returned as they are.
    public func redact(_ data: Data) -> Data {
        guard let text = String(data: data, encoding: .utf8) else { return data }
        let redacted = redact(text)
        return redacted == text ? data : Data(redacted.utf8)
    }
}
