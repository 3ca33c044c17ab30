import ClusterModel
import NIOCore
import NIOPosix
import Synchronization
import WireProtocol

/// Why a Titan connection failed, in words a user can act on.
public enum TitanClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing accepted the TCP connection.
    case unreachable(address: String, reason: String)
    /// The master refused our token.
    case authenticationFailed(address: String)
    /// The master is a standby; `message` names the leader.
    case notLeader(message: String)
    /// The master answered a request with an `Error`.
    case server(code: WireErrorCode, message: String)
    /// The connection closed before the answer came.
    case connectionClosed
    /// The peer broke the protocol.
    case protocolViolation(String)
    /// The address given is not `host:port`.
    case badAddress(String)
    /// No master led the cluster for `waited`; `last` is why the last try failed.
    case noLeader(waited: Duration, last: String)

    /// One sentence naming what failed and what to do.
    public var description: String {
        switch self {
        case let .unreachable(address, reason):
            return "cannot reach the Titan master at \(address) (\(reason)): check TITAN_MASTER / --master, or that the cluster is up (Tools/titan-up)"
        case .authenticationFailed:
            return "authentication failed: check TITAN_TOKEN_FILE"
        case let .notLeader(message):
            return "\(message): retry against the leader"
        case let .server(code, message):
            return "the master refused the request (\(code.name)): \(message)"
        case .connectionClosed:
            return "the connection to the Titan master closed before it answered: retry"
        case let .protocolViolation(detail):
            return "the Titan master broke the wire protocol: \(detail)"
        case let .badAddress(address):
            return "'\(address)' is not a host:port address: use e.g. 127.0.0.1:7070"
        case let .noLeader(waited, last):
            return "no Titan master led the cluster within \(waited) (last try: \(last)): check that titan-master runs (Tools/titan-up) and that etcd has quorum"
        }
    }
}

/// One authenticated connection to the leader: requests matched to their answers by
/// correlation id, and a stream of everything the master pushes.
///
/// Opened and closed by ``withConnection(to:role:nodeID:token:body:)``: the connection lives
/// exactly as long as the body, and its reader runs as a child task.
public final class TitanConnection: Sendable {
    /// A request's place while its answer is due: reserved before the write, so an answer
    /// that arrives before the caller starts waiting is kept, not lost.
    enum Slot {
        case reserved
        case waiting(CheckedContinuation<WireMessage, any Error>)
        case answered(Result<WireMessage, any Error>)
    }

    struct State {
        var nextCorrelationID: UInt64 = 1
        var slots: [UInt64: Slot] = [:]
        var closed: (any Error)?
    }

    private let outbound: NIOAsyncChannelOutboundWriter<WireMessage>
    private let channel: any Channel
    let state = Mutex(State())
    let pushContinuation: AsyncStream<WireMessage>.Continuation
    /// Messages the master sends on its own: `Assign`, `Cancel`, `ReportAck`, `JobEvent`, …
    /// Bounded: past 65,536 unread pushes the connection is closed (the reader is too slow).
    public let pushes: AsyncStream<WireMessage>
    /// The id the master gave in `Welcome`.
    public let serverID: String

    /// How long the master may take to complete the handshake before the connection is closed.
    public static let handshakeTimeoutSeconds: Int64 = 10

    init(outbound: NIOAsyncChannelOutboundWriter<WireMessage>, channel: any Channel, serverID: String) {
        self.outbound = outbound
        self.channel = channel
        self.serverID = serverID
        (pushes, pushContinuation) = AsyncStream.makeStream(of: WireMessage.self, bufferingPolicy: .bufferingOldest(65_536))
    }

    /// Connects to `address`, authenticates, runs `body`, and closes the connection.
    public static func withConnection<T: Sendable>(
        to address: String,
        role: PeerRole,
        nodeID: NodeID,
        token: [UInt8],
        body: @escaping @Sendable (TitanConnection) async throws -> T
    ) async throws -> T {
        let (host, port) = try parse(address)
        let channel: NIOAsyncChannel<Frame, WireMessage>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(.seconds(3))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(WireMessageEncoder()))
                        return try NIOAsyncChannel<Frame, WireMessage>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw TitanClientError.unreachable(address: address, reason: "\(error)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            // A master that accepts but never speaks (overloaded, or a connection dropped while
            // its leadership changed hands) must not hold the caller for ever: the handshake
            // gets `handshakeTimeout`, after which the connection is closed and the call fails.
            let socket = channel.channel
            let deadline = socket.eventLoop.scheduleTask(in: .seconds(Self.handshakeTimeoutSeconds)) {
                socket.close(promise: nil)
            }
            let serverID: String
            do {
                serverID = try await handshake(&frames, outbound: outbound, role: role, nodeID: nodeID, token: token, address: address)
                deadline.cancel()
            } catch {
                deadline.cancel()
                throw error
            }
            let connection = TitanConnection(outbound: outbound, channel: channel.channel, serverID: serverID)
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await connection.body(body)
                }
                defer { group.cancelAll() }
                await connection.readAll(&frames)
                // The reader ends only when the connection does; the body sees that as errors.
                for try await result in group {
                    if let result { return result }
                }
                throw TitanClientError.connectionClosed
            }
        }
    }

    private func body<T: Sendable>(_ body: @Sendable (TitanConnection) async throws -> T) async throws -> T? {
        defer {
            close(TitanClientError.connectionClosed)
            // Closing the socket ends the reader, which lets withConnection return.
            channel.close(promise: nil)
        }
        return try await body(self)
    }

    /// Sends a request built around a fresh correlation id and returns the answer.
    /// An `Error` answer is thrown as ``TitanClientError/server(code:message:)``.
    public func request(_ build: (UInt64) -> WireMessage) async throws -> WireMessage {
        let id = try state.withLock { state -> UInt64 in
            if let closed = state.closed { throw closed }
            defer { state.nextCorrelationID += 1 }
            state.slots[state.nextCorrelationID] = .reserved
            return state.nextCorrelationID
        }
        do {
            try await outbound.write(build(id))
        } catch {
            _ = state.withLock { $0.slots.removeValue(forKey: id) }
            throw TitanClientError.connectionClosed
        }
        let answer = try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> Result<WireMessage, any Error>? in
                if case let .answered(result) = state.slots[id] {
                    state.slots.removeValue(forKey: id)
                    return result
                }
                state.slots[id] = .waiting(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
        if case let .error(error) = answer {
            if error.code == .notLeader { throw TitanClientError.notLeader(message: error.message) }
            throw TitanClientError.server(code: error.code, message: error.message)
        }
        return answer
    }

    /// Sends a message that expects no answer (a worker's report, a ping).
    public func send(_ message: WireMessage) async throws {
        do {
            try await outbound.write(message)
        } catch {
            throw TitanClientError.connectionClosed
        }
    }

    /// Closes the connection: open requests fail, ``pushes`` ends.
    public func disconnect() {
        close(TitanClientError.connectionClosed)
        channel.close(promise: nil)
    }

    /// Sends messages that expect no answer, in order, with one flush.
    public func send(contentsOf messages: [WireMessage]) async throws {
        do {
            try await outbound.write(contentsOf: messages)
        } catch {
            throw TitanClientError.connectionClosed
        }
    }
}
