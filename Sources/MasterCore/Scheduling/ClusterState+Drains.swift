import ClusterModel

/// What ``ClusterState/drain(_:deadline:now:)`` and ``ClusterState/uncordon(_:now:)`` found.
public enum DrainVerdict: Sendable, Equatable {
    /// No node of this id is registered or drained.
    case unknownNode
    /// The request is applied: carry out `actions`.
    case done(changed: Bool, drain: NodeDrain?, jobCount: UInt32, actions: [SchedulerAction])
}

/// Draining: a drained node takes no new jobs (``NodeStatus/drain``, refused by placement's
/// feasibility); its jobs run on, and those still there when a user's drain's deadline passes
/// are stopped and run again elsewhere as a node loss (``requeue(_:message:hold:now:)``): they
/// do not count against `maxAttempts` and never end the job `failed`.
///
/// A user's drain (``drains``) is keyed by node id, not by incarnation, and persisted
/// (`Keys.drain`), so it outlives worker restarts and leader terms. A stopping worker's drain
/// lives in its ``TrackedNode`` until its next session: a worker that starts anew is
/// schedulable again.
extension ClusterState {
    /// A user drains node `id`: no new placements from now on; with a `deadline`, the jobs
    /// still there then are moved. Without one, an earlier drain's deadline is kept.
    public mutating func drain(_ id: NodeID, deadline: UnixMillis?, now: UnixMillis) -> DrainVerdict {
        guard nodes[id] != nil || drains[id] != nil else { return .unknownNode }
        let existing = drains[id]
        let drain = NodeDrain(origin: .user, since: existing?.since ?? now, deadline: deadline ?? existing?.deadline)
        var actions: [SchedulerAction] = []
        if drain != existing {
            setDrain(id, drain)
            actions.append(.persistDrain(id))
        }
        actions += moveJobsOfExpiredDrains(now: now)
        return verdict(id, changed: drain != existing, actions: actions)
    }

    /// A user makes node `id` schedulable again: the drain and its deadline are dropped, and
    /// waiting jobs are offered the node. A stopping worker's own drain stays.
    public mutating func uncordon(_ id: NodeID, now: UnixMillis) -> DrainVerdict {
        guard nodes[id] != nil || drains[id] != nil else { return .unknownNode }
        guard drains[id] != nil else { return verdict(id, changed: false, actions: []) }
        setDrain(id, nil)
        return verdict(id, changed: true, actions: [.persistDrain(id)] + retryPending(now: now))
    }

    /// The worker of `id` is shutting down and lets its jobs run for `timeoutMillis`: nothing
    /// more is placed there while its session lives (``workerConnected(_:now:)`` lifts it).
    public mutating func workerStopping(_ id: NodeID, timeoutMillis: UInt64, now: UnixMillis) {
        setStopping(id, NodeDrain(origin: .worker, since: now, deadline: UnixMillis(now.rawValue + timeoutMillis)))
    }

    /// A drain read from etcd when a term begins (before the jobs are restored).
    public mutating func restoreDrain(_ id: NodeID, _ drain: NodeDrain) {
        setDrain(id, drain)
    }

    /// The earliest deadline of a user's drain whose node still holds jobs.
    public var nextDrainDeadline: UnixMillis? {
        drains.compactMap { id, drain in
            nodes[id].map { !$0.jobs.isEmpty } == true ? drain.deadline : nil
        }.min()
    }

    /// The jobs still on nodes whose drain deadline has passed: each attempt is killed and the job
    /// runs again elsewhere after ``nodeLossHoldMillis`` (so the attempt is dead first), as a node
    /// loss.
    public mutating func moveJobsOfExpiredDrains(now: UnixMillis) -> [SchedulerAction] {
        var actions: [SchedulerAction] = []
        for (id, drain) in drains.sorted(by: { $0.key < $1.key }) {
            guard let deadline = drain.deadline, deadline <= now, let node = nodes[id] else { continue }
            for job in node.jobs.sorted() {
                guard let tracked = jobs[job] else {
                    release(.zero, of: job, on: id)
                    continue
                }
                release(tracked.spec.resources, of: job, on: id)
                actions.append(.kill(job, node: id, epoch: tracked.status.epoch))
                requeue(job, message: "node \(id.rawValue) was drained and its deadline passed", hold: Self.nodeLossHoldMillis, now: now)
                actions += [.persist(job), .publish(job)]
            }
        }
        return actions.isEmpty ? [] : actions + retryPending(now: now)
    }

    /// When the leader's timer must wake next: a retry delay or a drain deadline.
    public var nextTimerAt: UnixMillis? {
        [nextRetryAt, nextDrainDeadline].compactMap { $0 }.min()
    }

    /// What is due at `now`: retries whose delay is over, jobs of drains whose deadline passed.
    public mutating func timersDue(now: UnixMillis) -> [SchedulerAction] {
        releaseDueRetries(now: now) + moveJobsOfExpiredDrains(now: now)
    }

    private mutating func setDrain(_ id: NodeID, _ drain: NodeDrain?) {
        drains[id] = drain
        refreshDrain(id)
    }

    private func verdict(_ id: NodeID, changed: Bool, actions: [SchedulerAction]) -> DrainVerdict {
        .done(changed: changed, drain: nodes[id]?.status.drain ?? drains[id], jobCount: UInt32(nodes[id]?.jobs.count ?? 0), actions: actions)
    }
}
