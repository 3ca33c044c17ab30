import ClusterModel
import Foundation
import TitanClient
import TitanTestSupport
import XCTest

/// Placement through the real master and workers, and cancellation down to the
/// job's process.
final class BinpackTests: ClusterTestCase {
    /// Two equal nodes, jobs of 500m/256Mi submitted one at a time. binpack scores
    /// `(allocated + request) * 100 / capacity` per resource and averages:
    /// ```
    /// job 1: w1 = (500*100/2000 + 256Mi*100/2Gi)/2 = (25+12)/2 = 18 = w2 → tie → smallest id, w1
    /// job 2: w1 = (1000*100/2000 + 512Mi*100/2Gi)/2 = (50+25)/2 = 37 > w2 18 → w1
    /// job 5: w1 has 0m free CPU → only w2 fits; jobs 6–8 then prefer the fuller w2
    /// ```
    /// Cancelling each job leaves it `cancelled`, kills its process, and frees the capacity.
    func testJobsFillTheFirstNodeThenTheSecondAndCancelKillsTheirProcesses() async throws {
        try await startCluster(workers: [("w1", "2", "2Gi"), ("w2", "2", "2Gi")])
        let cluster = self.cluster!
        let pidDir = cluster.root + "/pids"
        try FileManager.default.createDirectory(atPath: pidDir, withIntermediateDirectories: true)
        // The shell writes its PID and execs sleep, so the PID is the job's process.
        let spec = scriptJob("echo $$ > \"$PID_DIR/$TITAN_JOB_ID\"; exec sleep 30", cpu: 500, memory: 256 << 20, environment: ["PID_DIR": pidDir])

        var submitted: [JobID] = []
        var nodes: [String] = []
        for _ in 0..<8 {
            let id = try await cluster.withClient { try await $0.submitAll([spec]) }[0]
            let status = try await cluster.job(id).status
            XCTAssertTrue([.scheduled, .running].contains(status.state), "job \(id) is \(status.state) right after submission")
            submitted.append(id)
            nodes.append(status.node?.rawValue ?? "none")
        }
        let ids = submitted
        XCTAssertEqual(nodes, ["w1", "w1", "w1", "w1", "w2", "w2", "w2", "w2"])

        // Every job runs and has written its PID.
        let pids = try await waitFor("8 jobs running with their PID files", timeout: .seconds(15)) { () -> [JobID: Int32]? in
            let states = try await cluster.withClient { try await $0.allJobs() }
            guard ids.allSatisfy({ states[$0]?.state == .running }) else { return nil }
            var pids: [JobID: Int32] = [:]
            for id in ids {
                let text = (try? String(contentsOfFile: "\(pidDir)/\(id.rawValue)", encoding: .utf8)) ?? ""
                pids[id] = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return pids.count == ids.count ? pids : nil
        }
        for (id, pid) in pids {
            XCTAssertTrue(processExists(pid), "the process \(pid) of job \(id) does not run")
        }

        let finalPIDs = pids
        try await cluster.withClient { connection in
            for id in ids {
                let result = try await connection.cancel(id)
                XCTAssertEqual(result.outcome, .cancelled, "cancel \(id)")
                XCTAssertEqual(result.state, .cancelled, "cancel \(id)")
                let recorded = try await connection.job(id).status.state
                XCTAssertEqual(recorded, .cancelled, "recorded state of \(id)")
            }
            // A second cancel finds the job final.
            let again = try await connection.cancel(ids[0])
            XCTAssertEqual(again.outcome, .alreadyFinal)
        }
        try await waitUntil("every cancelled job's process to be gone", timeout: .seconds(8)) {
            finalPIDs.values.allSatisfy { !processExists($0) }
        }
        let after = try await cluster.withClient { try await $0.nodes() }
        for node in after {
            XCTAssertEqual(node.allocated, .zero, "node \(node.id) still holds capacity after every job was cancelled")
            XCTAssertEqual(node.jobCount, 0, "node \(node.id)")
        }
    }
}
