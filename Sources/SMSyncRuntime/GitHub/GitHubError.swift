/// A failed GitHub API call: which endpoint, the status, and what GitHub said. Never carries the token.
public struct GitHubError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable {
        /// A repository, branch, path or workflow name that is not valid; nothing was sent.
        case invalidInput = "invalid input"
        /// A write or dispatch needs a token and the environment variable holding it is unset.
        case missingToken = "missing token"
        /// GitHub answered with an unexpected status.
        case http = "HTTP error"
        /// GitHub's rate limit is spent (`x-ratelimit-remaining: 0`).
        case rateLimited = "rate limited"
        /// No response: connection, deadline or size cap.
        case transport = "transport error"
        /// A 2xx reply whose body is not what the endpoint documents.
        case unexpectedResponse = "unexpected response"
    }

    public var code: Code
    /// `METHOD /path` relative to the API base, e.g. `GET /repos/aws/sagemaker-distribution/contents/build_artifacts`.
    public var endpoint: String
    /// The HTTP status, when there was a response.
    public var status: Int?
    /// GitHub's own `message` field, when the reply carried one.
    public var githubMessage: String?
    /// What went wrong and what to try.
    public var message: String

    public init(_ code: Code, endpoint: String, status: Int? = nil, githubMessage: String? = nil, message: String) {
        self.code = code
        self.endpoint = endpoint
        self.status = status
        self.githubMessage = githubMessage
        self.message = message
    }

    public var description: String {
        var text = "GitHub API \(endpoint)"
        if let status { text += ": status \(status)" }
        text += ": \(message)"
        if let githubMessage, !githubMessage.isEmpty { text += " (GitHub says: \(githubMessage))" }
        return text
    }
}
