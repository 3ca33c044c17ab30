import ClusterModel
import XCTest

@testable import MasterCore

/// Which attempt's output the archive takes: no scheduler, no sockets.
final class AttemptTableTests: XCTestCase {
    private let job = JobID("j1")
    private let here = NodeID("n1")
    private let there = NodeID("n2")

    private func status(_ state: JobState, on node: NodeID?, attempt: UInt32) -> JobStatus {
        JobStatus(state: state, node: node, attempt: attempt, submittedAt: UnixMillis(0), updatedAt: UnixMillis(0))
    }

    func testOnlyTheAttemptAJobHoldsCapacityWithOnItsNodeIsCurrent() {
        var table = AttemptTable()
        XCTAssertFalse(table.isCurrent(job, attempt: 1, node: here), "an unknown job")
        table.update(job, status: status(.scheduled, on: here, attempt: 1))
        XCTAssertTrue(table.isCurrent(job, attempt: 1, node: here))
        table.update(job, status: status(.running, on: here, attempt: 1))
        XCTAssertTrue(table.isCurrent(job, attempt: 1, node: here))
        XCTAssertFalse(table.isCurrent(job, attempt: 1, node: there), "another node's claim")
        XCTAssertFalse(table.isCurrent(job, attempt: 2, node: here), "another attempt")

        table.update(job, status: status(.running, on: there, attempt: 2))  // moved
        XCTAssertFalse(table.isCurrent(job, attempt: 1, node: here), "the attempt before the move")
        XCTAssertTrue(table.isCurrent(job, attempt: 2, node: there))

        table.update(job, status: status(.succeeded, on: there, attempt: 2))
        XCTAssertFalse(table.isCurrent(job, attempt: 2, node: there), "a final job takes no more output")
        table.update(job, status: status(.running, on: here, attempt: 3))
        table.update(job, status: nil)
        XCTAssertFalse(table.isCurrent(job, attempt: 3, node: here), "a job gone")
    }

    func testAKilledAttemptsOutputCountsUntilItIsAmongTheOldestForgotten() {
        var table = AttemptTable()
        table.update(job, status: status(.running, on: here, attempt: 1))
        table.killed(job, attempt: 1, node: here)
        table.update(job, status: status(.cancelled, on: here, attempt: 1))
        XCTAssertTrue(table.isCurrent(job, attempt: 1, node: here), "its last words still go to the archive")
        XCTAssertFalse(table.isCurrent(job, attempt: 1, node: there))

        for number in 0..<AttemptTable.killedLimit {
            table.killed(JobID("other-\(number)"), attempt: 1, node: there)
        }
        XCTAssertFalse(table.isCurrent(job, attempt: 1, node: here), "forgotten: the oldest of the bound")
        XCTAssertTrue(table.isCurrent(JobID("other-0"), attempt: 1, node: there))
    }
}
