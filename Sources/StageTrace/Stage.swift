/// A point in a job's way from submission to its end where `--trace` takes a timestamp, in the
/// order a job passes them. Each names the process that records it.
public enum Stage: String, Sendable, CaseIterable {
    /// titan-load: the submit request carrying the job left.
    case submitSent = "load.submit-sent"
    /// Leader: the job is placed in memory and its write queued for the committer.
    case placed = "leader.placed"
    /// titan-load: the submit answer arrived.
    case submitAcked = "load.submit-acked"
    /// Leader: the `scheduled` record is durable in etcd.
    case scheduledDurable = "leader.scheduled-durable"
    /// Leader: the `Assign` was handed to the worker's socket.
    case assignWritten = "leader.assign-written"
    /// titan-load: the `scheduled` event arrived.
    case scheduledEvent = "load.scheduled-event"
    /// Worker: the `Assign` arrived.
    case assignReceived = "worker.assign-received"
    /// Worker: the job's process (or container) runs.
    case processStarted = "worker.process-started"
    /// Worker: the `Started` report was handed to the socket.
    case startedWritten = "worker.started-written"
    /// Leader: the `Started` report arrived.
    case startedReceived = "leader.started-received"
    /// Leader: the `running` record is durable in etcd.
    case runningDurable = "leader.running-durable"
    /// titan-load: the `running` event arrived.
    case runningEvent = "load.running-event"
    /// Worker: the job's main process ended.
    case processExited = "worker.process-exited"
    /// Leader: the `Exited` report arrived.
    case exitedReceived = "leader.exited-received"
    /// Leader: the final record is durable in etcd.
    case finalDurable = "leader.final-durable"
    /// titan-load: the final event arrived.
    case finalEvent = "load.final-event"
}
