import ClusterModel
import Foundation
import TitanClient
import TitanTestSupport
import XCTest

/// `titan-cli logs --follow` against the real binaries: followers attached before, during and
/// after a job see the same bytes and exit with the job's exit code; a leader fail-over during
/// the follow loses and repeats nothing.
final class LogFollowTests: ClusterTestCase {
    private static func follow(_ cluster: LocalCluster, _ id: JobID, timeout: Duration = .seconds(60)) async throws -> ProgramRun {
        try await runProgram(
            cluster.binaries + "/titan-cli",
            ["logs", id.rawValue, "--follow", "--etcd", cluster.etcdEndpoint, "--token-file", cluster.tokenFile],
            in: cluster.root, timeout: timeout)
    }

    /// Lines 1…n, one every 10 ms, then a line on stderr.
    private static func script(lines n: Int, exit code: Int) -> String {
        "sleep 1; i=1; while [ $i -le \(n) ]; do echo line$i; i=$((i+1)); sleep 0.01; done; echo done >&2; exit \(code)"
    }

    private static func expected(lines n: Int) -> String {
        (1...n).map { "line\($0)\n" }.joined()
    }

    func testFollowersBeforeDuringAndAfterSeeTheSameBytesAndTheExitCode() async throws {
        try await startCluster(workers: [("w1", "2", "2Gi")])
        let cluster = self.cluster!
        let id = try await cluster.withClient { try await $0.submitAll([scriptJob(Self.script(lines: 150, exit: 3))]) }[0]
        async let before = Self.follow(cluster, id)
        try await waitUntil("the job printing", timeout: .seconds(20)) {
            try await cluster.job(id).status.state == .running
        }
        try await Task.sleep(for: .milliseconds(1500))
        async let during = Self.follow(cluster, id)
        let first = try await before
        let second = try await during
        try await waitUntil("the job final", timeout: .seconds(20)) { try await cluster.job(id).status.state.isFinal }
        let after = try await Self.follow(cluster, id)
        for (name, run) in [("before", first), ("during", second), ("after", after)] {
            XCTAssertEqual(run.exitCode, 3, "\(name): the job's exit code; stderr \(run.stderr)")
            XCTAssertEqual(run.stdout, Self.expected(lines: 150), "\(name)")
            XCTAssertEqual(run.stderr, "done\n", "\(name)")
        }
    }

    /// A cancelled job's TERM trap prints after the cancel is durable: its follower still sees
    /// those last words (its `LogEnd` waits for the attempt's exit), and a follower that comes
    /// after the exit ends at once, not after the grace.
    func testAFollowerOfACancelledJobSeesItsLastWords() async throws {
        try await startCluster(workers: [("w1", "2", "2Gi")])
        let cluster = self.cluster!
        let id = try await cluster.withClient {
            try await $0.submitAll([scriptJob("trap 'sleep 0.5; echo bye; exit 143' TERM; echo up; while true; do sleep 0.1; done")])
        }[0]
        async let during = Self.follow(cluster, id)
        try await waitUntil("the job running", timeout: .seconds(20)) { try await cluster.job(id).status.state == .running }
        try await Task.sleep(for: .milliseconds(800))
        _ = try await cluster.withClient { try await $0.cancel(id) }
        let run = try await during
        XCTAssertEqual(run.stdout, "up\nbye\n")
        XCTAssertNotEqual(run.exitCode, 0)
        XCTAssertTrue(run.stderr.contains("was cancelled"), run.stderr)
        let start = ContinuousClock.now
        let later = try await Self.follow(cluster, id)
        XCTAssertEqual(later.stdout, "up\nbye\n")
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5), "a follower after the exit waited for the grace")
    }

    func testAFollowerResumesAcrossALeaderFailOverWithoutLossOrRepeats() async throws {
        let cluster = self.cluster!
        try cluster.startMaster("m1")
        try await cluster.waitForLeader("m1")
        try cluster.startMaster("m2")
        try cluster.startWorker("w1", cpu: "2", memory: "2Gi")
        try await cluster.waitForNodes(1)
        let id = try await cluster.withClient { try await $0.submitAll([scriptJob(Self.script(lines: 500, exit: 0))]) }[0]
        async let follower = Self.follow(cluster, id, timeout: .seconds(90))
        try await waitUntil("the job printing", timeout: .seconds(20)) {
            try await cluster.job(id).status.state == .running
        }
        try await Task.sleep(for: .milliseconds(2000))
        await cluster.process(named: "master m1")?.kill9()
        try await cluster.waitForLeader("m2", timeout: .seconds(15))
        let run = try await follower
        XCTAssertEqual(run.exitCode, 0, "stderr: \(run.stderr)")
        XCTAssertEqual(run.stdout, Self.expected(lines: 500))
        // The job's stderr, and titan-cli's own line saying it waited for the next leader.
        let ownLines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { $0.hasPrefix("titan-cli: ") }
        XCTAssertEqual(run.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("titan-cli: ") }.joined(separator: "\n"), "done\n")
        XCTAssertTrue(ownLines.allSatisfy { $0.contains("leader") }, "\(ownLines)")
        // And the archive agrees.
        let archived = try await cluster.logs(id)
        XCTAssertEqual(archived.stdout, Self.expected(lines: 500))
    }

    func testAWorkerKilledMidStreamLosesNothingArchivedAndTheRerunHasItsOwnLog() async throws {
        // w1 is smaller: binpack places the job there first.
        try await startCluster(workers: [("w1", "1", "1Gi"), ("w2", "2", "2Gi")])
        let cluster = self.cluster!
        let id = try await cluster.withClient {
            try await $0.submitAll([scriptJob(Self.script(lines: 400, exit: 0), maxAttempts: 2)])
        }[0]
        @Sendable func archived(_ attempt: Int) async throws -> String {
            try await runProgram(
                cluster.binaries + "/titan-cli",
                ["logs", id.rawValue, "--attempt", "\(attempt)", "--etcd", cluster.etcdEndpoint, "--token-file", cluster.tokenFile],
                in: cluster.root
            ).stdout
        }
        let before = try await waitFor("50 lines archived", timeout: .seconds(20)) {
            let text = try await archived(1)
            return text.split(separator: "\n").count >= 50 ? text : nil
        }
        let placed = try await cluster.job(id).status.node
        XCTAssertEqual(placed, NodeID("w1"))
        await cluster.process(named: "worker w1")?.kill9()
        try await waitUntil("the job final", timeout: .seconds(40)) { try await cluster.job(id).status.state.isFinal }
        let status = try await cluster.job(id).status
        XCTAssertEqual(status.state, .succeeded)
        XCTAssertEqual(status.attempt, 2)
        let first = try await archived(1)
        XCTAssertTrue(first.hasPrefix(before), "what was archived before the kill is still there")
        XCTAssertTrue(Self.expected(lines: 400).hasPrefix(first), "attempt 1's log is a clean prefix: \(first.suffix(40))")
        let second = try await archived(2)
        XCTAssertEqual(second, Self.expected(lines: 400), "the re-run's log is its own, whole")
    }
}
