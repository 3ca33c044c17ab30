import Foundation
import TitanTestSupport
import XCTest

/// `--trace`: the leader, a worker and titan-load each write a timestamp per job and stage, and
/// titan-load joins the three files into spans, one line each, every job counted in each. The
/// same run writes `--report` and shows its progress as plain lines (stderr is not a terminal).
final class TraceTests: ClusterTestCase {
    func testTitanLoadJoinsTheDaemonsTracesIntoPerStageSpans() async throws {
        let cluster = self.cluster!
        let traces = cluster.root + "/trace"
        try FileManager.default.createDirectory(atPath: traces, withIntermediateDirectories: true)
        try cluster.startMaster("m1", extra: ["--trace-file", traces + "/master.trace"])
        try await cluster.waitForLeader("m1")
        try cluster.startWorker("w1", cpu: "4", memory: "4Gi", extra: ["--trace-file", traces + "/w1.trace"])
        try await cluster.waitForNodes(1)

        let run = try await runProgram(
            cluster.binaries + "/titan-load",
            ["-n", "40", "-t", "0", "--runtime", "exec", "--cpu", "10m", "--memory", "1Mi", "--batch", "8", "--trace", traces, "--report", cluster.root + "/report",
             "--etcd", cluster.etcdEndpoint, "--token-file", cluster.tokenFile],
            in: cluster.root, timeout: .seconds(60))
        XCTAssertEqual(run.exitCode, 0, "titan-load: \(run.stderr)")
        // Its subscription closing at the end of the run is not a lost leader.
        XCTAssertFalse(run.stderr.contains("no leader"), run.stderr)
        // Not a terminal: plain progress lines, no bar redrawn in place, and the last one final.
        XCTAssertFalse(run.stderr.contains("\r"), run.stderr)
        XCTAssertTrue(run.stderr.contains("titan-load: submitted 40/40  running-or-done 40  final 40\n"), run.stderr)
        // --report: the JSON report and a page with its three plots.
        let page = try String(contentsOfFile: cluster.root + "/report/report.html", encoding: .utf8)
        XCTAssertEqual(page.components(separatedBy: "<svg ").count - 1, 3, page)
        XCTAssertTrue(page.contains("40 jobs accepted"), page)
        let figures = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cluster.root + "/report/report.json"))) as? [String: Any]
        XCTAssertEqual(figures?["succeeded"] as? Int, 40)
        let lines = run.stdout.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.hasPrefix("trace of 40 jobs") }, run.stdout)
        // Every span of a job's way from submission to its final event, each over all 40 jobs.
        for span in [
            "submit → placed on the leader", "placed → scheduled durable (commit)", "Assign written → received by the worker",
            "Assign received → process started", "Started received → running durable (commit)",
            "DISPATCH, titan-load: scheduled event → running event", "Exited received → final durable (commit)",
            "final durable → event at titan-load",
        ] {
            let line = lines.first { $0.hasPrefix(span) }
            let count = line.flatMap { $0.dropFirst(span.count).split(separator: " ").first }.flatMap { Int($0) }
            XCTAssertEqual(count, 40, "span \(span): \(line.map(String.init) ?? "missing")\n\(run.stdout)")
        }
        let worker = try String(contentsOfFile: traces + "/w1.trace", encoding: .utf8)
        XCTAssertEqual(worker.split(separator: "\n").filter { $0.contains(" worker.process-started ") }.count, 40, worker)
    }
}
