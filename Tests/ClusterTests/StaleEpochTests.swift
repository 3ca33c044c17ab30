import ClusterModel
import Foundation
import TitanClient
import WireProtocol
import TitanTestSupport
import XCTest

/// Fencing: reports carrying an old epoch are refused, the sender is told to kill
/// that attempt, and the job's record does not move.
final class StaleEpochTests: ClusterTestCase {
    func testReportsOfADeadNodesOldEpochAreRefusedAndChangeNothing() async throws {
        try await startCluster(workers: [("w1", "2", "2Gi"), ("w2", "2", "2Gi")])
        let cluster = self.cluster!
        let id = try await cluster.withClient {
            try await $0.submitAll([execJob(["sleep", "30"], cpu: 500, memory: 256 << 20, maxAttempts: 2)])
        }[0]
        try await waitUntil("the job running on w1", timeout: .seconds(10)) {
            let status = try await cluster.job(id).status
            return status.state == .running && status.node == NodeID("w1")
        }
        await cluster.process(named: "worker w1")?.kill9()
        let moved = try await waitFor("attempt 2 running on w2", timeout: .seconds(15)) { () -> JobStatus? in
            let status = try await cluster.job(id).status
            return status.state == .running && status.node == NodeID("w2") && status.attempt == 2 ? status : nil
        }
        XCTAssertEqual(moved.epoch, Epoch(2))

        // The master accepts a worker session for a node id that is no longer registered;
        // what it must refuse is every report of the old attempt.
        let leader = try await cluster.leader()
        let address = try XCTUnwrap(leader?.address)
        try await withDeadline(.seconds(10), waitingFor: "the stale reports to be answered") {
            try await cluster.withConnection(to: address, role: .worker, nodeID: "w1") { connection in
                var pushes = connection.pushes.makeAsyncIterator()

                try await connection.send(.started(Started(jobID: id, epoch: Epoch(1))))
                let kill = try await nextPush(&pushes, matching: "Cancel(\(id), epoch 1)") {
                    if case let .cancel(cancel) = $0 { return cancel.jobID == id }
                    return false
                }
                XCTAssertEqual(kill, .cancel(Cancel(jobID: id, epoch: Epoch(1))))

                try await connection.send(.exited(Exited(jobID: id, epoch: Epoch(1), exitCode: 0)))
                let ack = try await nextPush(&pushes, matching: "ReportAck(\(id), epoch 1)") {
                    if case let .reportAck(ack) = $0 { return ack.jobID == id }
                    return false
                }
                XCTAssertEqual(ack, .reportAck(ReportAck(jobID: id, epoch: Epoch(1))))
            }
        }

        let after = try await cluster.job(id).status
        XCTAssertEqual(after.state, .running, "a stale Exited must not finish attempt 2")
        XCTAssertEqual(after.node, NodeID("w2"))
        XCTAssertEqual(after.attempt, 2)
        XCTAssertEqual(after.epoch, Epoch(2))
        XCTAssertNil(after.exitCode)
        // The record in etcd agrees with the leader's view.
        let stored = try await cluster.storedJob(id).status
        XCTAssertEqual(stored.state, .running)
        XCTAssertEqual(stored.epoch, Epoch(2))
    }
}

/// The next push for which `matches` is true, skipping others; fails if the connection ends
/// (or the task is cancelled, e.g. by ``withDeadline(_:waitingFor:file:line:_:)``) first.
func nextPush(
    _ pushes: inout AsyncStream<WireMessage>.Iterator,
    matching what: String,
    _ matches: (WireMessage) -> Bool
) async throws -> WireMessage {
    while let push = await pushes.next() {
        if matches(push) { return push }
    }
    throw HarnessFailure("the connection ended before \(what) arrived")
}
