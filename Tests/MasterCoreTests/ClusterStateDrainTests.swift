import ClusterModel
import Placement
import XCTest

@testable import MasterCore

/// Draining as a pure state machine: placement refused, deadlines move jobs as node losses,
/// uncordon, a stopping worker's drain lifted by its next session, drains restored by a new term.
final class ClusterStateDrainTests: XCTestCase {
    private let now = UnixMillis(10_000)

    private func spec(cpu: Int64 = 500, attempts: UInt32 = 1) -> JobSpec {
        JobSpec(runtime: .exec, command: .argv(["true"]), resources: Resources(cpuMillis: cpu, memoryBytes: 64 << 20), maxAttempts: attempts, retryDelaySeconds: 0)
    }

    private func cluster(_ nodes: String...) -> ClusterState {
        var state = ClusterState()
        for (index, id) in nodes.enumerated() {
            let descriptor = NodeDescriptor(id: NodeID(id), capacity: Resources(cpuMillis: 2000, memoryBytes: 2 << 30), runtimes: [.exec])
            _ = state.nodeRegistered(descriptor, leaseID: Int64(index + 1), now: now)
            _ = state.workerConnected(NodeID(id), now: now)
        }
        return state
    }

    func testADrainedNodeGetsNoNewJobButKeepsItsRunningOne() {
        var state = cluster("n1", "n2")
        _ = state.submit(id: "running", spec: spec(), now: now)
        XCTAssertEqual(state.status(of: "running")?.node, "n1")
        guard case let .done(changed, drain, jobCount, actions) = state.drain("n1", deadline: nil, now: now) else { return XCTFail("n1 is known") }
        XCTAssertTrue(changed)
        XCTAssertEqual(drain, NodeDrain(origin: .user, since: now))
        XCTAssertEqual(jobCount, 1)
        XCTAssertEqual(actions, [.persistDrain("n1")], "only the drain is written: nothing moves without a deadline")
        XCTAssertEqual(state.submit(id: "new", spec: spec(), now: now)[1], .assign("new", node: "n2"))
        XCTAssertEqual(state.status(of: "running")?.node, "n1")
        XCTAssertEqual(state.nextTimerAt, nil, "no deadline, nothing to wake for")
        guard case let .done(again, _, _, noActions) = state.drain("n1", deadline: nil, now: now) else { return XCTFail() }
        XCTAssertFalse(again)
        XCTAssertEqual(noActions, [])
    }

    func testTheDeadlineMovesTheJobsLeftAsANodeLossNotAFailure() {
        var state = cluster("n1", "n2")
        _ = state.submit(id: "j", spec: spec(), now: now)
        _ = state.started("j", epoch: Epoch(1), on: "n1", now: now)
        let deadline = UnixMillis(now.rawValue + 5_000)
        _ = state.drain("n1", deadline: deadline, now: now)
        XCTAssertEqual(state.nextTimerAt, deadline)
        XCTAssertEqual(state.timersDue(now: UnixMillis(deadline.rawValue - 1)), [], "nothing before the deadline")
        let moved = state.timersDue(now: deadline)
        XCTAssertEqual(moved, [.kill("j", node: "n1", epoch: Epoch(1)), .persist("j"), .publish("j")])
        let status = state.status(of: "j")!
        XCTAssertEqual(status.state, .pending)
        XCTAssertEqual(status.attempt, 2)
        XCTAssertEqual(status.failures, 0, "the retry budget is untouched")
        XCTAssertEqual(status.nodeLosses, 1)
        XCTAssertEqual(state.jobs["j"]?.attempts.last?.outcome, .nodeLost)
        XCTAssertEqual(state.nodes["n1"]?.jobs, [], "n1 holds nothing any more")
        // Held 1.5 s so the killed attempt is dead first, then placed on n2, never on n1.
        let hold = UnixMillis(deadline.rawValue + ClusterState.nodeLossHoldMillis)
        XCTAssertEqual(state.nextTimerAt, hold)
        XCTAssertEqual(state.timersDue(now: hold), [.persist("j"), .assign("j", node: "n2"), .publish("j")])
        // The old attempt's report is stale; it is not the job's failure.
        XCTAssertEqual(state.exited("j", epoch: Epoch(1), on: "n1", exitCode: 143, reason: "cancelled", now: hold), .stale)
    }

