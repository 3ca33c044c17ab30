import ClusterModel
import Placement

/// What the leader must do after a state change; ``ClusterState`` decides, the ``Scheduler``
/// carries it out (write first, then tell workers and watchers).
public enum SchedulerAction: Sendable, Equatable {
    /// Write the job's current record to etcd (conditional on its last revision).
    case persist(JobID)
    /// After the write commits, push `Assign` for the job's current epoch to its node.
    case assign(JobID, node: NodeID)
    /// Tell a node to kill a job's attempt (no write needed first: a kill is always safe).
    case kill(JobID, node: NodeID, epoch: Epoch)
    /// After the write commits, tell job-event subscribers about the new status.
    case publish(JobID)
    /// Write the node's drain as a user asked for it (`Keys.drain`), or delete it if it has none.
    case persistDrain(NodeID)
}

/// A job the leader tracks: every non-final job, and a final one until its record is written.
public struct TrackedJob: Sendable, Equatable {
    /// The spec as submitted.
    public var spec: JobSpec
    /// The current status.
    public var status: JobStatus
    /// Submission order, for the pending queue.
    public var sequence: UInt64
    /// The lease of the node incarnation the job was placed on: a job restored from etcd whose
    /// node now lives under another lease was lost with the old incarnation.
    public var nodeLease: Int64?
    /// Its ended attempts, oldest first (bounded: ``AttemptRecord/historyLimit``).
    public var attempts: [AttemptRecord] = []

    /// The job as recorded in etcd and shown to clients.
    public func details(_ id: JobID) -> JobDetails {
        JobDetails(id: id, spec: spec, status: status, attempts: attempts)
    }
}

/// A node the leader knows: registered in etcd, perhaps connected.
public struct TrackedNode: Sendable, Equatable {
    /// Capacity, labels, runtimes, allocation, connection.
    public var status: NodeStatus
    /// The lease its record lives under; a new lease means the worker restarted.
    public var leaseID: Int64
    /// Jobs that hold capacity on it (scheduled or running).
    public var jobs: Set<JobID>
    /// While its worker's session replays what it holds (from `Hello` to `Synced`): the jobs
    /// recorded `running` here that it has not yet reported. Nil outside a replay.
    public var unconfirmed: Set<JobID>? = nil
    /// While its worker shuts down (it said `Stopping` on its current session): that drain.
    public var stopping: NodeDrain? = nil
}

/// The leader's in-memory view of the cluster as a state machine: pure, synchronous, and
/// tested without etcd. Every method mutates the view and returns the actions that make the
/// change durable and visible.
public struct ClusterState: Sendable {
    /// Ranking strategy for placement.
    public var strategy: PlacementStrategy
    /// Non-final jobs (and final ones not yet written).
    public private(set) var jobs: [JobID: TrackedJob] = [:]
    /// Registered nodes.
    public private(set) var nodes: [NodeID: TrackedNode] = [:]
    /// Jobs waiting for capacity.
    public private(set) var pending = PendingQueue()
    /// Why each pending job waits, per node (shown by `titan-cli status`).
    public private(set) var waitReasons: [JobID: [NodeID: [NodeRejection]]] = [:]
    /// Pending jobs that retry after a failure, by the time they may be placed again; they
    /// join ``pending`` then (``releaseDueRetries(now:)``).
    public internal(set) var retries = RetryQueue()
    /// Placement attempts so far (exported as `titan_scheduler_schedule_attempts_total`).
    public private(set) var placementCounts = PlacementCounts()
    /// The drains users asked for, by node id: kept while the node is away, applied when it
    /// registers (``refreshDrain(_:)``).
    public internal(set) var drains: [NodeID: NodeDrain] = [:]
    private var nextSequence: UInt64 = 0

    /// Creates an empty view.
    public init(strategy: PlacementStrategy = .binpack) {
        self.strategy = strategy
    }

    /// A job's status with, for a pending job, the reasons it waits as its message.
    public func status(of id: JobID) -> JobStatus? {
        guard var status = jobs[id]?.status else { return nil }
        if status.state == .pending, let reasons = waitReasons[id] {
            status.message = explain(reasons).joined(separator: "\n")
        }
        return status
    }

    // MARK: - Submission and placement

    /// Adds a validated job and tries to place it at once.
    public mutating func submit(id: JobID, spec: JobSpec, now: UnixMillis) -> [SchedulerAction] {
        let status = JobStatus(state: .pending, attempt: 1, epoch: Epoch(1), submittedAt: now, updatedAt: now)
        nextSequence += 1
        jobs[id] = TrackedJob(spec: spec, status: status, sequence: nextSequence)
        if let node = tryPlace(id, now: now) {
            return [.persist(id), .assign(id, node: node), .publish(id)]
        }
        enqueue(id)
        return [.persist(id), .publish(id)]
    }

    /// Forgets a job whose submission could not be written (etcd refused it), giving back any
    /// capacity it took.
    public mutating func rollBackSubmission(_ id: JobID) {
        guard let job = jobs.removeValue(forKey: id) else { return }
        pending.remove(id)
        waitReasons.removeValue(forKey: id)
        if let node = job.status.node, job.status.state.holdsCapacity {
            release(job.spec.resources, of: id, on: node)
        }
    }

