import ClusterModel
import Placement
import XCTest

@testable import MasterCore

final class ClusterStateTests: XCTestCase {
    private let now = UnixMillis(1_000)

    private func descriptor(_ id: String, cpu: Int64 = 2000, memoryMi: Int64 = 2048) -> NodeDescriptor {
        NodeDescriptor(id: NodeID(id), capacity: Resources(cpuMillis: cpu, memoryBytes: memoryMi << 20), runtimes: [.exec, .docker])
    }

    /// A job whose retries are immediate (back-off has its own tests, `ClusterStateRetryTests`).
    private func spec(cpu: Int64 = 500, memoryMi: Int64 = 256, attempts: UInt32 = 1, nodeLosses: UInt32 = 5) -> JobSpec {
        JobSpec(
            runtime: .exec, command: .argv(["true"]), resources: Resources(cpuMillis: cpu, memoryBytes: memoryMi << 20), maxAttempts: attempts,
            maxNodeLosses: nodeLosses, retryDelaySeconds: 0)
    }

    private func cluster(_ nodes: String...) -> ClusterState {
        var state = ClusterState()
        for (index, id) in nodes.enumerated() {
            _ = state.nodeRegistered(descriptor(id), leaseID: Int64(index + 1), now: now)
            _ = state.workerConnected(NodeID(id), now: now)
        }
        return state
    }

    func testASubmittedJobIsPlacedAndWrittenOnceAlreadyScheduled() {
        var state = cluster("n1", "n2")
        let actions = state.submit(id: "j1", spec: spec(), now: now)
        XCTAssertEqual(actions, [.persist("j1"), .assign("j1", node: "n1"), .publish("j1")])
        XCTAssertEqual(state.status(of: "j1")?.state, .scheduled)
        XCTAssertEqual(state.nodes["n1"]?.status.allocated, Resources(cpuMillis: 500, memoryBytes: 256 << 20))
        // Binpack keeps filling n1 (score rises) rather than spreading to n2.
        XCTAssertEqual(state.submit(id: "j2", spec: spec(), now: now)[1], .assign("j2", node: "n1"))
    }

    func testATooBigJobWaitsWithReasonsAndRunsWhenCapacityAppears() {
        var state = cluster("small")
        XCTAssertEqual(state.submit(id: "big", spec: spec(cpu: 4000), now: now), [.persist("big"), .publish("big")])
        XCTAssertEqual(state.status(of: "big")?.state, .pending)
        XCTAssertEqual(state.status(of: "big")?.message, "small: insufficient cpu: requested 4000m, free 2000m")
        _ = state.nodeRegistered(descriptor("large", cpu: 8000), leaseID: 9, now: now)
        XCTAssertEqual(state.status(of: "big")?.state, .pending, "a registered but unconnected node takes no work")
        let actions = state.workerConnected("large", now: now)
        XCTAssertEqual(actions, [.persist("big"), .assign("big", node: "large"), .publish("big")])
        XCTAssertEqual(state.status(of: "big")?.state, .scheduled)
    }

    func testReportsMoveTheJobAndStaleOnesAreRefused() {
        var state = cluster("n1")
        _ = state.submit(id: "j", spec: spec(), now: now)
        XCTAssertEqual(state.started("j", epoch: Epoch(2), on: "n1", now: now), .stale)
        XCTAssertEqual(state.started("j", epoch: Epoch(1), on: "n2", now: now), .stale)
        XCTAssertEqual(state.started("j", epoch: Epoch(1), on: "n1", now: now), .accepted([.persist("j"), .publish("j")]))
        XCTAssertEqual(state.started("j", epoch: Epoch(1), on: "n1", now: now), .duplicate)
        XCTAssertEqual(state.exited("j", epoch: Epoch(1), on: "n1", exitCode: 0, reason: "", now: now), .accepted([.persist("j"), .publish("j")]))
        XCTAssertEqual(state.status(of: "j")?.state, .succeeded)
        XCTAssertEqual(state.nodes["n1"]?.status.allocated, .zero)
        XCTAssertEqual(state.exited("j", epoch: Epoch(1), on: "n1", exitCode: 0, reason: "", now: now), .duplicate)
        state.forgetIfFinal("j")
        XCTAssertNil(state.status(of: "j"))
        XCTAssertEqual(state.exited("j", epoch: Epoch(1), on: "n1", exitCode: 0, reason: "", now: now), .stale)
    }

