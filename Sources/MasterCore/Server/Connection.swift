import ClusterModel
import EtcdClient
import Logging
import NIOCore
import StageTrace
import WireProtocol

/// What every connection of a term shares.
public struct ConnectionContext: Sendable {
    /// The term's scheduler.
    public var scheduler: Scheduler
    /// Reads of records that only etcd holds (finished jobs).
    public var queries: JobQueries
    /// The cluster token.
    public var token: [UInt8]
    /// This master's id.
    public var serverID: String
    /// Where connection events are logged.
    public var logger: Logger
    /// The term's log archiver.
    public var archiver: LogArchiver

    /// Creates a context.
    public init(scheduler: Scheduler, archiver: LogArchiver, queries: JobQueries, token: [UInt8], serverID: String, logger: Logger) {
        self.scheduler = scheduler
        self.archiver = archiver
        self.queries = queries
        self.token = token
        self.serverID = serverID
        self.logger = logger
    }
}

/// One peer's connection: the handshake, then a worker session or a client session.
///
/// ```
///  connected ──ServerHello──▶ awaitingHello ──Hello ok──▶ worker(node) | client
///                                   └──bad Hello──▶ Error + close
/// ```
/// Reading happens here; writing goes through an ``Outbox`` drained by a child task, so that
/// the scheduler can push to this peer at any time without waiting on the socket.
struct Connection {
    enum Phase {
        case awaitingHello(nonce: [UInt8])
        case worker(NodeID)
        case client
    }

    let channel: NIOAsyncChannel<Frame, WireMessage>
    let context: ConnectionContext
    let outbox: Outbox

    init(channel: NIOAsyncChannel<Frame, WireMessage>, context: ConnectionContext) {
        self.channel = channel
        self.context = context
        // A peer too slow to keep: the connection closes now, not once the writer drained.
        let socket = channel.channel
        self.outbox = Outbox(onOverflow: { socket.close(promise: nil) })
    }

    /// How long the writer may take to flush the outbox after the reader ended.
    static let drainGrace = Duration.seconds(2)

