/// What a handler answers: a status, header fields and a body that is either complete or a
/// stream (server-sent events, a followed log).
public struct HTTPResponse: Sendable {
    /// A body: all its bytes at once (sent with `Content-Length`), or pieces written by a
    /// producer as they come (chunked).
    public enum Body: Sendable {
        /// The whole body.
        case bytes([UInt8])
        /// A producer run in the connection's own task: the body ends when it returns. It is
        /// cancelled as soon as the client disconnects (and its writes throw). A producer that
        /// may stay silent for long should write something now and then (``eventStream(keepAliveEvery:_:)``
        /// does), or the server's idle limit closes the connection.
        case stream(@Sendable (HTTPBodyWriter) async throws -> Void)
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

    /// A server-sent-events stream (`text/event-stream`, never cached) written by `produce`,
    /// with a keep-alive comment every `keepAliveEvery` so that a quiet stream stays open.
    public static func eventStream(
        keepAliveEvery: Duration = .seconds(15),
        _ produce: @escaping @Sendable (HTTPBodyWriter) async throws -> Void
    ) -> HTTPResponse {
        HTTPResponse(
            status: 200,
            headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-store"), ("X-Accel-Buffering", "no")],
            body: .stream { writer in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        while true {
                            try await Task.sleep(for: keepAliveEvery)
                            try await writer.write(ServerSentEvent.keepAlive)
                        }
                    }
                    group.addTask { try await produce(writer) }
                    // The producer's end (or either's error) ends the stream.
                    defer { group.cancelAll() }
                    try await group.next()
                }
            }
        )
    }
}

/// Writes the pieces of a streamed body; usable from several tasks (each write is whole).
public struct HTTPBodyWriter: Sendable {
    let write: @Sendable ([UInt8]) async throws -> Void

    /// Creates a writer that hands each piece to `write`.
    public init(_ write: @escaping @Sendable ([UInt8]) async throws -> Void) {
        self.write = write
    }

    /// Writes one piece; throws once the client has gone.
    public func write(_ bytes: [UInt8]) async throws {
        try await write(bytes)
    }

    /// Writes one server-sent event.
    public func send(_ event: ServerSentEvent) async throws {
        try await write(event.encoded)
    }
}

/// One server-sent event, encoded as the `text/event-stream` format wants it.
public struct ServerSentEvent: Sendable {
    /// The event's type (`event:` line); nil for the default `message`.
    public var name: String?
    /// The data; each of its lines becomes one `data:` line.
    public var data: String
    /// The event id (`id:` line): a browser that reconnects sends the last one it saw as
    /// `Last-Event-ID`, so a stream can resume where it left off.
    public var id: String?

    /// Creates an event.
    public init(name: String? = nil, data: String, id: String? = nil) {
        self.name = name
        self.data = data
        self.id = id
    }

    /// The bytes on the wire: `event:` (if named), `id:` (if any), one `data:` per line, a blank line.
    public var encoded: [UInt8] {
        var text = ""
        if let name { text += "event: \(name)\n" }
        if let id { text += "id: \(id)\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            text += "data: \(line)\n"
        }
        text += "\n"
        return Array(text.utf8)
    }

    /// A comment line that keeps an idle stream open (and lets the server notice a gone client).
    public static let keepAlive: [UInt8] = Array(": keep-alive\n\n".utf8)
}
