import Foundation
import SMSync

/// The validators a server gave for one URL, sent back on the next fetch as `If-None-Match` and
/// `If-Modified-Since` so that an unchanged resource costs a `304` and no parsing.
public struct HTTPValidators: Sendable, Hashable, Codable {
    /// The `ETag` response header, verbatim (with its quotes and any `W/` prefix).
    public var etag: String?
    /// The `Last-Modified` response header, verbatim.
    public var lastModified: String?

    public init(etag: String? = nil, lastModified: String? = nil) {
        self.etag = etag
        self.lastModified = lastModified
    }

    /// True when neither validator is known: a conditional request is not possible.
    public var isEmpty: Bool { etag == nil && lastModified == nil }
}

/// One HTTP request, as the caller means it; ``HTTPClient`` adds `User-Agent`, the conditional headers and the
/// policy's bounds where the request leaves them open.
public struct HTTPRequest: Sendable {
    public var url: URL
    public var method: String
    /// Request headers. Values of sensitive headers (``HTTPRedaction/isSensitive(name:value:)``) never
    /// appear in errors or descriptions.
    public var headers: [String: String]
    public var body: [UInt8]?
    /// Validators from an earlier response; when given, the request is conditional.
    public var validators: HTTPValidators?
    /// Overrides the policy's response-size cap for this request (larger for archives, for example).
    public var maxBytes: Int?
    /// Networks the request and every redirect hop must not reach; ``HTTPClient`` sets the policy's.
    public var denyNetworks: [IPNetwork] = []
    /// The overall deadline of one attempt in seconds; nil takes the policy's (``HTTPPolicy/timeout``).
    public var timeout: Double?
    /// The connect (and idle) deadline in seconds; nil takes the policy's (``HTTPPolicy/connectTimeout``).
    public var connectTimeout: Double?

    public init(
        url: URL,
        method: String = "GET",
        headers: [String: String] = [:],
        body: [UInt8]? = nil,
        validators: HTTPValidators? = nil,
        maxBytes: Int? = nil,
        timeout: Double? = nil,
        connectTimeout: Double? = nil
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.validators = validators
        self.maxBytes = maxBytes
        self.timeout = timeout
        self.connectTimeout = connectTimeout
    }

    /// The value of a header, matching its name case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.key.lowercased() == wanted }?.value
    }

    /// The headers with the values of sensitive ones replaced by `<redacted>`: safe to log.
    public var redactedHeaders: [String: String] {
        headers.reduce(into: [:]) { result, header in
            result[header.key] =
                HTTPRedaction.isSensitive(name: header.key, value: header.value) ? "<redacted>" : header.value
        }
    }

    /// Header values that must never be shown: every sensitive header's value.
    var secrets: [String] {
        headers.compactMap { HTTPRedaction.isSensitive(name: $0.key, value: $0.value) ? $0.value : nil }
    }
}

/// One HTTP response. A `304` is a response, not an error: see ``notModified``.
public struct HTTPResponse: Sendable {
    /// The URL of the response (after any redirects).
    public var url: URL
    public var status: Int
    /// Response headers with lower-cased names.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(url: URL, status: Int, headers: [String: String], body: [UInt8]) {
        self.url = url
        self.status = status
        self.headers = Dictionary(
            headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }

    /// True for `304 Not Modified`: the resource is unchanged since the validators were issued.
    public var notModified: Bool { status == 304 }

    /// The validators to store for the next conditional request, from `ETag` and `Last-Modified`.
    public var validators: HTTPValidators {
        HTTPValidators(etag: headers["etag"], lastModified: headers["last-modified"])
    }

