/// What a handler answers: a status, header fields and a body that is either complete or a
/// stream (server-sent events, a followed log).
public struct HTTPResponse: Sendable {
    /// A body: all its bytes at once (sent with `Content-Length`), or a stream of pieces sent as
    /// they come (chunked) until the stream finishes or the client goes away.
    public enum Body: Sendable {
        /// The whole body.
        case bytes([UInt8])
        /// Pieces written as they arrive. The server stops iterating (which runs the stream's
        /// `onTermination`) when the client disconnects; a producer that may stay silent for long
        /// should send something (an SSE comment) every few seconds, or the idle limit closes it.
        case stream(AsyncStream<[UInt8]>)
    }

    /// The status code.
    public var status: Int
    /// Header fields; `Content-Length` is added for a ``Body/bytes(_:)`` body.
    public var headers: [(String, String)]
    /// The body.
    public var body: Body

    /// Creates a response.
    public init(status: Int, headers: [(String, String)] = [], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A complete body of `text` with the given type.
    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: .bytes(Array(text.utf8)))
    }

    /// 404 naming the path that has nothing.
    public static func notFound(_ path: String) -> HTTPResponse {
        .text("nothing is at \(path)\n", status: 404)
    }

    /// 405 naming the method and what the path takes.
    public static func methodNotAllowed(_ method: String, allowed: String) -> HTTPResponse {
        HTTPResponse(
            status: 405,
            headers: [("Allow", allowed), ("Content-Type", "text/plain; charset=utf-8")],
            body: .bytes(Array("method \(method) is not allowed here: use \(allowed)\n".utf8))
        )
    }

    /// A redirect (303 See Other unless told) to `location`.
    public static func redirect(to location: String, status: Int = 303) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Location", location), ("Content-Type", "text/plain; charset=utf-8")], body: .bytes(Array("see \(location)\n".utf8)))
    }

    /// A server-sent-events stream (`text/event-stream`, never cached).
    public static func eventStream(_ events: AsyncStream<[UInt8]>) -> HTTPResponse {
        HTTPResponse(
            status: 200,
            headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-store"), ("X-Accel-Buffering", "no")],
            body: .stream(events)
        )
    }
}

/// One server-sent event, encoded as the `text/event-stream` format wants it.
public struct ServerSentEvent: Sendable {
    /// The event's type (`event:` line); nil for the default `message`.
    public var name: String?
    /// The data; each of its lines becomes one `data:` line.
    public var data: String

    /// Creates an event.
    public init(name: String? = nil, data: String) {
        self.name = name
        self.data = data
    }

    /// The bytes on the wire: `event:` (if named), one `data:` per line, a blank line.
    public var encoded: [UInt8] {
        var text = ""
        if let name { text += "event: \(name)\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            text += "data: \(line)\n"
        }
        text += "\n"
        return Array(text.utf8)
    }

    /// A comment line that keeps an idle stream open (and lets the server notice a gone client).
    public static let keepAlive: [UInt8] = Array(": keep-alive\n\n".utf8)
}
