import ClusterModel
import XCTest

@testable import Placement

final class FeasibilityTests: XCTestCase {
    func testEveryReasonIsReportedPerNode() {
        let nodes = [
            node("small", cpu: 1000, memoryMi: 512, allocatedCPU: 750),
            node("gpu-less", cpu: 8000, memoryMi: 8192, labels: ["zone": "a"]),
            node("exec-only", cpu: 8000, memoryMi: 8192, runtimes: [.exec], labels: ["zone": "b"]),
            node("away", cpu: 8000, memoryMi: 8192, labels: ["zone": "b"], connected: false),
            node("leaving", cpu: 8000, memoryMi: 8192, labels: ["zone": "b"], draining: true),
        ]
        let decision = place(request(cpu: 500, memoryMi: 1024, runtime: .docker, selector: ["zone": "b"]), on: nodes)
        guard case let .unschedulable(reasons) = decision else { return XCTFail("expected unschedulable, got \(decision)") }
        XCTAssertEqual(reasons["small"], [
            .labelMismatch(key: "zone", wanted: "b", actual: nil),
            .insufficientCPU(requested: 500, free: 250),
            .insufficientMemory(requested: 1 << 30, free: 512 << 20),
        ])
        XCTAssertEqual(reasons["gpu-less"], [.labelMismatch(key: "zone", wanted: "b", actual: "a")])
        XCTAssertEqual(reasons["exec-only"], [.runtimeUnsupported(.docker)])
        XCTAssertEqual(reasons["away"], [.disconnected])
        XCTAssertEqual(reasons["leaving"], [.draining])
        XCTAssertEqual(explain(reasons).first, "away: worker not connected")
        XCTAssertTrue(explain(reasons).contains("small: label zone=b wanted, node has no zone; insufficient cpu: requested 500m, free 250m; insufficient memory: requested 1Gi, free 512Mi"))
    }

    func testNoNodesSaysSo() {
        XCTAssertEqual(place(request(cpu: 1, memoryMi: 1), on: []), .unschedulable(reasons: [:]))
        XCTAssertEqual(explain([:]), ["no nodes are registered"])
    }

    func testAJobThatExactlyFitsIsPlaced() {
        let n = node("n", cpu: 1000, memoryMi: 1024, allocatedCPU: 500, allocatedMi: 512)
        XCTAssertEqual(place(request(cpu: 500, memoryMi: 512), on: [n]).node, "n")
        XCTAssertNil(place(request(cpu: 501, memoryMi: 512), on: [n]).node)
    }

    func testQuantitiesPrintInBinaryUnits() {
        XCTAssertEqual(Quantity.bytes(64 << 20), "64Mi")
        XCTAssertEqual(Quantity.bytes(3 << 29), "1.5Gi")
        XCTAssertEqual(Quantity.bytes(1000), "1000B")
    }
}