    func testALostNodesJobsRunAgainWithANewEpochOrAreLost() {
        var state = cluster("n1", "n2")
        _ = state.submit(id: "retry", spec: spec(cpu: 1500, nodeLosses: 1), now: now)
        _ = state.submit(id: "once", spec: spec(cpu: 400, nodeLosses: 0), now: now)
        XCTAssertEqual(state.status(of: "retry")?.node, "n1")
        XCTAssertEqual(state.status(of: "once")?.node, "n1")
        _ = state.nodeGone("n1", now: now)
        let actions = state.releaseDueRetries(now: UnixMillis(now.rawValue + ClusterState.nodeLossHoldMillis))
        XCTAssertTrue(actions.contains(.assign("retry", node: "n2")))
        XCTAssertEqual(state.status(of: "retry")?.epoch, Epoch(2))
        XCTAssertEqual(state.status(of: "retry")?.attempt, 2)
        XCTAssertEqual(state.status(of: "once")?.state, .lost)
        XCTAssertEqual(state.started("retry", epoch: Epoch(1), on: "n1", now: now), .stale, "the old attempt is fenced")
    }

    func testAWorkerThatRestartedUnderANewLeaseLosesItsJobs() {
        var state = cluster("n1")
        _ = state.submit(id: "j", spec: spec(attempts: 3), now: now)
        _ = state.nodeRegistered(descriptor("n1"), leaseID: 77, now: now)
        XCTAssertEqual(state.status(of: "j")?.state, .pending)
        XCTAssertEqual(state.workerConnected("n1", now: now), [], "held while the old incarnation's attempt dies")
        let held = UnixMillis(now.rawValue + ClusterState.nodeLossHoldMillis)
        XCTAssertEqual(state.releaseDueRetries(now: held), [.persist("j"), .assign("j", node: "n1"), .publish("j")])
        XCTAssertEqual(state.status(of: "j")?.epoch, Epoch(2))
    }

    func testAfterAReconnectTheRunningJobsTheWorkerDidNotReplayRunAgain() {
        var state = cluster("n1")
        for (id, losses) in [("kept", UInt32(1)), ("gone", 1), ("last", 0), ("waiting", 0)] {
            _ = state.submit(id: JobID(id), spec: spec(cpu: 100, nodeLosses: losses), now: now)
        }
        for id in ["kept", "gone", "last"] {
            _ = state.started(JobID(id), epoch: Epoch(1), on: "n1", now: now)
        }
        state.workerDisconnected("n1")
        XCTAssertEqual(state.workerSynced("n1", now: now), [], "outside a replay there is nothing to judge")
        XCTAssertEqual(state.workerConnected("n1", now: now), [.assign("waiting", node: "n1")])
        XCTAssertEqual(state.started("kept", epoch: Epoch(1), on: "n1", now: now), .duplicate)
        let actions = state.workerSynced("n1", now: now)
        XCTAssertTrue(actions.contains(.persist("gone")) && actions.contains(.persist("last")), "\(actions)")
        XCTAssertFalse(actions.contains(.persist("kept")) || actions.contains(.persist("waiting")), "\(actions)")
        XCTAssertEqual(state.status(of: "kept")?.state, .running)
        XCTAssertEqual(state.status(of: "waiting")?.state, .scheduled, "not started yet: the Assign was sent again instead")
        XCTAssertEqual(state.status(of: "gone")?.attempt, 2)
        XCTAssertEqual(state.status(of: "gone")?.state, .scheduled, "placed again at once as attempt 2")
        XCTAssertTrue(actions.contains(.assign("gone", node: "n1")), "\(actions)")
        XCTAssertEqual(state.status(of: "last")?.state, .lost)
        XCTAssertEqual(state.status(of: "last")?.message, "worker n1 restarted and no longer runs it; it lost 1 attempt to the infrastructure (max 0)")
        XCTAssertEqual(state.nodes["n1"]?.status.allocated.cpuMillis, 300, "kept, waiting and gone's new attempt; last freed its share")
        XCTAssertEqual(state.workerSynced("n1", now: now), [], "one judgement per replay")
    }

    func testCancelFreesCapacityAndKillsOnTheNode() {
        var state = cluster("n1")
        _ = state.submit(id: "a", spec: spec(cpu: 2000), now: now)
        _ = state.submit(id: "b", spec: spec(cpu: 2000), now: now)
        XCTAssertEqual(state.status(of: "b")?.state, .pending)
        guard case let .cancelled(actions) = state.cancel("a", now: now) else { return XCTFail("not cancelled") }
        XCTAssertTrue(actions.contains(.kill("a", node: "n1", epoch: Epoch(1))))
        XCTAssertTrue(actions.contains(.assign("b", node: "n1")), "freed capacity goes to the waiting job at once")
        XCTAssertEqual(state.cancel("a", now: now), .alreadyFinal(.cancelled))
        XCTAssertEqual(state.cancel("zzz", now: now), .unknown)
    }

