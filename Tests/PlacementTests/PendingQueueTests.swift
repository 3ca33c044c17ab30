import ClusterModel
import XCTest

@testable import Placement

final class PendingQueueTests: XCTestCase {
    private func entry(_ id: String, priority: Int32 = 0, sequence: UInt64, cpu: Int64 = 100) -> PendingQueue.Entry {
        PendingQueue.Entry(id: JobID(id), priority: priority, sequence: sequence, request: request(cpu: cpu, memoryMi: 16))
    }

    func testOrdersByPriorityThenSubmission() {
        var queue = PendingQueue()
        queue.insert(entry("late-low", sequence: 3))
        queue.insert(entry("early-low", sequence: 1))
        queue.insert(entry("high", priority: 10, sequence: 5))
        queue.insert(entry("early-low", sequence: 1))
        XCTAssertEqual(queue.ordered.map(\.id.rawValue), ["high", "early-low", "late-low"])
        XCTAssertTrue(queue.remove("early-low"))
        XCTAssertFalse(queue.remove("early-low"))
        XCTAssertEqual(queue.count, 2)
    }

    func testAHugeJobDoesNotBlockSmallOnesBehindIt() {
        var queue = PendingQueue()
        queue.insert(entry("huge", priority: 5, sequence: 1, cpu: 64_000))
        queue.insert(entry("small-1", sequence: 2))
        queue.insert(entry("small-2", sequence: 3))
        var free: Int64 = 250
        let placed = queue.drain { candidate in
            guard candidate.request.resources.cpuMillis <= free else { return false }
            free -= candidate.request.resources.cpuMillis
            return true
        }
        XCTAssertEqual(placed.map(\.id.rawValue), ["small-1", "small-2"])
        XCTAssertEqual(queue.ordered.map(\.id.rawValue), ["huge"])
    }

    func testIdenticalJobsAfterAFailureAreNotAskedAgain() {
        var queue = PendingQueue()
        for index in 0..<1000 { queue.insert(entry("j\(index)", sequence: UInt64(index))) }
        var asked = 0
        var room = 3
        let placed = queue.drain { _ in
            asked += 1
            guard room > 0 else { return false }
            room -= 1
            return true
        }
        XCTAssertEqual(placed.count, 3)
        XCTAssertEqual(asked, 4, "three fit, the fourth fails, the other 996 are skipped")
        XCTAssertEqual(queue.count, 997)
        XCTAssertEqual(queue.ordered.first?.id, "j3")
    }
}
