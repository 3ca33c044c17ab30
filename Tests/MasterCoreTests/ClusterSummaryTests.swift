import ClusterModel
import Placement
import XCTest

@testable import MasterCore

/// What the metrics endpoint counts of the leader's view: live jobs by state, one reason per
/// pending job, placement attempts.
final class ClusterSummaryTests: XCTestCase {
    private let now = UnixMillis(1_000)

    private func spec(cpu: Int64 = 500, runtime: Runtime = .exec, selector: [String: String] = [:], attempts: UInt32 = 1) -> JobSpec {
        JobSpec(
            runtime: runtime, command: .argv(["true"]), nodeSelector: selector, resources: Resources(cpuMillis: cpu, memoryBytes: 256 << 20),
            maxAttempts: attempts, retryDelaySeconds: 30)
    }

    private func node(_ id: String, cpu: Int64, runtimes: Set<Runtime> = [.exec]) -> NodeDescriptor {
        NodeDescriptor(id: NodeID(id), capacity: Resources(cpuMillis: cpu, memoryBytes: 2 << 30), runtimes: runtimes)
    }

    func testWithNoNodeEveryJobWaitsForNodes() {
        var state = ClusterState()
        _ = state.submit(id: "j1", spec: spec(), now: now)
        let summary = state.summary()
        XCTAssertEqual(summary.jobs, [.pending: 1])
        XCTAssertEqual(summary.pending, [.noNodes: 1])
        XCTAssertEqual(summary.placements, PlacementCounts(scheduled: 0, unschedulable: 1))
    }

    /// n1 (1 core) rejects a 2-core job for cpu only; n2 (8 cores, docker only) rejects it for
    /// its runtime only; both have one reason, so the tie goes to the smaller id, n1:
    /// insufficient_cpu. A docker job fits n2; a job selecting `zone=b` is rejected by both for
    /// the label (n1 also lacks room, so n2 with one reason is nearest): label_mismatch.
    func testEachPendingJobCountsOnceUnderTheReasonOfItsNearestNode() {
        var state = ClusterState()
        _ = state.nodeRegistered(node("n1", cpu: 1000), leaseID: 1, now: now)
        _ = state.nodeRegistered(node("n2", cpu: 8000, runtimes: [.docker]), leaseID: 2, now: now)
        _ = state.workerConnected("n1", now: now)
        _ = state.workerConnected("n2", now: now)
        _ = state.submit(id: "big", spec: spec(cpu: 2000), now: now)
        _ = state.submit(id: "docker", spec: spec(runtime: .docker), now: now)
        _ = state.submit(id: "zoned", spec: spec(cpu: 1500, runtime: .docker, selector: ["zone": "b"]), now: now)
        let summary = state.summary()
        XCTAssertEqual(summary.jobs, [.pending: 2, .scheduled: 1])
        XCTAssertEqual(summary.pending, [.insufficientCPU: 1, .labelMismatch: 1])
        XCTAssertEqual(summary.placements, PlacementCounts(scheduled: 1, unschedulable: 2))
        XCTAssertEqual(summary.nodes.map(\.id), ["n1", "n2"])
    }

    /// A disconnected node's jobs wait for it; a failed job waiting out its retry delay is
    /// `backoff`, whatever the nodes say.
    func testADisconnectedNodeAndARetryDelayAreTheirOwnReasons() {
        var state = ClusterState()
        _ = state.nodeRegistered(node("n1", cpu: 4000), leaseID: 1, now: now)
        _ = state.submit(id: "waits", spec: spec(), now: now)
        XCTAssertEqual(state.summary().pending, [.disconnected: 1])
        _ = state.workerConnected("n1", now: now)
        XCTAssertEqual(state.status(of: "waits")?.state, .scheduled)
        _ = state.started("waits", epoch: Epoch(1), on: "n1", now: now)
        _ = state.submit(id: "flaky", spec: spec(attempts: 3), now: now)
        _ = state.started("flaky", epoch: Epoch(1), on: "n1", now: now)
        _ = state.exited("flaky", epoch: Epoch(1), on: "n1", exitCode: 1, reason: "", now: now)
        let summary = state.summary()
        XCTAssertEqual(summary.jobs, [.pending: 1, .running: 1])
        XCTAssertEqual(summary.pending, [.backoff: 1])
        XCTAssertEqual(summary.placements.scheduled, 2, "the retry has not been tried yet")
    }
}
