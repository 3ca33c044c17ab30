import ClusterModel
import Foundation
import TitanClient
import TitanTestSupport
import XCTest

/// A job that fails on its own is retried after a growing delay, its attempts are counted
/// against `maxAttempts` only, and `titan-cli status` shows every attempt and the wait.
final class RetryTests: ClusterTestCase {
    func testAFailingJobIsRetriedAfterAGrowingDelayAndStatusShowsEveryAttempt() async throws {
        try await startCluster(workers: [("w1", "2", "2Gi")])
        let cluster = self.cluster!
        let markers = cluster.root + "/markers"
        try FileManager.default.createDirectory(atPath: markers, withIntermediateDirectories: true)
        var spec = scriptJob("echo $TITAN_ATTEMPT >> \(markers)/$TITAN_JOB_ID; exit 7", maxAttempts: 3)
        spec.retryDelaySeconds = 2
        spec.retryDelayMaxSeconds = 3
        let job = spec
        let id = try await cluster.withClient { try await $0.submitAll([job]) }[0]

        // After the first failure the job waits, and says so.
        let waiting = try await waitFor("the job waiting to retry", timeout: .seconds(20)) { () -> JobStatus? in
            let status = try await cluster.job(id).status
            return status.state == .pending && status.retryAt != nil ? status : nil
        }
        XCTAssertEqual(waiting.failures, 1)
        XCTAssertEqual(waiting.exitCode, 7)
        let shown = try await runProgram(
            cluster.binaries + "/titan-cli", ["status", id.rawValue, "--etcd", cluster.etcdEndpoint, "--token-file", cluster.tokenFile],
            in: cluster.root)
        XCTAssertEqual(shown.exitCode, 0, shown.stderr)
        XCTAssertTrue(shown.stdout.contains("retrying in") && shown.stdout.contains("after exit 7"), shown.stdout)
        XCTAssertTrue(shown.stdout.contains("1 of 3 allowed"), shown.stdout)

        try await waitUntil("the job final", timeout: .seconds(30)) { try await cluster.job(id).status.state.isFinal }
        let details = try await cluster.job(id)
        XCTAssertEqual(details.status.state, .failed)
        XCTAssertEqual(details.status.failures, 3)
        XCTAssertEqual(details.status.nodeLosses, 0)
        XCTAssertEqual(details.attempts.map(\.number), [1, 2, 3])
        XCTAssertEqual(details.attempts.map(\.outcome), [.failed, .failed, .failed])
        XCTAssertEqual(details.attempts.map(\.exitCode), [7, 7, 7])
        // The job's own record of its runs: three, one per attempt.
        let runs = try String(contentsOfFile: "\(markers)/\(id.rawValue)", encoding: .utf8)
        XCTAssertEqual(runs, "1\n2\n3\n")
        // The delays: 2 s then 3 s (the cap), each ±20 %, between one attempt's end and the next start.
        let gaps = zip(details.attempts, details.attempts.dropFirst()).map { previous, next in
            Int64(next.startedAt?.rawValue ?? 0) - Int64(previous.endedAt.rawValue)
        }
        XCTAssertEqual(gaps.count, 2)
        XCTAssertGreaterThanOrEqual(gaps[0], 1_600, "\(gaps)")
        XCTAssertGreaterThanOrEqual(gaps[1], 2_400, "the delay grows: \(gaps)")

        let final = try await runProgram(
            cluster.binaries + "/titan-cli", ["status", id.rawValue, "--etcd", cluster.etcdEndpoint, "--token-file", cluster.tokenFile],
            in: cluster.root)
        let attemptRows = final.stdout.split(separator: "\n").filter { $0.contains("failed") && $0.contains("w1") }
        XCTAssertEqual(attemptRows.count, 3, "status lists every attempt: \(final.stdout)")
    }
}
