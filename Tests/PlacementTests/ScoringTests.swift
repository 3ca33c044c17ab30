import ClusterModel
import XCTest

@testable import Placement

/// A node for the tables below: capacity and allocation in millicores and MiB.
func node(
    _ id: String,
    cpu: Int64,
    memoryMi: Int64,
    allocatedCPU: Int64 = 0,
    allocatedMi: Int64 = 0,
    runtimes: Set<Runtime> = [.exec, .docker],
    labels: [String: String] = [:],
    connected: Bool = true,
    draining: Bool = false
) -> NodeStatus {
    NodeStatus(
        descriptor: NodeDescriptor(
            id: NodeID(id),
            capacity: Resources(cpuMillis: cpu, memoryBytes: memoryMi << 20),
            labels: labels,
            runtimes: runtimes
        ),
        allocated: Resources(cpuMillis: allocatedCPU, memoryBytes: allocatedMi << 20),
        drain: draining ? NodeDrain(origin: .user, since: UnixMillis(0)) : nil,
        connected: connected
    )
}

func request(cpu: Int64, memoryMi: Int64, runtime: Runtime = .exec, selector: [String: String] = [:]) -> PlacementRequest {
    PlacementRequest(resources: Resources(cpuMillis: cpu, memoryBytes: memoryMi << 20), runtime: runtime, nodeSelector: selector)
}

final class ScoringTests: XCTestCase {
    func testBinpackScoresMostAllocated() {
        // CPU: (2000 + 1000) * 100 / 4000 = 75;  Memory: (3000 + 2000) * 100 / 10000 = 50;  (75 + 50) / 2 = 62
        let n = node("a", cpu: 4000, memoryMi: 10000, allocatedCPU: 2000, allocatedMi: 3000)
        XCTAssertEqual(PlacementStrategy.binpack.score(node: n, request: request(cpu: 1000, memoryMi: 2000).resources), 62)
        // Spread: CPU 100 - 75 = 25;  Memory 100 - 50 = 50;  (25 + 50) / 2 = 37
        XCTAssertEqual(PlacementStrategy.spread.score(node: n, request: request(cpu: 1000, memoryMi: 2000).resources), 37)
    }

    func testEmptyAndFullNodes() {
        // Empty node, tiny request: CPU 10 * 100 / 2000 = 0;  Memory 16 * 100 / 1024 = 1;  (0 + 1) / 2 = 0
        let empty = node("e", cpu: 2000, memoryMi: 1024)
        XCTAssertEqual(PlacementStrategy.binpack.score(node: empty, request: request(cpu: 10, memoryMi: 16).resources), 0)
        // Request fills it exactly: 100 and 100 → 100 (binpack), 0 (spread)
        let whole = request(cpu: 2000, memoryMi: 1024).resources
        XCTAssertEqual(PlacementStrategy.binpack.score(node: empty, request: whole), 100)
        XCTAssertEqual(PlacementStrategy.spread.score(node: empty, request: whole), 0)
    }

    func testBinpackPicksTheFullerNodeAndSpreadTheEmptier() {
        // a: (1000+500)*100/4000 = 37, (1024+512)*100/4096 = 37 → 37
        // b: (3000+500)*100/4000 = 87, (3072+512)*100/4096 = 87 → 87
        let nodes = [
            node("a", cpu: 4000, memoryMi: 4096, allocatedCPU: 1000, allocatedMi: 1024),
            node("b", cpu: 4000, memoryMi: 4096, allocatedCPU: 3000, allocatedMi: 3072),
        ]
        let job = request(cpu: 500, memoryMi: 512)
        XCTAssertEqual(place(job, on: nodes, strategy: .binpack), .placed(node: "b", score: 87))
        // spread: a: 63, 63 → 63;  b: 13, 13 → 13
        XCTAssertEqual(place(job, on: nodes, strategy: .spread), .placed(node: "a", score: 63))
    }

    func testTiesGoToTheSmallestNodeIDWhateverTheOrder() {
        let nodes = [node("c", cpu: 1000, memoryMi: 1024), node("a", cpu: 1000, memoryMi: 1024), node("b", cpu: 1000, memoryMi: 1024)]
        for permutation in [nodes, nodes.reversed(), [nodes[1], nodes[2], nodes[0]]] {
            XCTAssertEqual(place(request(cpu: 100, memoryMi: 64), on: permutation).node, "a")
        }
    }

    func testBinpackFillsOneNodeBeforeTheNext() {
        var nodes = [node("n1", cpu: 2000, memoryMi: 2048), node("n2", cpu: 2000, memoryMi: 2048)]
        var chosen: [NodeID] = []
        for _ in 0..<8 {
            guard case let .placed(target, _) = place(request(cpu: 500, memoryMi: 256), on: nodes) else { return XCTFail("no room") }
            chosen.append(target)
            let index = nodes.firstIndex { $0.id == target }!
            nodes[index].allocated += Resources(cpuMillis: 500, memoryBytes: 256 << 20)
        }
        XCTAssertEqual(chosen, ["n1", "n1", "n1", "n1", "n2", "n2", "n2", "n2"])
        XCTAssertNil(place(request(cpu: 500, memoryMi: 256), on: nodes).node)
    }
}
