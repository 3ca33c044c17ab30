import ClusterModel
import NIOCore
import XCTest

@testable import WireProtocol

/// The worst cases that `Protocol/README.md` § Bounds claims fit in one frame.
final class WorstCaseTests: XCTestCase {
    private static let worstLabels = Dictionary(uniqueKeysWithValues: (0..<WireLimits.maxNodeLabelCount).map { i in
        (String(repeating: "k", count: 62) + String(format: "%02d", i), String(repeating: "v", count: WireLimits.maxNodeLabelValueBytes))
    })

    private func frameSize(_ message: WireMessage) throws -> Int {
        var buffer = ByteBuffer()
        return try buffer.writeWireFrame(message)
    }

    func testWorstNodeListFits() throws {
        let node = NodeStatus(
            descriptor: NodeDescriptor(
                id: NodeID(String(repeating: "n", count: WireLimits.maxIDBytes)),
                address: String(repeating: "a", count: WireLimits.maxAddressBytes),
                capacity: .zero,
                labels: Self.worstLabels,
                runtimes: [.exec, .docker],
                version: String(repeating: "v", count: WireLimits.maxVersionBytes)
            )
        )
        let size = try self.frameSize(.nodeList(NodeList(correlationID: 1, nodes: Array(repeating: node, count: WireLimits.maxListNodes))))
        XCTAssertLessThan(size, 2_500_000, "≈ 4.7 KiB per node")
    }

    func testWorstJobListFits() throws {
        let status = JobStatus(
            state: .failed,
            node: NodeID(String(repeating: "n", count: WireLimits.maxIDBytes)),
            exitCode: 1,
            message: String(repeating: "m", count: WireLimits.maxMessageBytes),
            submittedAt: UnixMillis(0),
            updatedAt: UnixMillis(0)
        )
        let summary = JobSummary(
            id: JobID(String(repeating: "j", count: WireLimits.maxIDBytes)),
            name: String(repeating: "x", count: WireLimits.maxNameBytes),
            status: status
        )
        let list = JobList(correlationID: 1, jobs: Array(repeating: summary, count: WireLimits.maxListJobs), nextAfter: summary.id)
        XCTAssertLessThan(try self.frameSize(.jobList(list)), 1_700_000, "≈ 1.6 KiB per summary")
    }

    func testWorstSubmitResultFits() throws {
        let rejected = SubmitOutcome.rejected(code: .invalidRequest, message: String(repeating: "m", count: WireLimits.maxMessageBytes))
        let result = SubmitResult(correlationID: 1, results: Array(repeating: rejected, count: WireLimits.maxSubmitBatch))
        XCTAssertLessThan(try self.frameSize(.submitResult(result)), WireLimits.maxFrameLength)
    }
}
