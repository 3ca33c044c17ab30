import ClusterModel
import Foundation
import TitanClient
import WireProtocol
import TitanTestSupport
import XCTest

/// A worker killed with SIGKILL: its lease expires, its jobs run again elsewhere as a new
/// attempt — with the default flags: a node loss does not use the job's `maxAttempts` — and
/// every job ends exactly once, counted by the jobs' own marker files .
final class WorkerLossTests: ClusterTestCase {
    func testJobsOfAKilledWorkerRunAgainElsewhereAndEachEndsExactlyOnce() async throws {
        // w1 is smaller, so binpack fills it first: (500*100/2000 + 256Mi*100/2Gi)/2 = 18 on w1
        // against (500*100/4000 + 256Mi*100/4Gi)/2 = 9 on w2. Four jobs fill w1's CPU; two go to w2.
        try await startCluster(workers: [("w1", "2", "2Gi"), ("w2", "4", "4Gi")])
        let cluster = self.cluster!
        let recorder = EventRecorder()
        let markers = cluster.root + "/markers"
        try FileManager.default.createDirectory(atPath: markers, withIntermediateDirectories: true)
        // Default budgets (maxAttempts 1): only the node loss budget lets these jobs run again.
        let spec = scriptJob(
            "echo $TITAN_ATTEMPT >> \(markers)/$TITAN_JOB_ID.started; sleep 4; echo $TITAN_ATTEMPT >> \(markers)/$TITAN_JOB_ID.done",
            cpu: 500, memory: 256 << 20)

        try await cluster.withClient { connection in
            try await connection.watchJobs()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await recorder.record(from: connection) }
                defer { group.cancelAll() }

                var submitted: [JobID] = []
                for _ in 0..<6 {
                    submitted += try await connection.submitAll([spec])
                }
                let ids = submitted
                var placed: [JobID: NodeID] = [:]
                for id in ids { placed[id] = try await connection.job(id).status.node }
                let onW1 = ids.filter { placed[$0] == NodeID("w1") }
                XCTAssertEqual(onW1.count, 4, "placements: \(placed)")
                XCTAssertEqual(ids.filter { placed[$0] == NodeID("w2") }.count, 2, "placements: \(placed)")

                try await waitUntil("all 6 jobs running", timeout: .seconds(10)) {
                    ids.allSatisfy { recorder.events(of: $0).last?.state == .running }
                }
                let killedAt = ContinuousClock.now
                await cluster.process(named: "worker w1")?.kill9()
                // Exec jobs die with their worker (parent-death signal): none of w1's jobs may
                // run on unsupervised while the leader runs them again elsewhere.
                try await waitUntil("w1's job processes gone", timeout: .seconds(5)) {
                    jobProcesses(workingUnder: cluster.root + "/work-w1").isEmpty
                }

                // The lease runs out (TTL 2 s), the leader requeues w1's jobs as attempt 2 and
                // places them on w2.
                try await waitUntil("w1's jobs running again on w2", timeout: .seconds(15)) {
                    onW1.allSatisfy { id in
                        guard let last = recorder.events(of: id).last else { return false }
                        return last.state == .running && last.node == NodeID("w2") && last.attempt == 2
                    }
                }
                let movedAfter = ContinuousClock.now - killedAt
                print("ClusterTests: w1's jobs ran again on w2 \(movedAfter) after SIGKILL (lease TTL \(cluster.leaseTTL) s)")
                // The TTL, the leader's hold of a lost node's jobs (1.5 s: its attempts die first), a
                // start, and the time kill9 took to see the worker reaped.
                XCTAssertLessThan(movedAfter, .seconds(cluster.leaseTTL + 6), "jobs of a lost node must run elsewhere within lease TTL + a few seconds")

                try await waitUntil("all 6 jobs final", timeout: .seconds(20)) {
                    ids.allSatisfy { recorder.events(of: $0).last?.state.isFinal == true }
                }
                // Give a duplicate final event the chance to show up.
                try await Task.sleep(for: .milliseconds(500))

                for id in ids {
                    let events = recorder.events(of: id)
                    let finals = events.filter(\.state.isFinal)
                    XCTAssertEqual(finals.count, 1, "job \(id) reached a final state \(finals.count) times: \(events.map(\.state))")
                    XCTAssertEqual(events.last?.state, .succeeded, "job \(id): \(events.map(\.state))")
                    for (previous, next) in zip(events, events.dropFirst()) {
                        XCTAssertNotEqual(previous, next, "job \(id): the same event twice in a row: \(events)")
                    }
                    let status = try await connection.job(id).status
                    XCTAssertEqual(status.state, .succeeded, "job \(id)")
                    XCTAssertEqual(status.exitCode, 0, "job \(id)")
                    XCTAssertEqual(status.node, NodeID("w2"), "job \(id)")
                    // The job's own side effects: it finished exactly once, as its last attempt.
                    let done = (try? String(contentsOfFile: "\(markers)/\(id.rawValue).done", encoding: .utf8)) ?? ""
                    XCTAssertEqual(done, "\(status.attempt)\n", "job \(id) completed \(done.split(separator: "\n").count) times")
                    let details = try await connection.job(id)
                    if onW1.contains(id) {
                        XCTAssertEqual(status.attempt, 2, "job \(id) was moved off w1")
                        XCTAssertEqual(status.epoch, Epoch(2), "job \(id) was moved off w1")
                        XCTAssertEqual(status.nodeLosses, 1, "job \(id)")
                        XCTAssertEqual(status.failures, 0, "a node loss is not the job's failure: job \(id)")
                        XCTAssertEqual(details.attempts.map(\.outcome), [.nodeLost, .succeeded], "job \(id)")
                        XCTAssertEqual(details.attempts.first?.node, NodeID("w1"), "job \(id)")
                    } else {
                        XCTAssertEqual(status.attempt, 1, "job \(id) stayed on w2")
                        XCTAssertEqual(status.epoch, Epoch(1), "job \(id) stayed on w2")
                    }
                }
            }
        }
    }
}
