import ClusterModel
import XCTest

@testable import MasterCore

/// The two budgets and the retry back-off of ``ClusterState``: an attempt lost with its node
/// runs again at once without using `maxAttempts`; a job's own failure waits out a growing delay.
final class ClusterStateRetryTests: XCTestCase {
    private let now = UnixMillis(1_000_000)

    private func node(_ id: String) -> NodeDescriptor {
        NodeDescriptor(id: NodeID(id), capacity: Resources(cpuMillis: 4000, memoryBytes: 4 << 30), runtimes: [.exec])
    }

    private func cluster(_ nodes: String...) -> ClusterState {
        var state = ClusterState()
        for (index, id) in nodes.enumerated() {
            _ = state.nodeRegistered(node(id), leaseID: Int64(index + 1), now: now)
            _ = state.workerConnected(NodeID(id), now: now)
        }
        return state
    }

    private func spec(attempts: UInt32 = 1, nodeLosses: UInt32 = RetryDefaults.maxNodeLosses, delay: UInt32 = 5, maxDelay: UInt32 = 300) -> JobSpec {
        JobSpec(
            runtime: .exec, command: .argv(["true"]), maxAttempts: attempts, maxNodeLosses: nodeLosses, retryDelaySeconds: delay,
            retryDelayMaxSeconds: maxDelay)
    }

    private func later(_ seconds: UInt64) -> UnixMillis {
        UnixMillis(now.rawValue + seconds * 1000)
    }

    func testANodeLossRunsTheJobAgainAfterTheHoldWithoutUsingItsAttempts() {
        var state = cluster("n1", "n2")
        _ = state.submit(id: "j", spec: spec(attempts: 1), now: now)
        _ = state.started("j", epoch: Epoch(1), on: "n1", now: later(1))
        XCTAssertEqual(state.nodeGone("n1", now: later(2)), [.persist("j"), .publish("j")], "held while the lost node's attempt dies")
        let held = UnixMillis(later(2).rawValue + ClusterState.nodeLossHoldMillis)
        XCTAssertEqual(state.status(of: "j")?.retryAt, held)
        XCTAssertEqual(state.releaseDueRetries(now: UnixMillis(held.rawValue - 1)), [])
        XCTAssertEqual(state.releaseDueRetries(now: held), [.persist("j"), .assign("j", node: "n2"), .publish("j")])
        let status = state.status(of: "j")
        XCTAssertEqual(status?.state, .scheduled)
        XCTAssertEqual(status?.attempt, 2)
        XCTAssertEqual(status?.failures, 0, "a node loss is not the job's failure")
        XCTAssertEqual(status?.nodeLosses, 1)
        XCTAssertEqual(state.jobs["j"]?.attempts, [
            AttemptRecord(number: 1, node: "n1", startedAt: later(1), endedAt: later(2), outcome: .nodeLost, reason: "node n1 was lost (its lease expired)")
        ])
        _ = state.started("j", epoch: Epoch(2), on: "n2", now: later(3))
        _ = state.exited("j", epoch: Epoch(2), on: "n2", exitCode: 0, reason: "", now: later(4))
        XCTAssertEqual(state.status(of: "j")?.state, .succeeded, "maxAttempts 1 was not spent by the node loss")
        XCTAssertEqual(state.jobs["j"]?.attempts.map(\.outcome), [.nodeLost, .succeeded])
    }

    func testMoreNodeLossesThanAllowedMakeTheJobLost() {
        var state = cluster("n1", "n2", "n3")
        _ = state.submit(id: "j", spec: spec(nodeLosses: 1), now: now)
        _ = state.nodeGone("n1", now: later(1))
        _ = state.releaseDueRetries(now: later(3))
        XCTAssertEqual(state.status(of: "j")?.state, .scheduled, "one loss is allowed")
        let second = state.status(of: "j")?.node
        _ = state.nodeGone(second!, now: later(2))
        let status = state.status(of: "j")
        XCTAssertEqual(status?.state, .lost)
        XCTAssertEqual(status?.nodeLosses, 2)
        XCTAssertTrue(status?.message.contains("it lost 2 attempts to the infrastructure (max 1)") == true, status?.message ?? "")
    }

