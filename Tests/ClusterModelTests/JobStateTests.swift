import ClusterModel
import XCTest

final class JobStateTests: XCTestCase {
    func testFinalStates() {
        let final = Set(JobState.allCases.filter(\.isFinal))
        XCTAssertEqual(final, [.succeeded, .failed, .cancelled, .lost])
    }

    func testOnlyScheduledAndRunningHoldCapacity() {
        XCTAssertEqual(Set(JobState.allCases.filter(\.holdsCapacity)), [.scheduled, .running])
    }

    func testFinalStatesHaveNoTransitions() {
        for state in JobState.allCases where state.isFinal {
            for next in JobState.allCases {
                XCTAssertFalse(state.canTransition(to: next), "\(state) → \(next)")
            }
        }
    }

    func testLifecycleTransitions() {
        XCTAssertTrue(JobState.pending.canTransition(to: .scheduled))
        XCTAssertTrue(JobState.scheduled.canTransition(to: .running))
        XCTAssertTrue(JobState.running.canTransition(to: .succeeded))
        XCTAssertTrue(JobState.running.canTransition(to: .failed))
        XCTAssertTrue(JobState.running.canTransition(to: .pending), "node lost, attempts remain")
        XCTAssertTrue(JobState.running.canTransition(to: .lost), "node lost, no attempts remain")
        XCTAssertTrue(JobState.pending.canTransition(to: .cancelled))
        XCTAssertFalse(JobState.pending.canTransition(to: .running), "a job is placed before it runs")
        XCTAssertFalse(JobState.pending.canTransition(to: .pending), "staying is not a transition")
        XCTAssertFalse(JobState.pending.canTransition(to: .lost), "a pending job holds no node to lose")
    }

    func testResourcesArithmeticAndFit() {
        let node = Resources(cpuMillis: 4000, memoryBytes: 8 << 30)
        let job = Resources(cpuMillis: 1500, memoryBytes: 1 << 30)
        XCTAssertTrue(job.fits(in: node))
        XCTAssertEqual(node - job - job, Resources(cpuMillis: 1000, memoryBytes: 6 << 30))
        XCTAssertFalse(job.fits(in: node - job - job))
        var total = Resources.zero
        total += job
        total += job
        XCTAssertEqual(total, job + job)
        XCTAssertTrue(total.isNonNegative)
        XCTAssertFalse((Resources.zero - job).isNonNegative)
    }

    func testNodeSelectorMatching() {
        let node = NodeDescriptor(
            id: "n1",
            capacity: .zero,
            labels: ["zone": "a", "disk": "ssd"],
            runtimes: [.exec]
        )
        XCTAssertTrue(node.matches(selector: [:]))
        XCTAssertTrue(node.matches(selector: ["zone": "a"]))
        XCTAssertFalse(node.matches(selector: ["zone": "b"]))
        XCTAssertFalse(node.matches(selector: ["gpu": "yes"]))
    }

    func testIdentifiersOrderByBytes() {
        XCTAssertLessThan(JobID("job-0009"), JobID("job-0010"))
        XCTAssertLessThan(NodeID("A"), NodeID("a"))
        XCTAssertLessThan(Epoch(1), Epoch(2))
    }
}