    func run() async {
        let peer = channel.channel.remoteAddress.map { "\($0)" } ?? "?"
        var logger = context.logger
        logger[metadataKey: "peer"] = "\(peer)"
        do {
            try await channel.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await writeAll(to: outbound) }
                    defer { group.cancelAll() }
                    try await readAll(from: inbound, logger: logger)
                    // The reader closed the outbox. Let the writer send what is queued (above all
                    // the `Error` that must precede a close): cancelling it at once dropped that
                    // frame. A peer that does not read gets `drainGrace`, not forever.
                    group.addTask { try? await Task.sleep(for: Self.drainGrace) }
                    try await group.next()
                }
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
    }

    /// Drains the outbox to the socket. An outbox that overflowed closes the connection.
    private func writeAll(to outbound: NIOAsyncChannelOutboundWriter<WireMessage>) async throws {
        // Everything queued goes out in one write and one flush.
        while let batch = await outbox.nextBatch() {
            try await outbound.write(contentsOf: batch)
            if StageTrace.isOn {
                for case let .assign(assign) in batch { StageTrace.mark(.assignWritten, assign.jobID.rawValue) }
            }
        }
        if outbox.didOverflow {
            context.logger.warning("peer fell too far behind; closing its connection")
        }
        outbound.finish()
        try? await channel.channel.close()
    }

    private func readAll(from inbound: NIOAsyncChannelInboundStream<Frame>, logger: Logger) async throws {
        let nonce = HandshakeAuth.makeNonce()
        var phase = Phase.awaitingHello(nonce: nonce)
        outbox.send(.serverHello(Handshake.serverHello(nonce: nonce)))
        do {
            reading: for try await frame in inbound {
                let message: WireMessage
                do {
                    message = try WireMessage(frame: frame)
                } catch {
                    outbox.send(.error(ErrorMessage(correlationID: frame.correlationIDForError, code: error.code, message: error.description)))
                    if error.code == .unknownType { continue }
                    break reading
                }
                switch phase {
                case let .awaitingHello(nonce):
                    guard let next = try await handshake(message, nonce: nonce, logger: logger) else { break reading }
                    phase = next
                case let .worker(node):
                    try await handleWorker(message, node: node)
                case .client:
                    try await handleClient(message)
                }
            }
        } catch let error as WireError {
            // A frame the decoder refused (oversize, too short): say why, then close.
            outbox.send(.error(ErrorMessage(correlationID: 0, code: error.code, message: error.description)))
        } catch {
            await leave(phase)
            throw error
        }
        await leave(phase)
    }

    /// Tells the scheduler this peer is gone and lets the writer finish what is queued.
    private func leave(_ phase: Phase) async {
        outbox.close()
        switch phase {
        case let .worker(node): await context.scheduler.workerDisconnected(node, outbox: outbox)
        case .client:
            await context.scheduler.unsubscribe(outbox)
            await context.archiver.unfollow(outbox)
        case .awaitingHello: break
        }
    }

    private func handshake(_ message: WireMessage, nonce: [UInt8], logger: Logger) async throws -> Phase? {
        guard case let .hello(hello) = message else {
            outbox.send(.error(ErrorMessage(correlationID: 0, code: .badFrame, message: "expected Hello as the first message, got \(message.type.name ?? "an unknown message")")))
            return nil
        }
        do {
            try Handshake.verify(hello, nonce: nonce, token: context.token)
        } catch {
            logger.warning("handshake refused", metadata: ["error": "\(error)", "node.id": "\(hello.nodeID.rawValue)"])
            outbox.send(.error(ErrorMessage(correlationID: 0, code: error.code, message: error.description)))
            return nil
        }
        if hello.role == .worker {
            // Before the worker hears Welcome, nothing unwritten of its node's output is kept:
            // a worker process that took over from a dead one resumes from the archive.
            await context.archiver.forgetUnwritten(node: hello.nodeID, owner: outbox)
        }
        outbox.send(.welcome(Welcome(version: WireLimits.protocolVersion, serverID: context.serverID)))
        switch hello.role {
        case .worker:
            try await context.scheduler.workerConnected(hello.nodeID, outbox: outbox)
            return .worker(hello.nodeID)
        case .client:
            return .client
        }
    }

    private func handleWorker(_ message: WireMessage, node: NodeID) async throws {
        switch message {
        case let .started(report):
            StageTrace.mark(.startedReceived, report.jobID.rawValue)
            await context.scheduler.started(report, from: node)
        case let .exited(report):
            StageTrace.mark(.exitedReceived, report.jobID.rawValue)
            // A cut attempt's marker gets its final count before the job is recorded final; a
            // killed attempt's followers get their LogEnd. The epoch is the attempt number.
            await context.archiver.settle(report.jobID, attempt: UInt32(truncatingIfNeeded: report.epoch.rawValue))
            await context.scheduler.exited(report, from: node)
        case .synced:
            await context.scheduler.workerSynced(node, outbox: outbox)
        case let .stopping(notice):
            await context.scheduler.workerStopping(node, timeoutMillis: notice.timeoutMillis, outbox: outbox)
        case let .ping(ping):
            outbox.send(.pong(ping))
        case let .logChunk(chunk):
            if context.scheduler.currentAttempts.isCurrent(chunk.jobID, attempt: chunk.attempt, node: node) {
                await context.archiver.receive(chunk, from: node, outbox: outbox)
            } else {
                // Output of an attempt that is over or moved: nobody wants it; let the worker drop it.
                outbox.send(.logAck(LogAck(jobID: chunk.jobID, attempt: chunk.attempt, seq: chunk.seq)))
            }
        case .pong:
            break
        default:
            outbox.send(.error(ErrorMessage(correlationID: message.correlationID ?? 0, code: .invalidRequest, message: "\(message.type.name ?? "an unknown message") is not a message a worker sends")))
        }
    }
}
