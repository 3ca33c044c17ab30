import ClusterModel
import Foundation
import TitanClient
import TitanTestSupport
import XCTest

/// The leader is SIGKILLed while `titan-load` submits and follows 200 jobs and while
/// `titan-cli` asks questions: both wait for the next leader by themselves, titan-load reports
/// every job once, and the cluster holds each job of the run exactly once.
final class LeaderLossUnderLoadTests: ClusterTestCase {
    func testTitanLoadAndTitanCLIFollowTheNextLeader() async throws {
        let cluster = self.cluster!
        try cluster.startMaster("m1")
        try await cluster.waitForLeader("m1")
        try cluster.startMaster("m2")
        try cluster.startMaster("m3")
        try cluster.startWorker("w1", cpu: "4", memory: "4Gi")
        try cluster.startWorker("w2", cpu: "4", memory: "4Gi")
        try await cluster.waitForNodes(2)

        let report = cluster.root + "/load.json"
        let flags = ["--etcd", cluster.etcdEndpoint, "--token-file", cluster.tokenFile]
        // 200 jobs of 2 s in batches of 10 at 100 jobs/s: submission spans the fail-over.
        let load = Task {
            try await runProgram(
                cluster.binaries + "/titan-load",
                ["-n", "200", "-t", "2", "--runtime", "exec", "--cpu", "10m", "--memory", "1Mi", "--batch", "10", "--rate", "100", "--json", report] + flags,
                in: cluster.root, timeout: .seconds(120))
        }
        try await Task.sleep(for: .milliseconds(800))
        await cluster.process(named: "master m1")?.kill9()

        // A question asked while no master leads waits for the next leader.
        let list = try await runProgram(cluster.binaries + "/titan-cli", ["nodes"] + flags, in: cluster.root, timeout: .seconds(60))
        XCTAssertEqual(list.exitCode, 0, "titan-cli during the election: \(list.stderr)")
        XCTAssertTrue(list.stdout.contains("w1") && list.stdout.contains("w2"), list.stdout)

        let run = try await withDeadline(.seconds(130), waitingFor: "titan-load to end") { try await load.value }
        XCTAssertEqual(run.exitCode, 0, "titan-load: \(run.stderr)")
        struct Report: Decodable { var jobs: Int; var succeeded: Int; var lost: Int; var failed: Int; var unfinished: Int }
        let figures = try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: report)))
        XCTAssertEqual(figures.jobs, 200, run.stderr)
        XCTAssertEqual(figures.succeeded, 200, run.stderr)
        XCTAssertEqual(figures.lost + figures.failed + figures.unfinished, 0)

        // The cluster's own record: each of the run's 200 names exactly once.
        let jobs = try await cluster.withClient { connection in
            var names: [String] = []
            var after: JobID?
            repeat {
                let page = try await connection.listJobs(after: after, limit: 1000)
                names += page.jobs.compactMap(\.name).filter { $0.hasPrefix("titan-load/") }
                after = page.nextAfter
            } while after != nil
            return names
        }
        XCTAssertEqual(jobs.count, 200, "jobs of the run in the cluster")
        XCTAssertEqual(Set(jobs).count, 200, "no job submitted twice")
        print("ClusterTests: titan-load across the fail-over: \(run.stderr.split(separator: "\n").filter { $0.contains("leader") })")
    }
}
