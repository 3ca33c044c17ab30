import ClusterModel
import Foundation
import Synchronization
import TitanClient
import TitanTestSupport
import XCTest

/// The leader dies right after acknowledging a batch: the standby takes over, the workers find
/// it, and every acknowledged job still runs to its end (nothing acknowledged is
/// lost).
final class LeaderFailoverTests: ClusterTestCase {
    func testStandbyTakesOverAndNoAcknowledgedJobIsLost() async throws {
        let cluster = self.cluster!
        try cluster.startMaster("m1")
        try await cluster.waitForLeader("m1")
        try cluster.startMaster("m2")
        // Room for 15 of the 20 jobs (100m each): 5 are still pending when the leader dies, so
        // the new leader must also restore the queue and place them once capacity frees up.
        try cluster.startWorker("w1", cpu: "1", memory: "2Gi")
        try cluster.startWorker("w2", cpu: "500m", memory: "2Gi")
        try await cluster.waitForNodes(2)

        let (ids, states) = try await cluster.withClient { connection in
            let ids = try await connection.submitAll(Array(repeating: execJob(["sleep", "3"]), count: 20))
            return (ids, try await connection.allJobs())
        }
        XCTAssertEqual(ids.count, 20)
        XCTAssertEqual(Set(ids).count, 20, "job ids must be unique")
        XCTAssertEqual(ids.filter { states[$0]?.state == .pending }.count, 5, "states at the fail-over: \(states)")
        let killedAt = ContinuousClock.now
        await cluster.process(named: "master m1")?.kill9()

        try await cluster.waitForLeader("m2", timeout: .seconds(15))
        print("ClusterTests: m2 leads \(ContinuousClock.now - killedAt) after m1 was killed (lease TTL \(cluster.leaseTTL) s)")

        let seen = Mutex<[JobID: JobStatus]>([:])
        do {
            try await waitUntil("all 20 acknowledged jobs succeeded through the new leader", timeout: .seconds(30)) {
                guard let jobs = try? await cluster.withClient({ try await $0.allJobs() }) else { return false }
                seen.withLock { $0 = jobs }
                return ids.allSatisfy { jobs[$0]?.state == .succeeded }
            }
        } catch {
            let last = seen.withLock { $0 }
            let summary = ids.map { "\($0): \(last[$0].map { "\($0.state) attempt \($0.attempt) on \($0.node?.rawValue ?? "-")" } ?? "missing")" }
            XCTFail("\(error)\n" + summary.joined(separator: "\n"))
            return
        }
        print("ClusterTests: all 20 jobs succeeded \(ContinuousClock.now - killedAt) after m1 was killed")
        let last = seen.withLock { $0 }
        XCTAssertEqual(Set(last.keys), Set(ids), "the new leader lists exactly the acknowledged jobs")
        for id in ids {
            // The workers kept running through the fail-over, so no job needed a second attempt.
            XCTAssertEqual(last[id]?.attempt, 1, "job \(id) ran again after the fail-over")
            XCTAssertEqual(last[id]?.exitCode, 0, "job \(id)")
        }
        let nodes = try await cluster.withClient { try await $0.nodes() }
        XCTAssertEqual(nodes.map(\.id.rawValue), ["w1", "w2"])
        XCTAssertTrue(nodes.allSatisfy(\.connected), "workers reconnect to the new leader: \(nodes)")
    }
}