    func testAnOwnFailureWaitsOutItsDelayThenRunsAgain() {
        var state = cluster("n1")
        _ = state.submit(id: "j", spec: spec(attempts: 3, delay: 10), now: now)
        _ = state.started("j", epoch: Epoch(1), on: "n1", now: now)
        let verdict = state.exited("j", epoch: Epoch(1), on: "n1", exitCode: 1, reason: "exited with code 1", now: later(1))
        XCTAssertEqual(verdict, .accepted([.persist("j"), .publish("j")]), "not placed again at once")
        var status = state.status(of: "j")
        XCTAssertEqual(status?.state, .pending)
        XCTAssertEqual(status?.failures, 1)
        XCTAssertEqual(status?.exitCode, 1, "the pending job says which exit it retries after")
        XCTAssertEqual(status?.message, "attempt 1 exited with code 1")
        let retryAt = try! XCTUnwrap(status?.retryAt)
        // 10 s ± 20 %, from the moment of the failure.
        XCTAssertGreaterThanOrEqual(retryAt.rawValue, later(1).rawValue + 8_000)
        XCTAssertLessThanOrEqual(retryAt.rawValue, later(1).rawValue + 12_000)
        XCTAssertEqual(state.nextRetryAt, retryAt)
        XCTAssertEqual(state.retryPending(now: later(2)), [], "capacity does not bring it back early")
        XCTAssertEqual(state.releaseDueRetries(now: UnixMillis(retryAt.rawValue - 1)), [])
        XCTAssertEqual(state.releaseDueRetries(now: retryAt), [.persist("j"), .assign("j", node: "n1"), .publish("j")])
        status = state.status(of: "j")
        XCTAssertEqual(status?.state, .scheduled)
        XCTAssertEqual(status?.attempt, 2)
        XCTAssertNil(status?.retryAt)
        XCTAssertNil(state.nextRetryAt)
    }

    func testTheLastAllowedFailureFailsTheJobWithEveryAttemptRecorded() {
        var state = cluster("n1")
        _ = state.submit(id: "j", spec: spec(attempts: 2, delay: 0), now: now)
        _ = state.exited("j", epoch: Epoch(1), on: "n1", exitCode: 3, reason: "exited with code 3", now: later(1))
        XCTAssertEqual(state.status(of: "j")?.state, .scheduled, "a delay of 0 retries at once")
        _ = state.exited("j", epoch: Epoch(2), on: "n1", exitCode: 137, reason: "killed: out of memory", now: later(2))
        let status = state.status(of: "j")
        XCTAssertEqual(status?.state, .failed)
        XCTAssertEqual(status?.exitCode, 137)
        XCTAssertEqual(status?.message, "killed: out of memory; 2 attempts failed (max 2)")
        XCTAssertEqual(state.jobs["j"]?.attempts.map(\.reason), ["exited with code 3", "killed: out of memory"])
        XCTAssertEqual(state.jobs["j"]?.attempts.map(\.startedAt), [nil, nil], "neither was reported started")
    }

    func testTheDelayDoublesIsCappedAndSpreadByJitter() {
        let job = spec(delay: 5, maxDelay: 60)
        for failures: UInt32 in 1...4 {
            let expected = UInt64(5_000) << (failures - 1)  // 5, 10, 20, 40 s
            let delay = job.retryDelayMillis(afterFailure: failures, of: "j-1")
            XCTAssertGreaterThanOrEqual(delay, expected * 8 / 10, "failure \(failures)")
            XCTAssertLessThanOrEqual(delay, min(expected * 12 / 10, 60_000), "failure \(failures)")
        }
        for failures: UInt32 in [5, 6, 20, 100, .max] {
            XCTAssertLessThanOrEqual(job.retryDelayMillis(afterFailure: failures, of: "j-1"), 60_000)
            XCTAssertGreaterThanOrEqual(job.retryDelayMillis(afterFailure: failures, of: "j-1"), 48_000)
        }
        let spread = Set((0..<50).map { job.retryDelayMillis(afterFailure: 1, of: JobID("j-\($0)")) })
        XCTAssertGreaterThan(spread.count, 25, "jobs failing together come back at different times")
        XCTAssertEqual(spec(delay: 0).retryDelayMillis(afterFailure: 3, of: "j"), 0)
    }

    func testACancelledRetryLeavesTheTimerAndARestoredOneWaitsOnItsTime() {
        var state = cluster("n1")
        _ = state.submit(id: "a", spec: spec(attempts: 2, delay: 30), now: now)
        _ = state.exited("a", epoch: Epoch(1), on: "n1", exitCode: 1, reason: "", now: now)
        XCTAssertNotNil(state.nextRetryAt)
        guard case .cancelled = state.cancel("a", now: later(1)) else { return XCTFail("not cancelled") }
        XCTAssertNil(state.nextRetryAt)
        XCTAssertEqual(state.status(of: "a")?.state, .cancelled)

        // A new leader restores a job that waits out its delay: it keeps waiting until its time.
        var restored = cluster("n1")
        let retryAt = later(20)
        let status = JobStatus(state: .pending, attempt: 2, epoch: Epoch(2), submittedAt: now, updatedAt: now, failures: 1, retryAt: retryAt)
        _ = restored.restore(JobDetails(id: "b", spec: spec(attempts: 2, delay: 30), status: status), now: later(1))
        XCTAssertEqual(restored.retryPending(now: later(1)), [])
        XCTAssertEqual(restored.nextRetryAt, retryAt)
        XCTAssertEqual(restored.releaseDueRetries(now: retryAt), [.persist("b"), .assign("b", node: "n1"), .publish("b")])
    }
}
