import ClusterModel
import Placement

/// Why a pending job waits, reduced to one bounded value per job: the label of
/// `titan_scheduler_pending_jobs{reason}`. Each pending job counts under exactly one reason,
/// so the reasons add up to the pending jobs.
public enum PendingReason: String, Sendable, CaseIterable, Hashable {
    /// It waits out a retry delay, or the hold after its node was lost (`retryAt` is set).
    case backoff
    /// No node is registered at all.
    case noNodes = "no_nodes"
    /// Queued and not yet tried against the nodes.
    case queued
    /// The nearest node's worker is not connected.
    case disconnected
    /// The nearest node is draining.
    case draining
    /// The nearest node does not offer the job's runtime.
    case runtimeUnsupported = "runtime_unsupported"
    /// The nearest node lacks a label the job selects on.
    case labelMismatch = "label_mismatch"
    /// The nearest node has too little free CPU.
    case insufficientCPU = "insufficient_cpu"
    /// The nearest node has too little free memory.
    case insufficientMemory = "insufficient_memory"

    /// The reason a node rejection stands for.
    init(_ rejection: NodeRejection) {
        switch rejection {
        case .disconnected: self = .disconnected
        case .draining: self = .draining
        case .runtimeUnsupported: self = .runtimeUnsupported
        case .labelMismatch: self = .labelMismatch
        case .insufficientCPU: self = .insufficientCPU
        case .insufficientMemory: self = .insufficientMemory
        }
    }
}

/// Placement attempts since the view was created: every job tried against the nodes, by
/// submission or from the pending queue (kube-scheduler's `schedule_attempts_total`).
public struct PlacementCounts: Sendable, Equatable {
    /// Attempts that placed the job.
    public var scheduled: UInt64 = 0
    /// Attempts that found no node with room.
    public var unschedulable: UInt64 = 0

    /// Creates counts.
    public init(scheduled: UInt64 = 0, unschedulable: UInt64 = 0) {
        self.scheduled = scheduled
        self.unschedulable = unschedulable
    }
}

/// What the metrics endpoint shows of the leader's view, taken at scrape time.
public struct ClusterSummary: Sendable, Equatable {
    /// Live jobs by state (pending, scheduled, running; final ones are forgotten once durable).
    public var jobs: [JobState: Int] = [:]
    /// Pending jobs by the one reason each waits for.
    public var pending: [PendingReason: Int] = [:]
    /// Placement attempts so far in this view.
    public var placements = PlacementCounts()
    /// Every registered node.
    public var nodes: [NodeStatus] = []
}

extension ClusterState {
    /// The view summarised for the metrics endpoint: O(live jobs + pending jobs × nodes), taken
    /// once per scrape, never on a job's path.
    public func summary() -> ClusterSummary {
        var summary = ClusterSummary(placements: placementCounts, nodes: nodes.values.map(\.status).sorted { $0.id < $1.id })
        for job in jobs.values where !job.status.state.isFinal {
            summary.jobs[job.status.state, default: 0] += 1
        }
        for (id, job) in jobs where job.status.state == .pending {
            summary.pending[pendingReason(id, retryAt: job.status.retryAt), default: 0] += 1
        }
        return summary
    }

    /// One reason per pending job: a retry wait first; else the first rejection (in
    /// ``rejections(of:for:)``'s fixed order) of the node with the fewest, which is the node
    /// the job is nearest to fitting on.
    func pendingReason(_ id: JobID, retryAt: UnixMillis?) -> PendingReason {
        if retryAt != nil { return .backoff }
        guard let byNode = waitReasons[id] else { return .queued }
        guard !byNode.isEmpty else { return .noNodes }
        let nearest = byNode.min { lhs, rhs in
            lhs.value.count != rhs.value.count ? lhs.value.count < rhs.value.count : lhs.key < rhs.key
        }
        return nearest?.value.first.map(PendingReason.init) ?? .queued
    }
}
