import ClusterModel

/// When a worker hears `ReportAck` for an `Exited`: only once the outcome it reported, or the
/// state that made it stale, is durable — then it stops re-sending the report.
public enum ReportAckTiming: Sendable, Equatable {
    /// Once the decision's writes are durable (they go with the acknowledgement).
    case afterWrites
    /// Once the job's final record, written already or still queued, is durable.
    case afterFinalWrite
    /// At once: nothing about the job is left to write (it is not live, so its last record is
    /// durable).
    case now
}

/// What the leader does about one `Exited` report.
public struct ExitedDecision: Sendable, Equatable {
    /// What to carry out.
    public var actions: [SchedulerAction]
    /// When the worker is acknowledged.
    public var ack: ReportAckTiming
    /// Whether the report was for an attempt that is no longer current.
    public var stale: Bool
}

extension ClusterState {
    /// Judges an `Exited` report (``exited(_:epoch:on:exitCode:reason:lostByInfrastructure:now:)``)
    /// and says when the worker is acknowledged.
    public mutating func exitedReport(
        _ id: JobID, epoch: Epoch, on node: NodeID, exitCode: Int32, reason: String, lostByInfrastructure: Bool, now: UnixMillis
    ) -> ExitedDecision {
        switch exited(id, epoch: epoch, on: node, exitCode: exitCode, reason: reason, lostByInfrastructure: lostByInfrastructure, now: now) {
        case let .accepted(actions):
            return ExitedDecision(actions: actions, ack: .afterWrites, stale: false)
        case .duplicate:
            // The outcome is being written (a final job is forgotten once its write is durable).
            return ExitedDecision(actions: [], ack: .afterFinalWrite, stale: false)
        case .stale:
            guard let job = jobs[id] else {
                // Not live: its last record is durable (a final job is forgotten only then).
                return ExitedDecision(actions: [], ack: .now, stale: true)
            }
            // The write that made the report stale may not be durable yet. A final job's write
            // is awaited where it is; a live job's record is written again, queued behind
            // whatever write of it is still in flight.
            if job.status.state.isFinal {
                return ExitedDecision(actions: [], ack: .afterFinalWrite, stale: true)
            }
            return ExitedDecision(actions: [.persist(id)], ack: .afterWrites, stale: true)
        }
    }
}
