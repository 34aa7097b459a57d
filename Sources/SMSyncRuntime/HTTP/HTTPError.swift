import Foundation

/// A fetch that failed, with the URL (credentials and secret query values removed), the number of
/// attempts made and what to do about it. Never contains the value of a sensitive header.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The overall deadline of an attempt passed.
        case timeout
        /// The connection failed, was refused or reset, or the body was cut short.
        case connection
        /// The response was larger than the size cap.
        case tooLarge
        /// The server answered with this status, and it is not one to retry (or retries ran out).
        case status(Int)
        /// The server asked to wait until this moment, longer than the policy allows.
        case rateLimited(until: Date)
        /// The URL is not an absolute `http` or `https` URL with a host.
        case invalidURL
        /// The fetch was cancelled.
        case cancelled
        /// The host (or a redirect's host) resolves to an address in `http.deny_networks`; nothing was sent to it.
        case deniedAddress
    }

    public var kind: Kind
    /// The URL, redacted: see ``HTTPRedaction/redact(_:)``.
    public var url: String
    public var method: String
    /// How many attempts were made (1 when the first attempt failed and was not retried).
    public var attempts: Int
    /// What happened, in words; never contains a secret.
    public var message: String
    /// The last response, for status errors (a GitHub API error body, for example).
    public var response: HTTPResponse?
    /// True when the request certainly never reached the server (connection refused, a name that does not
    /// resolve, an address in `http.deny_networks`): the one failure after which a `POST` may be sent again.
    public var notSent = false

    public init(
        _ kind: Kind,
        url: URL,
        method: String = "GET",
        attempts: Int = 1,
        message: String,
        response: HTTPResponse? = nil
    ) {
        self.kind = kind
        self.url = HTTPRedaction.redact(url)
        self.method = method
        self.attempts = attempts
        self.message = message
        self.response = response
    }

    /// What went wrong and what to try, for people.
    public var description: String {
        let tries = attempts == 1 ? "1 attempt" : "\(attempts) attempts"
        let head = "\(method) \(url) failed after \(tries): \(message)"
        switch kind {
        case .timeout:
            return "\(head). The server did not answer in time; check that it is up and reachable, "
                + "or raise `http.timeout_seconds`."
        case .connection:
            return "\(head). Check the URL, the network and any proxy settings (`https_proxy`, `no_proxy`)."
        case .tooLarge:
            return "\(head). If the file really is that large, raise `http.max_bytes` "
                + "(or `http.max_archive_bytes` for archives)."
        case .status(let code):
            switch code {
            case 401, 403:
                return "\(head). Check that the token is set, valid and allowed to read this resource."
            case 404:
                return "\(head). Check the URL (and, for a private repository, the token)."
            case 429:
                return "\(head). The server keeps rate limiting; try again later."
            case 500...599:
                return "\(head). The server kept failing; try again later."
            default:
                return "\(head)."
            }
        case .rateLimited(let until):
            return "\(head). Rate limited until \(HTTPDate.iso(until)); run again after that, "
                + "or set a token (for GitHub, the variable named by `github.token_env`) for a higher limit."
        case .invalidURL:
            return "\(head). Use an absolute http:// or https:// URL."
        case .cancelled:
            return "\(head)."
        case .deniedAddress:
            return "\(head). Addresses in `http.deny_networks` (link-local and cloud metadata by default) are "
                + "never contacted; if this one is meant to be reached, remove its network from that list."
        }
    }

    /// Removes every `secret` from the message (for texts that may echo request data).
    mutating func scrub(_ secrets: [String]) {
        message = HTTPRedaction.scrub(message, secrets: secrets)
    }
}

/// Keeps secrets out of errors and logs.
public enum HTTPRedaction {
    /// Header names whose values are always secret.
    static let sensitiveNames: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-amz-security-token",
    ]
    /// Parts of header or query names that mark a secret value.
    static let sensitiveNameParts = ["token", "secret", "password", "passwd", "signature", "credential", "auth", "key"]
    /// Prefixes of values that are tokens whatever the header is called.
    static let tokenPrefixes = ["bearer ", "token ", "basic ", "ghp_", "gho_", "ghs_", "ghu_", "ghr_", "github_pat_"]

    /// True when a header's value must not be shown: by its name (`Authorization`, anything with
    /// `token`, `secret`, `key`, …) or by its value (`Bearer …`, `token …`, GitHub token prefixes).
    public static func isSensitive(name: String, value: String) -> Bool {
        let name = name.lowercased()
        if sensitiveNames.contains(name) || sensitiveNameParts.contains(where: { name.contains($0) }) {
            return true
        }
        let value = value.lowercased()
        return tokenPrefixes.contains { value.hasPrefix($0) }
    }

    /// The URL without user name, password and fragment, and with the values of secret-looking query
    /// items (`X-Amz-Signature`, `token`, `sig`, …) replaced by `REDACTED`.
    public static func redact(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            return "<unparseable URL>"
        }
        components.user = nil
        components.password = nil
        components.fragment = nil
        let query = components.percentEncodedQuery
        components.percentEncodedQuery = nil
        guard let base = components.string else { return "<unparseable URL>" }
        guard let query, !query.isEmpty else { return base }
        // Built by hand: URLComponents traps on setting query items it considers badly encoded.
        let items = query.split(separator: "&", omittingEmptySubsequences: false).map { item -> String in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            let lowered = (name.removingPercentEncoding ?? name).lowercased()
            let secret =
                sensitiveNameParts.contains { lowered.contains($0) } || lowered == "sig" || lowered.hasSuffix("-sig")
                || lowered == "code"
            return secret && parts.count == 2 ? "\(name)=REDACTED" : String(item)
        }
        return base + "?" + items.joined(separator: "&")
    }

    /// `text` with every occurrence of each secret (and of its last word, for `Bearer x` style values)
    /// replaced by `<redacted>`.
    static func scrub(_ text: String, secrets: [String]) -> String {
        var text = text
        for secret in secrets where !secret.isEmpty {
            var forms = [secret]
            if let last = secret.split(separator: " ").last, last.count >= 4, String(last) != secret {
                forms.append(String(last))
            }
            for form in forms {
                text = text.replacingOccurrences(of: form, with: "<redacted>")
            }
        }
        return text
    }
}
