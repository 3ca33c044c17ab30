import ClusterModel
import Foundation
import TitanClient
import TitanTestSupport
import XCTest

/// A job no node can take waits, says why per node, and runs as soon as a node that fits joins.
final class PendingTests: ClusterTestCase {
    func testJobTooBigForEveryNodeWaitsWithReasonsAndRunsWhenABigNodeJoins() async throws {
        try await startCluster(workers: [("w1", "2", "2Gi"), ("w2", "2", "2Gi")])
        let cluster = self.cluster!
        let recorder = EventRecorder()

        try await cluster.withClient { connection in
            try await connection.watchJobs()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await recorder.record(from: connection) }
                defer { group.cancelAll() }

                let id = try await connection.submitAll([execJob(["sleep", "1"], cpu: 64_000, memory: 256 << 20)])[0]
                let waiting = try await connection.job(id).status
                XCTAssertEqual(waiting.state, .pending)
                XCTAssertNil(waiting.node)
                XCTAssertEqual(
                    waiting.message,
                    "w1: insufficient cpu: requested 64000m, free 2000m\nw2: insufficient cpu: requested 64000m, free 2000m"
                )

                // It keeps waiting while nothing changes.
                try await Task.sleep(for: .seconds(1))
                let stillWaiting = try await connection.job(id).status.state
                XCTAssertEqual(stillWaiting, .pending)

                try cluster.startWorker("w3", cpu: "128", memory: "4Gi")
                try await waitUntil("the big job to succeed", timeout: .seconds(20)) {
                    recorder.events(of: id).last?.state == .succeeded
                }
                let states = recorder.events(of: id).map(\.state)
                XCTAssertEqual(states, [.pending, .scheduled, .running, .succeeded], "events of \(id)")
                let done = try await connection.job(id).status
                XCTAssertEqual(done.state, .succeeded)
                XCTAssertEqual(done.node, NodeID("w3"))
                XCTAssertEqual(done.attempt, 1)
                XCTAssertEqual(done.exitCode, 0)
            }
        }
    }
}
