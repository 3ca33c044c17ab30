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

    /// A worker has replayed every attempt it holds (`Synced`): jobs recorded running on its node
    /// that it did not report run again elsewhere. The write runs in the background.
    public func workerSynced(_ node: NodeID, outbox: Outbox) {
        guard let current = workers[node], current === outbox else { return }
        carryOutInBackground(state.workerSynced(node, now: Self.now()))
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
        let decision = state.exitedReport(
            report.jobID, epoch: report.epoch, on: node, exitCode: report.exitCode, reason: reason,
            lostByInfrastructure: report.lostByInfrastructure, now: Self.now())
        if decision.stale {
            logger.info("refused a stale Exited", metadata: ["job.id": "\(report.jobID.rawValue)", "job.epoch": "\(report.epoch.rawValue)", "node.id": "\(node.rawValue)"])
        }
        let ack = ReportAck(jobID: report.jobID, epoch: report.epoch)
        switch decision.ack {
        case .afterWrites:
            carryOutInBackground(decision.actions, ack: (node, ack))
        case .afterFinalWrite:
            acksAfterWrite[report.jobID, default: []].append((node, ack))
        case .now:
            workers[node]?.send(.reportAck(ack))
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
        // Close the session of the incarnation that is gone, not one that reconnected meanwhile.
        let lostSession = workers[node]
        try await carryOut(state.nodeGone(node, now: Self.now()))
        if let lostSession, workers[node] === lostSession {
            workers.removeValue(forKey: node)
            lostSession.close()
        }
    }

    /// Loads the jobs a new term finds in etcd; `revision` is each record's `mod_revision`.
    public func restore(_ jobs: [(job: JobDetails, nodeLease: Int64?, revision: Int64)]) async throws {
        var actions: [SchedulerAction] = []
        for (details, nodeLease, revision) in jobs where !details.status.state.isFinal {
            committer.track(key: Keys.job(details.id), revision: revision)
            actions += state.restore(details, nodeLease: nodeLease, now: Self.now())
            currentAttempts.update(details.id, status: state.jobs[details.id]?.status)
        }
        try await carryOut(actions)
    }

    /// Every page of jobs is restored: only now is capacity offered to waiting jobs (placing them
    /// after the first page could overcommit nodes whose running jobs a later page holds).
    public func restoreFinished() async throws {
        try await carryOut(state.retryPending(now: Self.now()))
    }
}
