import Foundation
import TitanTestSupport
import XCTest

/// SIGTERM to the leader hands leadership over at once: it revokes its lease on the way out, so a
/// standby leads within a second or two, not after the lease TTL (30 s here).
final class LeaderHandOverTests: ClusterTestCase {
    override var leaseTTL: Int { 30 }

    func testASigtermedLeaderHandsOverFarSoonerThanItsTTL() async throws {
        let cluster = self.cluster!
        try cluster.startMaster("m1")
        try await cluster.waitForLeader("m1")
        try cluster.startMaster("m2")
        try cluster.startWorker("w1", cpu: "2", memory: "2Gi")
        try await cluster.waitForNodes(1)
        // m2 is up as a standby (it refuses with the leader's address) before m1 goes.
        try await waitUntil("m2 listening", timeout: .seconds(10)) { cluster.port(ofMaster: "m2") != nil }

        let leader = try XCTUnwrap(cluster.process(named: "master m1"))
        let start = ContinuousClock.now
        leader.send(SIGTERM)
        _ = try await cluster.waitForLeader("m2", timeout: .seconds(25))
        let handOver = ContinuousClock.now - start
        let exited = await leader.waitForExit(timeout: .seconds(10))
        XCTAssertTrue(exited, "the old leader exits on SIGTERM")
        XCTAssertLessThan(handOver, .seconds(5), "hand-over took \(handOver); the TTL is \(leaseTTL) s")
        // The new leader serves: the worker is there.
        let nodes = try await cluster.withClient { try await $0.nodes() }
        XCTAssertEqual(nodes.map(\.descriptor.id.rawValue), ["w1"])
        print("ClusterTests: leader hand-over on SIGTERM took \(handOver) (lease TTL \(leaseTTL) s)")
    }
}
