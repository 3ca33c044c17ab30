/// One HTTP request for libcurl to carry out: the verb, the URL, headers and an optional body.
///
/// `unixSocketPath` sends the request over a unix domain socket (the Docker Engine API);
/// the URL's host part is then ignored by the server.
public struct CurlRequest: Sendable {
    /// The HTTP method: `GET`, `POST`, `DELETE`, `HEAD` or any other verb.
    public var method: String
    /// The absolute URL, e.g. `http://127.0.0.1:2379/v3/kv/range`.
    public var url: String
    /// Extra request headers, each as `Name: value`.
    public var headers: [String]
    /// The request body; `nil` sends none.
    public var body: [UInt8]?
    /// A unix domain socket to connect to instead of the URL's host.
    public var unixSocketPath: String?
    /// The longest the whole request may take; `nil` for no limit (long-lived streams).
    public var timeoutMilliseconds: Int?
    /// The longest the connection set-up may take.
    public var connectTimeoutMilliseconds: Int
    /// The largest response body a unary request accepts; past it the request fails with
    /// ``CurlError/responseTooLarge(url:limit:)`` instead of buffering more.
    public var maxResponseBytes: Int

    /// Creates a request; the defaults suit a unary call to a service on this host.
    public init(
        method: String,
        url: String,
        headers: [String] = [],
        body: [UInt8]? = nil,
        unixSocketPath: String? = nil,
        timeoutMilliseconds: Int? = 30_000,
        connectTimeoutMilliseconds: Int = 2_000,
        maxResponseBytes: Int = 64 << 20
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.unixSocketPath = unixSocketPath
        self.timeoutMilliseconds = timeoutMilliseconds
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.maxResponseBytes = maxResponseBytes
    }
}

/// The complete answer to a unary ``CurlRequest``.
public struct CurlResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// Response headers as received, lower-cased names, in order.
    public var headers: [(name: String, value: String)]
    /// The whole response body.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name` (case-insensitive), if present.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name == wanted }?.value
    }
}

/// What can go wrong below HTTP: the transfer itself, or a bound this module enforces.
public enum CurlError: Error, Sendable, Equatable, CustomStringConvertible {
    /// libcurl failed the transfer (could not connect, timed out, connection reset, …).
    case transport(url: String, code: Int, message: String)
    /// The response body grew past the request's `maxResponseBytes`.
    case responseTooLarge(url: String, limit: Int)
    /// A stream answered with an HTTP error status; `body` holds its first bytes.
    case httpStatus(url: String, status: Int, body: String)
    /// The loop was shut down before the transfer finished.
    case shutDown

    /// One sentence naming what failed and where.
    public var description: String {
        switch self {
        case let .transport(url, code, message):
            return "request to \(url) failed: \(message) (curl code \(code))"
        case let .responseTooLarge(url, limit):
            return "response from \(url) exceeded the \(limit)-byte limit"
        case let .httpStatus(url, status, body):
            return "\(url) answered HTTP \(status): \(body)"
        case .shutDown:
            return "the HTTP client was shut down before the request finished"
        }
    }

    /// True when the failure says nothing reached the server or the server went away, so that
    /// another endpoint may be tried (connection refused, DNS, reset, timeout).
    public var isConnectionFailure: Bool {
        guard case let .transport(_, code, _) = self else { return false }
        // 6 resolve host, 7 couldn't connect, 28 timeout, 52 empty reply, 55 send error, 56 recv error.
        return [6, 7, 28, 52, 55, 56].contains(code)
    }
}
