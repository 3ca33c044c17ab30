import ClusterModel
import EtcdClient
import NIOCore
import Synchronization
import WireProtocol

/// Whether a request may be made again on the next leader after the first one failed.
public enum LeaderRetry: Sendable {
    /// Always: reads and cancels change nothing when repeated.
    case idempotent
    /// Only if it never reached a leader (the connection or its handshake failed): a submission
    /// that reached one may have been recorded, and must not be repeated blindly.
    case untilSent
}

extension LeaderLocator {
    /// How long a client waits for the next leader by default: a lease TTL to notice the loss,
    /// a campaign, and room to spare.
    public static let defaultPatience = Duration.seconds(30)

    /// Runs `body` on a connection to the leader. When there is none — it died, a standby has not
    /// taken over yet, etcd has no quorum — it says so once through `notice`, waits for the next
    /// leader (at most `patience`), and tries again as `retry` allows.
    ///
    /// - Throws: the request's own error; or, when no leader answers within `patience`,
    ///   ``TitanClientError/noLeader(waited:last:)``.
    public func withLeader<T: Sendable>(
        token: [UInt8],
        nodeID: NodeID,
        retry: LeaderRetry = .idempotent,
        patience: Duration = defaultPatience,
        notice: @escaping @Sendable (String) -> Void = { _ in },
        _ body: @escaping @Sendable (TitanConnection) async throws -> T
    ) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + patience
        var pause = Duration.milliseconds(100)
        var announced = false
        while true {
            let reached = Reached()
            var address = "?"
            do {
                address = try await leaderAddress()
                let value = try await TitanConnection.withConnection(to: address, role: .client, nodeID: nodeID, token: token) { connection in
                    reached.set()
                    return try await body(connection)
                }
                if announced { notice("the leader at \(address) answers") }
                return value
            } catch {
                // A caller that stops (titan-load once its jobs are done closes its subscription)
                // sees its connection end: that is not a lost leader, and nothing is said.
                if Task.isCancelled { throw CancellationError() }
                guard Self.meansNoLeader(error), retry == .idempotent || !reached.isSet else { throw error }
                advance()
                guard clock.now + pause < deadline else {
                    throw TitanClientError.noLeader(waited: patience, last: "\(error)")
                }
                if !announced {
                    announced = true
                    notice("no leader answers (\(Self.brief(error))); waiting up to \(patience) for the next one")
                }
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(1))
            }
        }
    }

    /// Whether `error` says there is no leader to talk to right now, rather than refusing the
    /// request: the master is gone or a standby, or etcd cannot say who leads.
    public static func meansNoLeader(_ error: any Error) -> Bool {
        switch error {
        case TitanClientError.unreachable, TitanClientError.connectionClosed, TitanClientError.notLeader:
            return true
        case let TitanClientError.server(code, _):
            return code == .notLeader || code == .unavailable
        case let error as EtcdError:
            return error.isTransient
        case is IOError, is ChannelError:
            return true  // the connection broke under the request (the master died)
        default:
            return false
        }
    }

    private static func brief(_ error: any Error) -> String {
        switch error {
        case let TitanClientError.unreachable(address, _): return "nothing answers at \(address)"
        case TitanClientError.connectionClosed: return "the connection closed"
        case let TitanClientError.notLeader(message): return message
        case let error as EtcdError: return "etcd: \(error)"
        default: return "\(error)"
        }
    }
}

/// Whether a connection got as far as its body (the request may have been sent).
private final class Reached: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}