    /// The value of a header; `name` in any case.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The body as UTF-8 text (invalid sequences repaired).
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Bounds on every fetch, from the `http:` section of the configuration.
public struct HTTPPolicy: Sendable, Hashable {
    /// Overall deadline of one attempt, in seconds, from the start of the request to the last byte.
    public var timeout: Double
    /// How long to wait for the connection (and for the server to start answering), in seconds.
    public var connectTimeout: Double
    /// Extra attempts after the first, for connection errors, timeouts, `5xx` and `429`.
    public var retries: Int
    /// The response-size cap in bytes; a larger response is cancelled as soon as it passes the cap.
    public var maxBytes: Int
    /// The cap for archive downloads; callers pass it as ``HTTPRequest/maxBytes``.
    public var maxArchiveBytes: Int
    /// At most this many requests to one host (host and port) are in flight at once.
    public var perHost: Int
    /// The `User-Agent` header of every request, `smsync/<version>`.
    public var userAgent: String
    /// The longest wait honoured for `Retry-After` or a rate-limit reset, in seconds; a longer one
    /// stops the fetch with ``HTTPError/Kind/rateLimited(until:)``.
    public var maxRetryWait: Double
    /// The first backoff ceiling in seconds; it doubles with each retry (full jitter below it).
    public var backoffBase: Double
    /// The largest backoff ceiling in seconds.
    public var backoffCap: Double
    /// No request or redirect hop may connect to an address in these networks (`http.deny_networks`).
    public var denyNetworks: [IPNetwork]

    /// The deadline of an attempt when neither a policy nor the request sets one, in seconds.
    public static let defaultTimeout: Double = 30
    /// The connect deadline when neither a policy nor the request sets one, in seconds.
    public static let defaultConnectTimeout: Double = 10
    /// The response-size cap when neither a policy nor the request sets one.
    public static let defaultMaxBytes = 16 << 20

    public init(
        timeout: Double = defaultTimeout,
        connectTimeout: Double = defaultConnectTimeout,
        retries: Int = 3,
        maxBytes: Int = defaultMaxBytes,
        maxArchiveBytes: Int = 512 << 20,
        perHost: Int = 4,
        userAgent: String,
        maxRetryWait: Double = 120,
        backoffBase: Double = 0.5,
        backoffCap: Double = 30,
        denyNetworks: [IPNetwork] = IPNetwork.defaultDenied
    ) {
        self.timeout = max(timeout, 0.001)
        self.connectTimeout = max(connectTimeout, 0.001)
        self.retries = max(retries, 0)
        self.maxBytes = max(maxBytes, 0)
        self.maxArchiveBytes = max(maxArchiveBytes, 0)
        self.perHost = max(perHost, 1)
        self.userAgent = userAgent
        self.maxRetryWait = max(maxRetryWait, 0)
        self.backoffBase = max(backoffBase, 0)
        self.backoffCap = max(backoffCap, 0)
        self.denyNetworks = denyNetworks
    }

    /// The policy of a configuration's `http:` section.
    /// - Parameter userAgent: `smsync/<version>`.
    public init(from config: HTTPConfig, userAgent: String, maxRetryWait: Double = 120) {
        self.init(
            timeout: config.timeoutSeconds,
            connectTimeout: config.connectTimeoutSeconds,
            retries: config.retries,
            maxBytes: config.maxBytes,
            maxArchiveBytes: config.maxArchiveBytes,
            perHost: config.perHost,
            userAgent: userAgent,
            maxRetryWait: maxRetryWait,
            denyNetworks: config.denyNetworks
        )
    }
}

/// The one HTTP seam: send a request, get a response.
///
/// Any status is a response (a `404` or a `500` too); only a failure to get one throws: no connection, a deadline
/// passed, a body over the cap, a bad URL, cancellation, or a rate limit longer than the caller will wait.
/// ``URLSessionTransport`` sends one attempt; ``HTTPClient`` wraps a transport and adds retries, the per-host cap,
/// `User-Agent`, conditional headers and the policy's bounds. The source poller, the GitHub client and the
/// rebuild triggers depend on this protocol only (in production an ``HTTPClient``; in tests a loopback transport or
/// a script).
public protocol HTTPTransport: Sendable {
    /// Sends `request`. The bounds are the request's (``HTTPRequest/maxBytes``, ``HTTPRequest/timeout``,
    /// ``HTTPRequest/connectTimeout``), else the implementation's defaults.
    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse
}