    func testADeadlineInThePastMovesAtOnceAndUncordonLetsJobsBack() {
        var state = cluster("n1")
        _ = state.submit(id: "j", spec: spec(), now: now)
        guard case let .done(_, _, _, actions) = state.drain("n1", deadline: now, now: now) else { return XCTFail() }
        XCTAssertEqual(actions, [.persistDrain("n1"), .kill("j", node: "n1", epoch: Epoch(1)), .persist("j"), .publish("j")])
        let hold = UnixMillis(now.rawValue + ClusterState.nodeLossHoldMillis)
        XCTAssertEqual(state.timersDue(now: hold), [], "the only node is drained: the job waits")
        XCTAssertTrue(state.status(of: "j")!.message.contains("node is draining"), state.status(of: "j")!.message)
        guard case let .done(changed, drain, _, back) = state.uncordon("n1", now: hold) else { return XCTFail() }
        XCTAssertTrue(changed)
        XCTAssertNil(drain)
        XCTAssertEqual(back, [.persistDrain("n1"), .persist("j"), .assign("j", node: "n1"), .publish("j")])
        XCTAssertEqual(state.drains, [:])
    }

    func testUnknownNodesAreRefusedAndADrainOutlivesItsNode() {
        var state = cluster("n1")
        XCTAssertEqual(state.drain("ghost", deadline: nil, now: now), .unknownNode)
        XCTAssertEqual(state.uncordon("ghost", now: now), .unknownNode)
        _ = state.drain("n1", deadline: nil, now: now)
        _ = state.nodeGone("n1", now: now)
        let descriptor = NodeDescriptor(id: "n1", capacity: Resources(cpuMillis: 2000, memoryBytes: 2 << 30), runtimes: [.exec])
        _ = state.nodeRegistered(descriptor, leaseID: 42, now: now)
        _ = state.workerConnected("n1", now: now)
        XCTAssertEqual(state.nodes["n1"]?.status.drain?.origin, .user, "a restarted worker stays drained")
        XCTAssertEqual(state.submit(id: "j", spec: spec(), now: now), [.persist("j"), .publish("j")])
        _ = state.nodeGone("n1", now: now)
        guard case let .done(changed, _, _, _) = state.uncordon("n1", now: now) else { return XCTFail("a drained node away is still known") }
        XCTAssertTrue(changed)
    }

    func testAStoppingWorkersDrainEndsWithItsSession() {
        var state = cluster("n1")
        state.workerStopping("n1", timeoutMillis: 30_000, now: now)
        XCTAssertEqual(state.nodes["n1"]?.status.drain, NodeDrain(origin: .worker, since: now, deadline: UnixMillis(now.rawValue + 30_000)))
        XCTAssertEqual(state.submit(id: "j", spec: spec(), now: now), [.persist("j"), .publish("j")], "nothing is placed on a stopping worker")
        XCTAssertEqual(state.nextTimerAt, nil, "the worker stops its own jobs: the leader has no deadline to keep")
        guard case let .done(changed, drain, _, _) = state.uncordon("n1", now: now) else { return XCTFail() }
        XCTAssertFalse(changed, "uncordon lifts a user's drain only")
        XCTAssertEqual(drain?.origin, .worker)
        state.workerDisconnected("n1")
        XCTAssertEqual(state.workerConnected("n1", now: now), [.persist("j"), .assign("j", node: "n1"), .publish("j")], "a new session without Stopping lifts it")
        XCTAssertNil(state.nodes["n1"]?.status.drain)
    }

    func testARestoredDrainKeepsItsAbsoluteDeadline() {
        var state = ClusterState()
        let deadline = UnixMillis(now.rawValue + 2_000)
        state.restoreDrain("n1", NodeDrain(origin: .user, since: now, deadline: deadline))
        let descriptor = NodeDescriptor(id: "n1", capacity: Resources(cpuMillis: 2000, memoryBytes: 2 << 30), runtimes: [.exec])
        _ = state.nodeRegistered(descriptor, leaseID: 1, now: now)
        let running = JobDetails(
            id: "j", spec: spec(),
            status: JobStatus(state: .running, node: "n1", attempt: 1, epoch: Epoch(1), submittedAt: now, updatedAt: now, startedAt: now))
        _ = state.restore(running, nodeLease: 1, now: now)
        XCTAssertEqual(state.nextTimerAt, deadline, "the new term wakes at the deadline the old one set")
        XCTAssertEqual(state.timersDue(now: deadline).first, .kill("j", node: "n1", epoch: Epoch(1)))
    }
}
