import ClusterModel
import Metrics
import Synchronization

/// The master's metrics, created once per process through swift-metrics (the executable
/// bootstraps the backend; without one every handle is a no-op). Hot paths only touch handles
/// made here: a counter is one atomic add, a histogram one uncontended lock (the scheduler
/// actor is its only writer). What can be counted at scrape time is (``refresh()``).
///
/// Names follow Prometheus conventions and echo kube-scheduler where the meaning is the same;
/// labels are bounded (states, reasons, results, node ids — never a job id).
public final class MasterMetrics: Sendable {
    /// Histogram buckets per metric name, for the backend (the defaults suit none of these).
    public static let durationBuckets: [String: [Duration]] = [
        Names.schedulingAttemptDuration: [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 100_000].map { Duration.microseconds($0) },
        Names.dispatchDuration: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000].map { Duration.milliseconds($0) },
    ]
    /// Value-histogram buckets per metric name.
    public static let valueBuckets: [String: [Double]] = [
        Names.commitBatchSize: [1, 2, 4, 8, 16, 32, 64, 96, 127],
    ]

    /// The metric names this type creates.
    public enum Names {
        /// 1 while this master leads, else 0.
        public static let leader = "titan_master_leader"
        /// The create revision of the leader key of the term this master leads (0 when it does not).
        public static let term = "titan_master_term"
        /// Terms this process has led.
        public static let termsTotal = "titan_master_terms_total"
        /// Live jobs by state.
        public static let jobs = "titan_jobs"
        /// Jobs accepted at submission.
        public static let submitted = "titan_jobs_submitted_total"
        /// Jobs whose final record is durable, by final state.
        public static let finished = "titan_jobs_finished_total"
        /// Placement attempts by result.
        public static let scheduleAttempts = "titan_scheduler_schedule_attempts_total"
        /// Time to place one submitted job, by result.
        public static let schedulingAttemptDuration = "titan_scheduler_scheduling_attempt_duration_seconds"
        /// Placement → `Assign` queued on the worker's connection (after the durable write).
        public static let dispatchDuration = "titan_scheduler_dispatch_duration_seconds"
        /// Pending jobs by the reason each waits.
        public static let pendingJobs = "titan_scheduler_pending_jobs"
        /// What a node declares, by node, resource and unit.
        public static let nodeCapacity = "titan_node_capacity"
        /// What jobs hold on a node, by node, resource and unit.
        public static let nodeAllocated = "titan_node_allocated"
        /// Jobs holding capacity on a node.
        public static let nodeJobs = "titan_node_jobs"
        /// 1 while a node's worker has a session with the leader.
        public static let nodeConnected = "titan_node_connected"
        /// Writes per group-committed txn.
        public static let commitBatchSize = "titan_store_commit_batch_size"
        /// Log chunks taken from workers (new, not resends).
        public static let logChunksReceived = "titan_log_received_chunks_total"
        /// Compressed bytes of those chunks.
        public static let logBytesReceived = "titan_log_received_bytes_total"
        /// Compressed bytes written to the archive.
        public static let logBytesArchived = "titan_log_archived_bytes_total"
        /// Chunks sent to `logs --follow` clients.
        public static let logChunksForwarded = "titan_log_forwarded_chunks_total"
        /// Compressed bytes of those chunks.
        public static let logBytesForwarded = "titan_log_forwarded_bytes_total"
        /// Chunks received but not yet durable in the archive.
        public static let archiveLagChunks = "titan_log_archive_lag_chunks"
        /// Compressed bytes received but not yet durable in the archive.
        public static let archiveLagBytes = "titan_log_archive_lag_bytes"
        /// `logs --follow` clients.
        public static let followers = "titan_log_followers"
    }

    let factory: any MetricsFactory
    let leader: Gauge
    let term: Gauge
    let termsLed: Counter
    let submitted: Counter
    /// By final state (`JobState.isFinal`).
    let finished: [JobState: Counter]
    let scheduleAttempts: (scheduled: Counter, unschedulable: Counter)
    let placementDuration: (scheduled: Metrics.Timer, unschedulable: Metrics.Timer)
    let dispatch: Metrics.Timer
    let commitBatchSize: Recorder
    let logChunksReceived: Counter
    let logBytesReceived: Counter
    let logBytesArchived: Counter
    let logChunksForwarded: Counter
    let logBytesForwarded: Counter
    /// What the scrape reads from and what it exported last (``refresh()``).
    let scrape = Mutex(ScrapeState())

    /// Creates the handles through `factory` (by default the bootstrapped one).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        leader = Gauge(label: Names.leader, factory: factory)
        term = Gauge(label: Names.term, factory: factory)
        termsLed = Counter(label: Names.termsTotal, factory: factory)
        submitted = Counter(label: Names.submitted, factory: factory)
        var finished: [JobState: Counter] = [:]
        for state in JobState.allCases where state.isFinal {
            finished[state] = Counter(label: Names.finished, dimensions: [("state", state.rawValue)], factory: factory)
        }
        self.finished = finished
        scheduleAttempts = (
            Counter(label: Names.scheduleAttempts, dimensions: [("result", "scheduled")], factory: factory),
            Counter(label: Names.scheduleAttempts, dimensions: [("result", "unschedulable")], factory: factory)
        )
        placementDuration = (
            Metrics.Timer(label: Names.schedulingAttemptDuration, dimensions: [("result", "scheduled")], factory: factory),
            Metrics.Timer(label: Names.schedulingAttemptDuration, dimensions: [("result", "unschedulable")], factory: factory)
        )
        dispatch = Metrics.Timer(label: Names.dispatchDuration, factory: factory)
        commitBatchSize = Recorder(label: Names.commitBatchSize, aggregate: true, factory: factory)
        logChunksReceived = Counter(label: Names.logChunksReceived, factory: factory)
        logBytesReceived = Counter(label: Names.logBytesReceived, factory: factory)
        logBytesArchived = Counter(label: Names.logBytesArchived, factory: factory)
        logChunksForwarded = Counter(label: Names.logChunksForwarded, factory: factory)
        logBytesForwarded = Counter(label: Names.logBytesForwarded, factory: factory)
        leader.record(0)
        term.record(0)
        for state in JobState.allCases where !state.isFinal {
            Gauge(label: Names.jobs, dimensions: [("state", state.rawValue)], factory: factory).record(0)
        }
    }

    // MARK: - Events on the job path

    /// A job reached its final state durably.
    func jobFinished(_ state: JobState) {
        finished[state]?.increment()
    }

    /// One submitted job was tried against the nodes, taking `duration`.
    func placementTried(scheduled: Bool, duration: Duration) {
        (scheduled ? placementDuration.scheduled : placementDuration.unschedulable).record(duration: duration)
    }
}
