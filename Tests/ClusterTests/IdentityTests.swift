import ClusterModel
import Foundation
import TitanClient
import TitanTestSupport
import XCTest

/// A node id is one worker: a second `titan-worker` started with an id that is live is refused
/// with a sentence and a non-zero exit, and the first keeps its lease and its work.
final class IdentityTests: ClusterTestCase {
    func testASecondWorkerWithALiveNodeIdIsRefusedAndTheFirstKeepsServing() async throws {
        try await startCluster(workers: [("w1", "2", "2Gi")])
        let cluster = self.cluster!
        let record = try await cluster.etcd.get(Keys.node("w1"))
        let lease = try XCTUnwrap(record).lease

        // The same work directory: refused at once by its lock.
        let sameDir = try cluster.startWorker("w1", cpu: "2", memory: "2Gi", name: "worker w1 again")
        try await waitUntil("the second worker with w1's work directory to exit", timeout: .seconds(10)) { !sameDir.isRunning }
        XCTAssertTrue(sameDir.logTail().contains("already runs with the work directory"), sameDir.logTail())
        XCTAssertNotEqual(sameDir.exitCode, 0)

        // Another work directory (another host, say): refused once the lease is seen renewed.
        let elsewhere = try cluster.startWorker("w1", cpu: "2", memory: "2Gi", workDir: cluster.root + "/elsewhere", name: "worker w1 elsewhere")
        try await waitUntil("the worker with a live node id to exit", timeout: .seconds(Int64(cluster.leaseTTL) + 10)) { !elsewhere.isRunning }
        let log = elsewhere.logTail()
        XCTAssertTrue(log.contains("node id w1 is already registered by a live worker"), log)
        XCTAssertEqual(log.components(separatedBy: "\n").filter { $0.hasPrefix("titan-worker: ") }.count, 1, "one sentence: \(log)")
        XCTAssertNotEqual(elsewhere.exitCode, 0)

        // The first worker never lost its lease and still runs jobs.
        let after = try await cluster.etcd.get(Keys.node("w1"))
        XCTAssertEqual(after?.lease, lease, "the two never shared or replaced the lease")
        let id = try await cluster.withClient { try await $0.submitAll([execJob(["true"])]) }[0]
        try await waitUntil("the job final", timeout: .seconds(20)) { try await cluster.job(id).status.state.isFinal }
        let status = try await cluster.job(id).status
        XCTAssertEqual(status.state, .succeeded)
        XCTAssertEqual(status.attempt, 1)
    }
}
