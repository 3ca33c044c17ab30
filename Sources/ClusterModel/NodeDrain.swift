/// Why a node takes no new jobs: a user drained it (`titan-cli drain`), or its worker is shutting
/// down (SIGTERM). Jobs already on the node keep running; at `deadline` (if any) the leader moves
/// the ones a user's drain left there, and a stopping worker stops its own.
public struct NodeDrain: Hashable, Sendable, Codable {
    /// Who asked the node to drain.
    public enum Origin: String, Hashable, Sendable, Codable, CaseIterable {
        /// A user, with `titan-cli drain`: recorded in etcd, kept across worker restarts and
        /// leader fail-overs until `titan-cli uncordon`.
        case user
        /// The node's own worker, shutting down: kept by the leader only while that worker's
        /// session lives (the worker says it again on every session), so a restarted worker is
        /// schedulable again.
        case worker
    }

    /// Who asked.
    public var origin: Origin
    /// When the drain began.
    public var since: UnixMillis
    /// When the jobs still on the node stop and run again elsewhere; nil: they run to their end.
    public var deadline: UnixMillis?

    /// Creates a drain.
    public init(origin: Origin, since: UnixMillis, deadline: UnixMillis? = nil) {
        self.origin = origin
        self.since = since
        self.deadline = deadline
    }

    /// The longest `--deadline` a drain takes, in milliseconds (30 days): a bound for the wire
    /// and for the arithmetic on absolute times.
    public static let maxDeadlineMillis: UInt64 = 30 * 86_400_000
}
