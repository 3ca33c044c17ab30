import ClusterModel
import WireProtocol

extension Scheduler {
    /// A worker's session is up: it takes work, and gets again what was placed on it.
    public func workerConnected(_ node: NodeID, outbox: Outbox) async throws {
        workers[node]?.close()
        workers[node] = outbox
        try await carryOut(state.workerConnected(node, now: Self.now()))
    }

    /// A worker's session ended (only if `outbox` is still its current one).
    public func workerDisconnected(_ node: NodeID, outbox: Outbox) {
        guard let current = workers[node], current === outbox else { return }
        workers.removeValue(forKey: node)
        state.workerDisconnected(node)
    }

    /// A worker started an attempt. A stale attempt is answered with a kill. The write runs in
    /// the background.
    public func started(_ report: Started, from node: NodeID) {
        switch state.started(report.jobID, epoch: report.epoch, on: node, now: Self.now()) {
        case let .accepted(actions):
            carryOutInBackground(actions)
        case .duplicate:
            break
        case .stale:
            logger.info("refused a stale Started", metadata: ["job.id": "\(report.jobID.rawValue)", "job.epoch": "\(report.epoch.rawValue)", "node.id": "\(node.rawValue)"])
            workers[node]?.send(.cancel(Cancel(jobID: report.jobID, epoch: report.epoch)))
        }
    }

    /// A worker's attempt ended. Once the outcome is durable (or found stale) the worker gets
    /// a `ReportAck` and stops re-sending it. The write runs in the background.
    public func exited(_ report: Exited, from node: NodeID) {
        let reason = report.oomKilled ? (report.reason.isEmpty ? "killed: out of memory" : "killed: out of memory; \(report.reason)") : report.reason
        switch state.exited(report.jobID, epoch: report.epoch, on: node, exitCode: report.exitCode, reason: reason, now: Self.now()) {
        case let .accepted(actions):
            carryOutInBackground(actions, ack: (node, ReportAck(jobID: report.jobID, epoch: report.epoch)))
        case .duplicate:
            // The outcome is being written (a final job is forgotten once its write is durable):
            // acknowledge when that write is.
            acksAfterWrite[report.jobID, default: []].append((node, ReportAck(jobID: report.jobID, epoch: report.epoch)))
        case .stale:
            logger.info("refused a stale Exited", metadata: ["job.id": "\(report.jobID.rawValue)", "job.epoch": "\(report.epoch.rawValue)", "node.id": "\(node.rawValue)"])
            workers[node]?.send(.reportAck(ReportAck(jobID: report.jobID, epoch: report.epoch)))
        }
    }

    /// A node record appeared or changed in etcd.
    public func nodeRegistered(_ descriptor: NodeDescriptor, leaseID: Int64) async throws {
        var actions = state.nodeRegistered(descriptor, leaseID: leaseID, now: Self.now())
        // The worker may have opened its session before this master saw its registration
        // (the watch can lag the connection): it is connected from now on.
        if workers[descriptor.id] != nil, state.nodes[descriptor.id]?.status.connected == false {
            actions += state.workerConnected(descriptor.id, now: Self.now())
        }
        try await carryOut(actions)
    }

    /// A node record was deleted (its lease ended).
    public func nodeGone(_ node: NodeID) async throws {
        logger.info("node lost", metadata: ["node.id": "\(node.rawValue)"])
        try await carryOut(state.nodeGone(node, now: Self.now()))
        workers[node]?.close()
    }

    /// Loads the jobs a new term finds in etcd; `revision` is each record's `mod_revision`.
    public func restore(_ jobs: [(JobDetails, Int64)]) async throws {
        var actions: [SchedulerAction] = []
        for (details, revision) in jobs where !details.status.state.isFinal {
            committer.track(key: Keys.job(details.id), revision: revision)
            actions += state.restore(details, now: Self.now())
        }
        actions += state.retryPending(now: Self.now())
        try await carryOut(actions)
    }
}
