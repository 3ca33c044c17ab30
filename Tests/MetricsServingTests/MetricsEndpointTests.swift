import HTTPServing
import MetricsServing
import Prometheus
import WorkerCore
import XCTest

@testable import MasterCore

/// The endpoint's answers and what the daemons' metrics look like in the text format, each on
/// a registry of its own (never the global bootstrap).
final class MetricsEndpointTests: XCTestCase {
    private func registryAndFactory() -> (PrometheusCollectorRegistry, PrometheusMetricsFactory) {
        let registry = PrometheusCollectorRegistry()
        let buckets = MasterMetrics.durationBuckets.merging(EtcdRequestMetrics.durationBuckets) { first, _ in first }
        return (registry, MetricsEndpoint.factory(registry: registry, durationBuckets: buckets, valueBuckets: MasterMetrics.valueBuckets))
    }

    private func request(_ method: String, _ path: String) -> HTTPRequest {
        HTTPRequest(method: method, path: path, query: [:], headers: [], body: [])
    }

    func testAStandbyMasterShowsItDoesNotLeadAndEveryReasonAtZero() async throws {
        let (registry, factory) = registryAndFactory()
        let metrics = MasterMetrics(factory: factory)
        let response = await MetricsEndpoint.respond(to: request("GET", "/metrics"), registry: registry) { await metrics.refresh() }
        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(response.headers.contains { $0.0.lowercased() == "content-type" && $0.1 == MetricsEndpoint.contentType })
        let text = try XCTUnwrap(response.text)
        XCTAssertTrue(text.contains("# TYPE titan_master_leader gauge\ntitan_master_leader 0.0\n"), text)
        for reason in PendingReason.allCases {
            XCTAssertTrue(text.contains("titan_scheduler_pending_jobs{reason=\"\(reason.rawValue)\"} 0.0\n"), "\(reason): \(text)")
        }
        XCTAssertTrue(text.contains(#"titan_jobs{state="running"} 0.0"#), text)
        XCTAssertTrue(text.contains("# TYPE titan_scheduler_scheduling_attempt_duration_seconds histogram"), text)
        XCTAssertTrue(text.contains(#"titan_scheduler_scheduling_attempt_duration_seconds_bucket{result="scheduled",le="0.00001"} 0"#), text)
    }

    func testOtherPathsAndMethodsAreRefused() async {
        let (registry, _) = registryAndFactory()
        let notFound = await MetricsEndpoint.respond(to: request("GET", "/"), registry: registry) {}
        XCTAssertEqual(notFound.status, 404)
        let post = await MetricsEndpoint.respond(to: request("POST", "/metrics"), registry: registry) {}
        XCTAssertEqual(post.status, 405)
    }

    func testEtcdRequestsAreTimedByOperation() throws {
        let (registry, factory) = registryAndFactory()
        let observer = EtcdRequestMetrics(factory: factory).observer
        observer("/v3/kv/txn", .milliseconds(3), true)
        observer("/v3/kv/txn", .milliseconds(30), false)
        observer("/v3/something/new", .milliseconds(1), true)
        let text = registry.emitToString()
        XCTAssertTrue(text.contains(#"titan_etcd_request_duration_seconds_count{operation="txn"} 2"#), text)
        XCTAssertTrue(text.contains(#"titan_etcd_request_duration_seconds_bucket{operation="txn",le="0.005"} 1"#), text)
        XCTAssertTrue(text.contains(#"titan_etcd_request_errors_total{operation="txn"} 1"#), text)
        XCTAssertTrue(text.contains(#"titan_etcd_request_duration_seconds_count{operation="other"} 1"#), text)
    }

    func testAWorkersMetricsExistAtZeroBeforeAnyJob() {
        let registry = PrometheusCollectorRegistry()
        _ = WorkerMetrics(factory: MetricsEndpoint.factory(registry: registry, durationBuckets: WorkerMetrics.durationBuckets))
        let text = registry.emitToString()
        XCTAssertTrue(text.contains(#"titan_worker_attempts_running{runtime="exec"} 0.0"#), text)
        XCTAssertTrue(text.contains(#"titan_worker_runtime_errors_total{runtime="docker",kind="start"} 0"#), text)
        XCTAssertTrue(text.contains("titan_worker_session_connected 0.0"), text)
    }

    /// What the job path pays per sample: one histogram record (an uncontended lock) and one
    /// counter add, as the scheduler does per job. Printed; bounded generously (a debug build).
    func testAHistogramSampleAndACounterAddCostWellUnderAMicrosecond() {
        let (_, factory) = registryAndFactory()
        let metrics = MasterMetrics(factory: factory)
        let samples = 200_000
        let start = ContinuousClock.now
        for index in 0..<samples {
            metrics.placementTried(scheduled: true, duration: .microseconds(index % 500))
            metrics.jobFinished(.succeeded)
        }
        let perSample = (ContinuousClock.now - start) / samples
        print("a placement sample and a finished-job count: \(perSample) each")
        XCTAssertLessThan(perSample, .microseconds(5))
    }

    func testMetricsListenIsHostAndPort() throws {
        XCTAssertNil(try MetricsOptions.parse([]).validated())
        let address = try XCTUnwrap(try MetricsOptions.parse(["--metrics-listen", "127.0.0.1:9464"]).validated())
        XCTAssertEqual(address.host, "127.0.0.1")
        XCTAssertEqual(address.port, 9464)
        XCTAssertEqual(try MetricsOptions.parse(["--metrics-listen", "[::1]:9100"]).validated()?.host, "::1")
        for bad in ["localhost", ":9464", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x"] {
            XCTAssertThrowsError(try MetricsOptions.parse(["--metrics-listen", bad]).validated(), bad) { error in
                XCTAssertTrue("\(error)".contains("--metrics-listen '\(bad)'"), "\(error)")
            }
        }
    }
}

extension HTTPResponse {
    /// The body as text, when it is bytes.
    var text: String? {
        guard case let .bytes(bytes) = body else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
