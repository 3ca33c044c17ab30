import ClusterModel
import EtcdClient
import Foundation
import Logging
import NIOCore
import Synchronization
import WireProtocol

/// Hands each accepted connection to the current term, or, while this master is a standby,
/// answers it with `notLeader` and the leader's address.
///
/// The listener lives as long as the process; connections live only as long as the term that
/// served them: when leadership ends, every connection of the term is closed and its peers
/// find the new leader.
public final class ConnectionRouter: Sendable {
    typealias Accepted = NIOAsyncChannel<Frame, WireMessage>

    private let current = Mutex<AsyncStream<Accepted>.Continuation?>(nil)
    private let etcd: EtcdClient
    private let logger: Logger

    init(etcd: EtcdClient, logger: Logger) {
        self.etcd = etcd
        self.logger = logger
    }

    /// Accepts connections for the life of the process.
    func accept(from listener: NIOAsyncChannel<Accepted, Never>) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await listener.executeThenClose { inbound in
                for try await channel in inbound {
                    let routed = current.withLock { continuation -> Bool in
                        guard let continuation else { return false }
                        if case .enqueued = continuation.yield(channel) { return true }
                        return false
                    }
                    if !routed {
                        group.addTask { await self.refuse(channel) }
                    }
                }
            }
        }
    }

    /// Serves the connections that arrive while `context`'s term lasts; cancelling the term
    /// closes them all.
    func serveTerm(_ context: ConnectionContext) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: Accepted.self, bufferingPolicy: .bufferingOldest(1024))
        current.withLock { $0 = continuation }
        defer {
            current.withLock { $0 = nil }
            continuation.finish()
        }
        await withDiscardingTaskGroup { group in
            for await channel in stream {
                group.addTask { await Connection(channel: channel, context: context).run() }
            }
        }
    }

    /// Answers a connection that reached a standby: `ServerHello`, then `Error(notLeader)`
    /// naming the leader, then close.
    private func refuse(_ channel: Accepted) async {
        var leader = "unknown (an election is under way)"
        if let kv = try? await etcd.get(Keys.leader), let record = try? JSONDecoder().decode(LeaderRecord.self, from: Data(kv.value)) {
            leader = "\(record.id) at \(record.address)"
        }
        try? await channel.executeThenClose { _, outbound in
            try await outbound.write(.serverHello(Handshake.serverHello()))
            try await outbound.write(.error(ErrorMessage(correlationID: 0, code: .notLeader, message: "this master is a standby; the leader is \(leader)")))
        }
    }
}