    /// Offers capacity to waiting jobs, in priority order; returns the actions for those placed.
    public mutating func retryPending(now: UnixMillis) -> [SchedulerAction] {
        guard !pending.isEmpty else { return [] }
        var actions: [SchedulerAction] = []
        var failedReasons: [JobID: [NodeID: [NodeRejection]]] = [:]
        var queue = pending
        pending = PendingQueue()
        defer { pending = queue }
        let placed = queue.drain { entry in
            switch place(entry.request, on: nodes.values.map(\.status), strategy: strategy) {
            case let .placed(node, _):
                placementCounts.scheduled += 1
                commitPlacement(entry.id, on: node, now: now)
                return true
            case let .unschedulable(reasons):
                placementCounts.unschedulable += 1
                failedReasons[entry.id] = reasons
                return false
            }
        }
        for entry in placed {
            waitReasons.removeValue(forKey: entry.id)
            if let node = jobs[entry.id]?.status.node {
                actions += [.persist(entry.id), .assign(entry.id, node: node), .publish(entry.id)]
            }
        }
        waitReasons.merge(failedReasons) { _, new in new }
        return actions
    }

    /// Places one job now if any node fits; records why not otherwise.
    private mutating func tryPlace(_ id: JobID, now: UnixMillis) -> NodeID? {
        guard let job = jobs[id] else { return nil }
        switch place(PlacementRequest(job.spec), on: nodes.values.map(\.status), strategy: strategy) {
        case let .placed(node, _):
            placementCounts.scheduled += 1
            commitPlacement(id, on: node, now: now)
            return node
        case let .unschedulable(reasons):
            placementCounts.unschedulable += 1
            waitReasons[id] = reasons
            return nil
        }
    }

    // Nodes and jobs are modified in place through their dictionaries' subscripts: copying a
    // node out and back would copy its job set on every placement (quadratic in jobs per node).
    private mutating func commitPlacement(_ id: JobID, on node: NodeID, now: UnixMillis) {
        guard let resources = jobs[id]?.spec.resources, let lease = nodes[node]?.leaseID else { return }
        update(id) { job in
            job.status.state = .scheduled
            job.status.node = node
            job.nodeLease = lease
            job.status.message = ""
            job.status.updatedAt = now
            job.status.retryAt = nil
            job.status.startedAt = nil
        }
        hold(resources, for: id, on: node)
    }

    func enqueueEntry(_ id: JobID) -> PendingQueue.Entry? {
        guard let job = jobs[id] else { return nil }
        return PendingQueue.Entry(id: id, priority: job.spec.priority, sequence: job.sequence, request: PlacementRequest(job.spec))
    }

    mutating func enqueue(_ id: JobID) {
        if let entry = enqueueEntry(id) { pending.insert(entry) }
    }

    mutating func release(_ resources: Resources, of id: JobID, on node: NodeID) {
        guard nodes[node]?.jobs.remove(id) != nil else { return }
        nodes[node]!.status.allocated -= resources
        nodes[node]!.status.jobCount = UInt32(nodes[node]!.jobs.count)
    }

    mutating func hold(_ resources: Resources, for id: JobID, on node: NodeID) {
        guard nodes[node]?.jobs.insert(id).inserted == true else { return }
        nodes[node]!.status.allocated += resources
        nodes[node]!.status.jobCount = UInt32(nodes[node]!.jobs.count)
    }

    /// Changes a tracked job in place; its message is kept within what the wire carries.
    mutating func update(_ id: JobID, _ change: (inout TrackedJob) -> Void) {
        guard jobs[id] != nil else { return }
        change(&jobs[id]!)
        if jobs[id]!.status.message.utf8.count > JobStatus.maxMessageBytes {
            jobs[id]!.status.message = jobs[id]!.status.message.truncated(toUTF8Bytes: JobStatus.maxMessageBytes)
        }
    }

    mutating func setConnected(_ id: NodeID, _ connected: Bool) {
        nodes[id]?.status.connected = connected
    }

    mutating func setStopping(_ id: NodeID, _ drain: NodeDrain?) {
        nodes[id]?.stopping = drain
        refreshDrain(id)
    }

    /// A node's drain as placement and `nodes` see it: a user's, else its stopping worker's.
    mutating func refreshDrain(_ id: NodeID) {
        guard nodes[id] != nil else { return }
        nodes[id]!.status.drain = drains[id] ?? nodes[id]!.stopping
    }

    mutating func setUnconfirmed(_ id: NodeID, _ jobs: Set<JobID>?) {
        nodes[id]?.unconfirmed = jobs
    }

    /// The worker of `node` reported on `job`: it holds it.
    mutating func confirm(_ job: JobID, on node: NodeID) {
        nodes[node]?.unconfirmed?.remove(job)
    }

    mutating func setNode(_ id: NodeID, _ node: TrackedNode?) {
        nodes[id] = node
        refreshDrain(id)
    }

    mutating func dropJob(_ id: JobID) {
        jobs.removeValue(forKey: id)
        waitReasons.removeValue(forKey: id)
        pending.remove(id)
        retries.remove(id)
    }

    mutating func removeFromQueue(_ id: JobID) {
        pending.remove(id)
        retries.remove(id)
    }

    mutating func insertRestored(_ info: JobDetails, nodeLease: Int64?) {
        nextSequence += 1
        jobs[info.id] = TrackedJob(spec: info.spec, status: info.status, sequence: nextSequence, nodeLease: nodeLease, attempts: info.attempts)
    }

    mutating func dropWaitReasons(_ id: JobID) {
        waitReasons.removeValue(forKey: id)
    }
}
