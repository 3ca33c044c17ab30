import ClusterModel
import WireProtocol

extension Scheduler {
    /// A user drains `node` (`DrainNode`): no new placements there from now on; with a deadline
    /// (milliseconds from now), the jobs still there then move. Returns nil for a node the
    /// leader does not know; otherwise the answer, sent once the drain is durable.
    public func drain(_ node: NodeID, deadlineMillis: UInt64?, correlationID: UInt64) async throws -> DrainResult? {
        let now = Self.now()
        let deadline = deadlineMillis.map { UnixMillis(now.rawValue + $0) }
        return try await apply(state.drain(node, deadline: deadline, now: now), node: node, correlationID: correlationID)
    }

    /// A user makes `node` schedulable again (`UncordonNode`). Nil for an unknown node.
    public func uncordon(_ node: NodeID, correlationID: UInt64) async throws -> DrainResult? {
        try await apply(state.uncordon(node, now: Self.now()), node: node, correlationID: correlationID)
    }

    /// The worker of `node` is shutting down (`Stopping` on its current session `outbox`).
    public func workerStopping(_ node: NodeID, timeoutMillis: UInt64, outbox: Outbox) {
        guard let current = workers[node], current === outbox else { return }
        logger.info("worker stopping; placing nothing more on its node", metadata: ["node.id": "\(node.rawValue)", "drain.timeout.ms": "\(timeoutMillis)"])
        state.workerStopping(node, timeoutMillis: timeoutMillis, now: Self.now())
    }

    /// Loads the drains a new term finds in etcd; `revision` is each record's `mod_revision`.
    public func restoreDrains(_ drains: [(node: NodeID, drain: NodeDrain, revision: Int64)]) {
        for (node, drain, revision) in drains {
            committer.track(key: Keys.drain(node), revision: revision)
            state.restoreDrain(node, drain)
        }
    }

    private func apply(_ verdict: DrainVerdict, node: NodeID, correlationID: UInt64) async throws -> DrainResult? {
        guard case let .done(changed, drain, jobCount, actions) = verdict else { return nil }
        if changed {
            logger.info(drain?.origin == .user ? "node drained" : "node uncordoned", metadata: ["node.id": "\(node.rawValue)", "drain.deadline": "\(drain?.deadline?.rawValue ?? 0)"])
        }
        try await carryOut(actions)
        return DrainResult(correlationID: correlationID, nodeID: node, changed: changed, drain: drain, jobCount: jobCount)
    }
}
