import ClusterModel
import EtcdClient
import Foundation
import TitanClient
import TitanTestSupport
import XCTest

/// Finished jobs and their logs leave etcd after the retention period; live ones stay
/// (etcd stays far below its quota).
final class RetentionTests: ClusterTestCase {
    func testFinishedJobsAndTheirLogsAreDeletedAfterTheRetentionAndLiveOnesStay() async throws {
        try await startCluster(workers: [("w1", "2", "2Gi")], masterFlags: ["--retention", "3s"])
        let cluster = self.cluster!
        let ids = try await cluster.withClient {
            try await $0.submitAll([scriptJob("seq 1 1000"), scriptJob("sleep 60")])
        }
        let (done, live) = (ids[0], ids[1])
        try await waitUntil("the short job final", timeout: .seconds(20)) { try await cluster.job(done).status.state.isFinal }
        let logs = try await cluster.etcd.range(prefix: Keys.logs(of: done))
        XCTAssertFalse(logs.kvs.isEmpty, "its output was archived")
        let finished = ContinuousClock.now
        try await waitUntil("the finished job gone from etcd", timeout: .seconds(20)) {
            try await cluster.etcd.get(Keys.job(done)) == nil
        }
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - finished, .seconds(2), "not before its retention")
        let left = try await cluster.etcd.range(prefix: Keys.logs(of: done))
        XCTAssertEqual(left.kvs.count, 0, "its logs went with it")
        let running = try await cluster.etcd.get(Keys.job(live))
        XCTAssertNotNil(running, "a running job is kept")
        let status = try await runProgram(
            cluster.binaries + "/titan-cli", ["status", done.rawValue, "--etcd", cluster.etcdEndpoint, "--token-file", cluster.tokenFile],
            in: cluster.root)
        XCTAssertEqual(status.exitCode, 1, "a deleted job is unknown: \(status.stdout)")
        _ = try await cluster.withClient { try await $0.cancel(live) }
    }
}
