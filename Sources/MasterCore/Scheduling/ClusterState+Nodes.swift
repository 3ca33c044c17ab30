import ClusterModel

extension ClusterState {
    /// A node record appeared or changed in etcd. A record under a new lease means the worker
    /// restarted: what the old incarnation ran is gone, so its jobs run again elsewhere.
    public mutating func nodeRegistered(_ descriptor: NodeDescriptor, leaseID: Int64, now: UnixMillis) -> [SchedulerAction] {
        var actions: [SchedulerAction] = []
        if let existing = nodes[descriptor.id] {
            if existing.leaseID == leaseID {
                var updated = existing
                updated.status.descriptor = descriptor
                setNode(descriptor.id, updated)
                return retryPending(now: now)
            }
            actions += nodeGone(descriptor.id, reason: "worker \(descriptor.id.rawValue) restarted", now: now)
        }
        setNode(descriptor.id, TrackedNode(status: NodeStatus(descriptor: descriptor), leaseID: leaseID, jobs: []))
        return actions
    }

    /// A node's lease ended (its record was deleted): its jobs go back to the queue as new
    /// attempts, or are lost when they have none left.
    ///
    /// They run again only after ``nodeLossHoldMillis``: a worker kills its attempts when its
    /// lease runs out, and its node guard a second later if the worker cannot (it froze or died);
    /// waiting for that keeps an attempt and its replacement from ever running at once.
    public mutating func nodeGone(_ id: NodeID, reason: String? = nil, now: UnixMillis) -> [SchedulerAction] {
        guard let node = nodes[id] else { return [] }
        setNode(id, nil)
        var actions: [SchedulerAction] = []
        let message = reason ?? "node \(id.rawValue) was lost (its lease expired)"
        for job in node.jobs.sorted() {
            requeue(job, message: message, hold: Self.nodeLossHoldMillis, now: now)
            actions += [.persist(job), .publish(job)]
        }
        return actions + retryPending(now: now)
    }

    /// How long the jobs of a lost node wait before they run elsewhere, in milliseconds: longer
    /// than the node guard's margin after the lease's TTL (`NodeGuard.marginMillis`, 1 s) plus
    /// its clock's tick, so that what the lost node still ran is dead first.
    public static let nodeLossHoldMillis: UInt64 = 1_500

    /// A worker opened its session: it can take work now (unless a user drained it). Every job
    /// placed on it but not yet started is assigned again (the worker ignores an assignment it
    /// already has).
    ///
    /// Its `running` jobs are *unconfirmed* until the worker reports on them: the worker replays a
    /// `Started` or `Exited` for every attempt it holds, then says `Synced`
    /// (``workerSynced(_:now:)``).
    public mutating func workerConnected(_ id: NodeID, now: UnixMillis) -> [SchedulerAction] {
        guard nodes[id] != nil else { return [] }
        setConnected(id, true)
        // A stopping worker says so again on this session; a new process does not.
        setStopping(id, nil)
        let node = nodes[id]!
        setUnconfirmed(id, node.jobs.filter { jobs[$0]?.status.state == .running })
        let reassign = node.jobs.sorted().compactMap { job -> SchedulerAction? in
            guard jobs[job]?.status.state == .scheduled else { return nil }
            return .assign(job, node: id)
        }
        return reassign + retryPending(now: now)
    }

    /// A worker's session closed; its node takes no new work until it reconnects. Its jobs stay
    /// where they are: only the loss of the lease moves them.
    public mutating func workerDisconnected(_ id: NodeID) {
        setConnected(id, false)
        setUnconfirmed(id, nil)
    }

    /// The worker of `id` has reported every attempt it holds. A job recorded `running` there
    /// that it did not report is no longer running: its process restarted under the same lease
    /// and could not adopt it (an exec job dies with its worker; a container may be gone). Such a
    /// job runs again as a new attempt, or is lost when it has none left.
    public mutating func workerSynced(_ id: NodeID, now: UnixMillis) -> [SchedulerAction] {
        guard let missing = nodes[id]?.unconfirmed else { return [] }
        setUnconfirmed(id, nil)
        var actions: [SchedulerAction] = []
        for job in missing.sorted() {
            guard let tracked = jobs[job], tracked.status.state == .running, tracked.status.node == id else { continue }
            release(tracked.spec.resources, of: job, on: id)
            requeue(job, message: "worker \(id.rawValue) restarted and no longer runs it", now: now)
            actions += [.persist(job), .publish(job)]
        }
        return actions.isEmpty ? [] : actions + retryPending(now: now)
    }

    /// Restores a job read from etcd when a leader takes over. A job placed on a node that is
    /// no longer registered goes back to the queue.
    /// `nodeLease` is the lease of the node incarnation the record says the job was placed on
    /// (nil in records that do not say): a node registered under another lease restarted while no
    /// master led, and the job was lost with the incarnation that ran it.
    public mutating func restore(_ info: JobDetails, nodeLease: Int64? = nil, now: UnixMillis) -> [SchedulerAction] {
        guard !info.status.state.isFinal else { return [] }
        insertRestored(info, nodeLease: nodeLease)
        switch info.status.state {
        case .pending:
            if let at = info.status.retryAt, at > now {
                retries.insert(info.id, at: at)
            } else {
                enqueue(info.id)
            }
            return []
        case .scheduled, .running:
            guard let nodeID = info.status.node, let node = nodes[nodeID], nodeLease == nil || node.leaseID == nodeLease else {
                requeue(info.id, message: "node \(info.status.node?.rawValue ?? "?") was lost while no master led", now: now)
                return [.persist(info.id), .publish(info.id)]
            }
            hold(info.spec.resources, for: info.id, on: nodeID)
            return []
        case .succeeded, .failed, .cancelled, .lost:
            return []
        }
    }
}
