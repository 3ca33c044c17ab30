import Logging
import NIOCore
import NIOPosix
import WireProtocol

/// The leader's one TCP listener for clients and workers, speaking the Titan wire protocol.
///
/// One child task per connection in a discarding task group: a connection's failure closes that
/// connection only. Framing lives in channel handlers (``FrameDecoder`` refuses an oversize
/// frame from its header); decisions live in ``Connection``.
public struct MasterServer: Sendable {
    /// Where to listen, and what every connection needs.
    public struct Configuration: Sendable {
        /// The address to bind, e.g. `127.0.0.1`.
        public var host: String
        /// The port to bind; 0 picks a free one.
        public var port: Int
        /// The cluster token every peer proves it holds.
        public var token: [UInt8]
        /// This master's id, sent in `Welcome`.
        public var serverID: String

        /// Creates a configuration.
        public init(host: String, port: Int, token: [UInt8], serverID: String) {
            self.host = host
            self.port = port
            self.token = token
            self.serverID = serverID
        }
    }

    let configuration: Configuration
    let group: any EventLoopGroup
    let logger: Logger

    /// Creates a server on `group`.
    public init(configuration: Configuration, group: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.group = group
        self.logger = logger
    }

    /// Binds the listener; serve it with ``serve(_:context:)``.
    public func bind() async throws -> NIOAsyncChannel<NIOAsyncChannel<Frame, WireMessage>, Never> {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try child.pipeline.syncOperations.addHandler(MessageToByteHandler(WireMessageEncoder()))
                    return try NIOAsyncChannel<Frame, WireMessage>(wrappingChannelSynchronously: child)
                }
            }
    }
}
