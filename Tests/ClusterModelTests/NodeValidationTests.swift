import ClusterModel
import XCTest

/// What a worker declares is bounded before the leader schedules on it: a capacity beyond
/// ``QuantityLimits`` would overflow the placement arithmetic.
final class NodeValidationTests: XCTestCase {
    private func node(_ id: String = "w1", cpu: Int64 = 8_000, memory: Int64 = 16 << 30, labels: [String: String] = [:]) -> NodeDescriptor {
        NodeDescriptor(id: NodeID(id), capacity: Resources(cpuMillis: cpu, memoryBytes: memory), labels: labels, runtimes: [.exec])
    }

    private func refusal(_ node: NodeDescriptor) -> String? {
        do {
            try node.validate()
            return nil
        } catch {
            return error.description
        }
    }

    func testATypicalNodeAndTheBoundsPass() {
        XCTAssertNil(refusal(node()))
        XCTAssertNil(refusal(node(cpu: QuantityLimits.maxCPUMillis, memory: QuantityLimits.maxMemoryBytes)))
        XCTAssertNil(refusal(node(cpu: 1, memory: 1)))
    }

    func testCapacitiesOutOfBoundsAreRefusedNamingTheValue() {
        for cpu in [0, -1, QuantityLimits.maxCPUMillis + 1, .max, .min] {
            let sentence = refusal(node(cpu: cpu))
            XCTAssertTrue(sentence?.contains("declares \(cpu)m of CPU") == true, "\(cpu): \(sentence ?? "accepted")")
        }
        for memory in [0, -1, QuantityLimits.maxMemoryBytes + 1, .max, .min] {
            let sentence = refusal(node(memory: memory))
            XCTAssertTrue(sentence?.contains("declares \(memory) bytes of memory") == true, "\(memory): \(sentence ?? "accepted")")
        }
    }

    func testIdsAndLabelsAreBounded() {
        XCTAssertNotNil(refusal(node("")))
        XCTAssertNotNil(refusal(node(String(repeating: "n", count: 254))))
        XCTAssertNotNil(refusal(node(labels: ["": "x"])))
        XCTAssertNotNil(refusal(node(labels: ["k": String(repeating: "v", count: JobSpecLimits.maxValueBytes + 1)])))
        let many = Dictionary(uniqueKeysWithValues: (0...JobSpecLimits.maxLabels).map { ("k\($0)", "v") })
        XCTAssertNotNil(refusal(node(labels: many)))
    }
}
