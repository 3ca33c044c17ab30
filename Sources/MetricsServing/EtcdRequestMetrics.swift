import EtcdClient
import Metrics

/// `titan_etcd_request_duration_seconds{operation}` and `titan_etcd_request_errors_total{operation}`
/// (the names of the Kubernetes API server's etcd metrics), fed by an ``EtcdClient`` observer:
/// every unary request of a daemon, timed where the client sends it. Watches are streams and
/// are not timed.
public struct EtcdRequestMetrics: Sendable {
    /// The histogram's name.
    public static let durationName = "titan_etcd_request_duration_seconds"
    /// The error counter's name.
    public static let errorsName = "titan_etcd_request_errors_total"
    /// Histogram buckets, for the backend.
    public static let durationBuckets: [String: [Duration]] = [
        durationName: [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000].map { Duration.milliseconds($0) }
    ]

    /// Gateway paths and their `operation` label; any other path is `other`.
    static let operations: [String: String] = [
        "/v3/kv/range": "range", "/v3/kv/put": "put", "/v3/kv/deleterange": "delete", "/v3/kv/txn": "txn",
        "/v3/kv/compaction": "compaction", "/v3/lease/grant": "lease_grant", "/v3/lease/revoke": "lease_revoke",
        "/v3/lease/timetolive": "lease_timetolive", "/v3/lease/keepalive": "lease_keepalive",
        "/v3/maintenance/status": "status",
    ]

    private let durations: [String: Metrics.Timer]
    private let errors: [String: Counter]

    /// Creates the handles through `factory` (by default the bootstrapped one).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        let labels = Set(Self.operations.values).union(["other"])
        durations = Dictionary(uniqueKeysWithValues: labels.map {
            ($0, Metrics.Timer(label: Self.durationName, dimensions: [("operation", $0)], factory: factory))
        })
        errors = Dictionary(uniqueKeysWithValues: labels.map {
            ($0, Counter(label: Self.errorsName, dimensions: [("operation", $0)], factory: factory))
        })
    }

    /// The observer to give an ``EtcdClient``: one dictionary look-up and one histogram record
    /// per request.
    public var observer: EtcdClient.RequestObserver {
        { path, duration, succeeded in
            let operation = Self.operations[path] ?? "other"
            durations[operation]?.record(duration: duration)
            if !succeeded { errors[operation]?.increment() }
        }
    }
}
