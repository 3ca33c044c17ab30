import ClusterModel
import CurlSupport
import Foundation
import TitanClient
import TitanTestSupport
import XCTest

/// `--metrics-listen` on the real binaries: the endpoint's format, bad values, and a real
/// Prometheus server scraping a master and a worker while jobs run.
final class MetricsTests: ClusterTestCase {
    /// `GET /metrics` answers in the text exposition format on the master and the worker;
    /// another path is 404.
    func testMetricsAnswerInTheTextFormatOnMasterAndWorker() async throws {
        let masterMetrics = "127.0.0.1:\(try freeLoopbackPort())"
        let workerMetrics = "127.0.0.1:\(try freeLoopbackPort())"
        try cluster.startMaster("m1", extra: ["--metrics-listen", masterMetrics])
        try await cluster.waitForLeader("m1")
        try cluster.startWorker("w1", cpu: "2", memory: "2Gi", extra: ["--metrics-listen", workerMetrics])
        try await cluster.waitForNodes(1)
        let http = CurlLoop(name: "test.metrics")
        defer { http.shutdown() }

        let master = try await waitFor("the master's /metrics to show it leads with one node", timeout: .seconds(10)) { () -> String? in
            let text = try await Self.get(http, "http://\(masterMetrics)/metrics", expecting: 200)
            return text.contains("titan_master_leader 1.0") && text.contains(#"titan_node_connected{node="w1"} 1.0"#) ? text : nil
        }
        XCTAssertTrue(master.contains("# TYPE titan_master_leader gauge"), master)
        XCTAssertTrue(master.contains("# TYPE titan_scheduler_pending_jobs gauge"), master)
        XCTAssertTrue(master.contains(#"titan_node_capacity{node="w1",resource="cpu",unit="core"} 2.0"#), master)
        XCTAssertTrue(master.contains("# TYPE titan_etcd_request_duration_seconds histogram"), master)
        for line in master.split(separator: "\n") where !line.hasPrefix("#") {
            XCTAssertNotNil(Double(line.split(separator: " ").last ?? ""), "not `name{labels} value`: \(line)")
        }

        let worker = try await waitFor("the worker's /metrics to show its session", timeout: .seconds(10)) { () -> String? in
            let text = try await Self.get(http, "http://\(workerMetrics)/metrics", expecting: 200)
            return text.contains("titan_worker_session_connected 1.0") ? text : nil
        }
        XCTAssertTrue(worker.contains("# TYPE titan_worker_attempts_started_total counter"), worker)
        _ = try await Self.get(http, "http://\(workerMetrics)/nothing-here", expecting: 404)
    }

    /// A malformed `--metrics-listen` is a usage error (exit 64) in one sentence naming it; an
    /// address already taken is a failure (exit 1) in one sentence.
    func testABadMetricsListenIsOneSentenceAndANonZeroExit() async throws {
        for program in ["titan-master", "titan-worker"] {
            let run = try await runProgram(
                cluster.binaries + "/" + program,
                ["--etcd", cluster.etcdEndpoint, "--token-file", cluster.tokenFile, "--metrics-listen", "localhost"],
                in: cluster.root)
            XCTAssertEqual(run.exitCode, 64, "\(program) stderr: \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("--metrics-listen 'localhost'"), "\(program) stderr: \(run.stderr)")
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, "one sentence; \(program) stderr: \(run.stderr)")
        }
        let taken = try SilentListener()
        let run = try await runProgram(
            cluster.binaries + "/titan-master",
            ["--etcd", cluster.etcdEndpoint, "--token-file", cluster.tokenFile, "--listen", "127.0.0.1:\(try freeLoopbackPort())",
             "--metrics-listen", "127.0.0.1:\(taken.port)"],
            in: cluster.root)
        XCTAssertEqual(run.exitCode, 1, "stderr: \(run.stderr)")
        XCTAssertTrue(run.stderr.contains("--metrics-listen 127.0.0.1:\(taken.port) cannot be listened on"), "stderr: \(run.stderr)")
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, "one sentence; stderr: \(run.stderr)")
    }

    /// A real Prometheus scrapes the master and two workers every second while 30 exec jobs
    /// run; its query API then reports what happened: every job finished successfully, the
    /// master leads, the workers started the attempts, and the histograms have samples.
    func testPrometheusScrapesMasterAndWorkers() async throws {
        let targets = try (0..<3).map { _ in "127.0.0.1:\(try freeLoopbackPort())" }
        try cluster.startMaster("m1", extra: ["--metrics-listen", targets[0]])
        try await cluster.waitForLeader("m1")
        try cluster.startWorker("w1", cpu: "2", memory: "2Gi", extra: ["--metrics-listen", targets[1]])
        try cluster.startWorker("w2", cpu: "2", memory: "2Gi", extra: ["--metrics-listen", targets[2]])
        try await cluster.waitForNodes(2)
        let prometheus = try await PrometheusServer.start(scraping: targets, root: cluster.root)
        do {
            try await prometheus.waitForValue(of: "sum(up)", "all three targets up", accept: { $0 == 3 })
            let count = 30
            let cluster = self.cluster!
            let ids = try await cluster.withClient { try await $0.submitAll(Array(repeating: execJob(["sh", "-c", "echo hi; sleep 0.2"]), count: count)) }
            try await waitUntil("\(count) jobs to succeed", timeout: .seconds(60)) {
                let states = try await cluster.withClient { try await $0.allJobs() }
                return ids.allSatisfy { states[$0]?.state == .succeeded }
            }
            let total = Double(count)
            try await prometheus.waitForValue(of: #"sum(titan_jobs_finished_total{state="succeeded"})"#, "\(count) jobs succeeded", accept: { $0 == total })
            try await prometheus.waitForValue(of: "sum(titan_jobs_submitted_total)", "\(count) jobs submitted", accept: { $0 == total })
            try await prometheus.waitForValue(of: "titan_master_leader", "the master leads", accept: { $0 == 1 })
            try await prometheus.waitForValue(of: "sum(titan_worker_attempts_started_total)", "the workers' started attempts", accept: { $0 == total })
            try await prometheus.waitForValue(of: #"sum(titan_worker_attempts_finished_total{result="succeeded"})"#, "the workers' succeeded attempts", accept: { $0 == total })
            try await prometheus.waitForValue(of: "count(titan_worker_attempts_started_total > 0)", "both workers ran attempts", accept: { $0 >= 1 })
            try await prometheus.waitForValue(of: #"sum(titan_scheduler_schedule_attempts_total{result="scheduled"})"#, "placements", accept: { $0 >= total })
            try await prometheus.waitForValue(of: "sum(titan_scheduler_scheduling_attempt_duration_seconds_count)", "timed placements", accept: { $0 == total })
            try await prometheus.waitForValue(of: "titan_scheduler_dispatch_duration_seconds_count", "timed dispatches", accept: { $0 == total })
            try await prometheus.waitForValue(of: "titan_store_commit_batch_size_count", "group commits", accept: { $0 > 0 })
            try await prometheus.waitForValue(of: #"sum(titan_etcd_request_duration_seconds_count{operation="txn"})"#, "etcd txns timed", accept: { $0 > 0 })
            try await prometheus.waitForValue(of: "sum(titan_worker_start_duration_seconds_count)", "timed starts", accept: { $0 == total })
            try await prometheus.waitForValue(of: #"sum(titan_worker_log_read_bytes_total{stream="stdout"})"#, "the jobs' output read", accept: { $0 == 3 * total })
            try await prometheus.waitForValue(of: "titan_log_received_chunks_total", "log chunks received", accept: { $0 >= total })
            try await prometheus.waitForValue(of: "sum(titan_jobs)", "no live job left", accept: { $0 == 0 })
            try await prometheus.waitForValue(of: "sum(titan_worker_attempts_running)", "no attempt running", accept: { $0 == 0 })
            try await prometheus.waitForValue(of: #"sum(titan_node_capacity{resource="cpu"})"#, "4 cores declared", accept: { $0 == 4 })
        } catch {
            print("=== prometheus log ===\n\(prometheus.process.logTail())")
            await prometheus.stop()
            throw error
        }
        await prometheus.stop()
    }

    private static func get(_ http: CurlLoop, _ url: String, expecting status: Int) async throws -> String {
        let response = try await http.perform(CurlRequest(method: "GET", url: url, timeoutMilliseconds: 5000))
        let text = String(decoding: response.body, as: UTF8.self)
        guard response.status == status else { throw HarnessFailure("GET \(url) answered \(response.status), not \(status): \(text)") }
        if status == 200, response.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") != true {
            throw HarnessFailure("GET \(url) answered with Content-Type \(response.header("Content-Type") ?? "none")")
        }
        return text
    }
}
