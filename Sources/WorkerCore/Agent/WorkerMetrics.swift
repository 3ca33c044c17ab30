import ClusterModel
import Metrics

/// The worker's metrics, created once per process through swift-metrics (the executable
/// bootstraps the backend; without one every handle is a no-op). Labels are bounded: runtime,
/// result, kind, stream — never a job id. A counter is one atomic add; the start histogram
/// takes one uncontended lock per attempt.
public final class WorkerMetrics: Sendable {
    /// Histogram buckets per metric name, for the backend.
    public static let durationBuckets: [String: [Duration]] = [
        Names.startDuration: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000].map { Duration.milliseconds($0) }
    ]

    /// The metric names this type creates.
    public enum Names {
        /// Attempts whose process or container runs, by runtime.
        public static let attemptsRunning = "titan_worker_attempts_running"
        /// Attempts started, by runtime.
        public static let attemptsStarted = "titan_worker_attempts_started_total"
        /// Attempts ended, by runtime and result (`succeeded`, `failed`, `killed`, `infrastructure`).
        public static let attemptsFinished = "titan_worker_attempts_finished_total"
        /// Assignment taken → the job's process or container runs, by runtime.
        public static let startDuration = "titan_worker_start_duration_seconds"
        /// Runtime failures, by runtime and kind (`start`, `supervise`, `release`, `unsupported`).
        public static let runtimeErrors = "titan_worker_runtime_errors_total"
        /// Output bytes read from jobs, by stream.
        public static let logBytesRead = "titan_worker_log_read_bytes_total"
        /// Log chunks written to the leader (replays after a reconnect included).
        public static let logChunksSent = "titan_worker_log_sent_chunks_total"
        /// Compressed bytes of those chunks.
        public static let logBytesSent = "titan_worker_log_sent_bytes_total"
        /// 1 while the worker has a session with the leader.
        public static let sessionConnected = "titan_worker_session_connected"
    }

    /// A runtime failure's kind: the `kind` label of ``Names/runtimeErrors``.
    public enum ErrorKind: String, Sendable, CaseIterable {
        /// The runtime failed before the job's process ran.
        case start
        /// The runtime failed while the job ran (it lost track of it).
        case supervise
        /// What the job left could not be removed.
        case release
        /// The job asked for a runtime this node does not offer.
        case unsupported
    }

    /// How an attempt ended: the `result` label of ``Names/attemptsFinished``.
    enum Result: String, CaseIterable {
        case succeeded, failed, killed, infrastructure
    }

    private struct PerRuntime: Sendable {
        let running: Meter
        let started: Counter
        let startDuration: Metrics.Timer
        let finished: [String: Counter]
        let errors: [String: Counter]
    }

    private let runtimes: [Runtime: PerRuntime]
    private let bytesRead: [LogStreamKind: Counter]
    let chunksSent: Counter
    let bytesSent: Counter
    let sessionConnected: Gauge

    /// Creates the handles through `factory` (by default the bootstrapped one).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        var runtimes: [Runtime: PerRuntime] = [:]
        for runtime in Runtime.allCases {
            let label = ("runtime", runtime.rawValue)
            let running = Meter(label: Names.attemptsRunning, dimensions: [label], factory: factory)
            running.set(0)
            runtimes[runtime] = PerRuntime(
                running: running,
                started: Counter(label: Names.attemptsStarted, dimensions: [label], factory: factory),
                startDuration: Metrics.Timer(label: Names.startDuration, dimensions: [label], factory: factory),
                finished: Dictionary(uniqueKeysWithValues: Result.allCases.map {
                    ($0.rawValue, Counter(label: Names.attemptsFinished, dimensions: [label, ("result", $0.rawValue)], factory: factory))
                }),
                errors: Dictionary(uniqueKeysWithValues: ErrorKind.allCases.map {
                    ($0.rawValue, Counter(label: Names.runtimeErrors, dimensions: [label, ("kind", $0.rawValue)], factory: factory))
                })
            )
        }
        self.runtimes = runtimes
        bytesRead = Dictionary(uniqueKeysWithValues: LogStreamKind.allCases.map {
            ($0, Counter(label: Names.logBytesRead, dimensions: [("stream", $0.rawValue)], factory: factory))
        })
        chunksSent = Counter(label: Names.logChunksSent, factory: factory)
        bytesSent = Counter(label: Names.logBytesSent, factory: factory)
        sessionConnected = Gauge(label: Names.sessionConnected, factory: factory)
        sessionConnected.record(0)
    }

    /// An attempt's process runs, `duration` after it was taken from the assignment.
    func started(_ runtime: Runtime, after duration: Duration) {
        guard let metrics = runtimes[runtime] else { return }
        metrics.started.increment()
        metrics.running.increment()
        metrics.startDuration.record(duration: duration)
    }

    /// An attempt ended; `wasRunning` when ``started(_:after:)`` was called for it.
    func ended(_ runtime: Runtime, status: ExitStatus, wasRunning: Bool) {
        guard let metrics = runtimes[runtime] else { return }
        if wasRunning { metrics.running.decrement() }
        let result: Result =
            status.lostByInfrastructure ? .infrastructure
            : status.succeeded ? .succeeded
            : status.reason == "cancelled" || status.reason.hasPrefix("timed out") ? .killed : .failed
        metrics.finished[result.rawValue]?.increment()
    }

    /// The runtime failed in the way `kind` names.
    func runtimeError(_ runtime: Runtime, _ kind: ErrorKind) {
        runtimes[runtime]?.errors[kind.rawValue]?.increment()
    }

    /// `count` bytes of a job's output were read from `stream`.
    func read(_ count: Int, from stream: LogStreamKind) {
        bytesRead[stream]?.increment(by: count)
    }
}
