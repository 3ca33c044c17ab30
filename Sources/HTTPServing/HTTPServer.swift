import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small HTTP/1.1 server on NIO's own `NIOHTTP1`, for `/metrics` and the web UI.
///
/// One child task per connection in a discarding task group (one connection's failure closes
/// that connection only); requests on a connection are answered in order by `handler`. Bounds:
/// at most ``Limits/maxConnections`` open connections (the next one gets 503 and is closed), a
/// request body of at most ``Limits/maxBodyBytes`` (413, then close), and a connection with no
/// byte read or written for ``Limits/idleTimeout`` is closed (streams send keep-alive comments).
/// The HTTP parser itself refuses header blocks above 80 KiB with 400.
public struct HTTPServer: Sendable {
    /// The server's bounds.
    public struct Limits: Sendable {
        /// Open connections at most; the next is answered 503 and closed.
        public var maxConnections: Int
        /// Request body bytes at most; a larger body is answered 413 and the connection closed.
        public var maxBodyBytes: Int
        /// A connection with no byte in either direction for this long is closed.
        public var idleTimeout: TimeAmount

        /// Creates limits (defaults: 256 connections, 64 KiB bodies, 60 s idle).
        public init(maxConnections: Int = 256, maxBodyBytes: Int = 64 << 10, idleTimeout: TimeAmount = .seconds(60)) {
            self.maxConnections = maxConnections
            self.maxBodyBytes = maxBodyBytes
            self.idleTimeout = idleTimeout
        }
    }

    /// What answers each request.
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    let host: String
    let port: Int
    let group: any EventLoopGroup
    let logger: Logger
    let limits: Limits
    let handler: Handler

    /// Creates a server that will listen on `host:port` (port 0 picks a free one).
    public init(host: String, port: Int, group: any EventLoopGroup, logger: Logger, limits: Limits = .init(), handler: @escaping Handler) {
        self.host = host
        self.port = port
        self.group = group
        self.logger = logger
        self.limits = limits
        self.handler = handler
    }

    /// Binds the listener; the result serves with ``BoundHTTPServer/serve()``.
    public func bind() async throws -> BoundHTTPServer {
        let idle = limits.idleTimeout
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: idle))
                    try child.pipeline.syncOperations.addHandler(IdleCloser())
                    try child.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: child)
                }
            }
        return BoundHTTPServer(channel: channel, limits: limits, logger: logger, handler: handler)
    }
}

/// A bound ``HTTPServer``: its port, and ``serve()`` to answer connections.
public struct BoundHTTPServer: Sendable {
    let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    let limits: HTTPServer.Limits
    let logger: Logger
    let handler: HTTPServer.Handler

    /// The bound port (the real one when 0 was asked).
    public var port: Int { channel.channel.localAddress?.port ?? 0 }

    /// Serves until the calling task is cancelled, then closes the listener and every connection.
    public func serve() async throws {
        let open = ConnectionCount()
        try await channel.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { connections in
                for try await connection in inbound {
                    let count = open.opened()
                    connections.addTask {
                        defer { open.closed() }
                        let exchange = HTTPExchange(connection: connection, limits: limits, logger: logger, handler: handler)
                        await exchange.run(refuse: count > limits.maxConnections)
                    }
                }
            }
        }
    }
}

/// How many connections are open now.
private final class ConnectionCount: Sendable {
    private let value = Atomic<Int>(0)

    /// Counts one more; returns the count including it.
    func opened() -> Int { value.wrappingAdd(1, ordering: .relaxed).newValue }

    /// Counts one fewer.
    func closed() { value.subtract(1, ordering: .relaxed) }
}

/// Closes a connection when ``IdleStateHandler`` says it has been idle.
private final class IdleCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
