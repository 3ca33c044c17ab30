import ClusterModel
import Synchronization

/// Which attempt of each job may send output to the archive: the attempt a job holds capacity
/// with on its node, and the most recent attempts killed by a cancel (whose last words still
/// count while they die). Pure; ``CurrentAttempts`` shares it.
struct AttemptTable {
    /// How many killed attempts are remembered; the oldest is forgotten first.
    static let killedLimit = 4096

    private var holding: [JobID: (node: NodeID, attempt: UInt32)] = [:]
    private var killed: [JobID: (node: NodeID, attempt: UInt32)] = [:]
    private var killedOrder: [JobID] = []

    /// The job's status changed (`nil`: the job is gone): its attempt is current while the job
    /// holds capacity on a node.
    mutating func update(_ job: JobID, status: JobStatus?) {
        if let status, status.state.holdsCapacity, let node = status.node {
            holding[job] = (node, status.attempt)
        } else {
            holding.removeValue(forKey: job)
        }
    }

    /// The leader killed `attempt` of `job` on `node`: its output still counts until it is one
    /// of the ``killedLimit`` most recent no more.
    mutating func killed(_ job: JobID, attempt: UInt32, node: NodeID) {
        if killed.updateValue((node, attempt), forKey: job) == nil {
            killedOrder.append(job)
        }
        if killedOrder.count > Self.killedLimit {
            killed.removeValue(forKey: killedOrder.removeFirst())
        }
    }

    /// Whether output of `attempt` of `job` from `node` is wanted.
    func isCurrent(_ job: JobID, attempt: UInt32, node: NodeID) -> Bool {
        for entry in [holding[job], killed[job]] {
            if let entry, entry.node == node, entry.attempt == attempt { return true }
        }
        return false
    }
}

/// The term's ``AttemptTable``, shared: the scheduler writes it in the same turn as it changes a
/// job (every change of a job is persisted, so when it builds the write), and each worker
/// session reads it for every log chunk without a hop to the scheduler actor.
public final class CurrentAttempts: Sendable {
    private let table = Mutex(AttemptTable())

    /// An empty table.
    public init() {}

    func update(_ job: JobID, status: JobStatus?) {
        table.withLock { $0.update(job, status: status) }
    }

    func killed(_ job: JobID, attempt: UInt32, node: NodeID) {
        table.withLock { $0.killed(job, attempt: attempt, node: node) }
    }

    /// Whether output of `attempt` of `job` from `node` is wanted (else it is stale: the attempt
    /// is over or moved).
    public func isCurrent(_ job: JobID, attempt: UInt32, node: NodeID) -> Bool {
        table.withLock { $0.isCurrent(job, attempt: attempt, node: node) }
    }
}