    func testAFailedAttemptRunsAgainWhileAttemptsRemain() {
        var state = cluster("n1")
        _ = state.submit(id: "j", spec: spec(attempts: 2), now: now)
        _ = state.started("j", epoch: Epoch(1), on: "n1", now: now)
        guard case let .accepted(actions) = state.exited("j", epoch: Epoch(1), on: "n1", exitCode: 3, reason: "", now: now) else {
            return XCTFail("refused")
        }
        XCTAssertTrue(actions.contains(.assign("j", node: "n1")))
        XCTAssertEqual(state.status(of: "j")?.attempt, 2)
        _ = state.exited("j", epoch: Epoch(2), on: "n1", exitCode: 3, reason: "", now: now)
        XCTAssertEqual(state.status(of: "j")?.state, .failed)
        XCTAssertEqual(state.status(of: "j")?.exitCode, 3)
    }
}

extension ClusterStateTests {
    func testARestoredJobOnANodeThatRestartedUnderANewLeaseRunsAgain() {
        var state = ClusterState()
        _ = state.nodeRegistered(NodeDescriptor(id: "n1", capacity: Resources(cpuMillis: 2000, memoryBytes: 1 << 30), runtimes: [.exec]), leaseID: 7, now: UnixMillis(1))
        let running = JobDetails(
            id: "j",
            spec: JobSpec(runtime: .exec, command: .argv(["sleep", "9"]), maxAttempts: 2),
            status: JobStatus(state: .running, node: "n1", attempt: 1, epoch: Epoch(1), submittedAt: UnixMillis(0), updatedAt: UnixMillis(0))
        )
        var same = state
        XCTAssertEqual(same.restore(running, nodeLease: 7, now: UnixMillis(2)), [], "same incarnation: the job keeps running there")
        XCTAssertEqual(same.nodes["n1"]?.status.allocated.cpuMillis, 100)
        XCTAssertEqual(state.restore(running, nodeLease: 3, now: UnixMillis(2)), [.persist("j"), .publish("j")])
        XCTAssertEqual(state.status(of: "j")?.state, .pending, "placed on an incarnation that is gone")
        XCTAssertEqual(state.status(of: "j")?.attempt, 2)
        XCTAssertEqual(state.nodes["n1"]?.status.allocated, .zero)
    }
}

/// When a worker hears `ReportAck` for an `Exited`.
final class ReportAckTests: XCTestCase {
    private let now = UnixMillis(1_000)

    private func running(_ id: JobID, attempts: UInt32 = 1) -> ClusterState {
        var state = ClusterState(strategy: .binpack)
        _ = state.nodeRegistered(NodeDescriptor(id: "n1", capacity: Resources(cpuMillis: 4000, memoryBytes: 4 << 30), runtimes: [.exec]), leaseID: 1, now: now)
        _ = state.workerConnected("n1", now: now)
        let spec = JobSpec(runtime: .exec, command: .argv(["true"]), resources: Resources(cpuMillis: 100, memoryBytes: 1 << 20), maxAttempts: attempts, retryDelaySeconds: 0)
        _ = state.submit(id: id, spec: spec, now: now)
        _ = state.started(id, epoch: Epoch(1), on: "n1", now: now)
        return state
    }

    func testAnOutcomeIsAcknowledgedWithItsWriteARepeatAfterTheFinalWriteAndAGoneJobAtOnce() {
        var state = running("j")
        let first = state.exitedReport("j", epoch: Epoch(1), on: "n1", exitCode: 0, reason: "", lostByInfrastructure: false, now: now)
        XCTAssertEqual(first, ExitedDecision(actions: [.persist("j"), .publish("j")], ack: .afterWrites, stale: false))
        let repeated = state.exitedReport("j", epoch: Epoch(1), on: "n1", exitCode: 0, reason: "", lostByInfrastructure: false, now: now)
        XCTAssertEqual(repeated, ExitedDecision(actions: [], ack: .afterFinalWrite, stale: false))
        state.forgetIfFinal("j")
        let gone = state.exitedReport("j", epoch: Epoch(1), on: "n1", exitCode: 0, reason: "", lostByInfrastructure: false, now: now)
        XCTAssertEqual(gone, ExitedDecision(actions: [], ack: .now, stale: true))
    }

    func testAStaleOutcomeOfALiveJobIsAcknowledgedOnceItsCurrentRecordIsWrittenAgain() {
        var state = running("j", attempts: 3)
        _ = state.exitedReport("j", epoch: Epoch(1), on: "n1", exitCode: 1, reason: "", lostByInfrastructure: false, now: now)
        XCTAssertEqual(state.status(of: "j")?.attempt, 2, "retried")
        let stale = state.exitedReport("j", epoch: Epoch(1), on: "n2", exitCode: 0, reason: "", lostByInfrastructure: false, now: now)
        XCTAssertEqual(stale, ExitedDecision(actions: [.persist("j")], ack: .afterWrites, stale: true))
    }
}
