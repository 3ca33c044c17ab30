import ClusterModel
import Foundation
import TitanClient
import TitanTestSupport
import WireProtocol
import XCTest

/// SIGTERM to a worker drains its node: the leader places nothing more there, a job that ends
/// within `--drain-timeout` finishes there, the one left is stopped and runs again elsewhere as a
/// node loss (not a failure), and the worker exits 0. Started again, the node is schedulable.
final class WorkerDrainTests: ClusterTestCase {
    func testSIGTERMDrainsTheWorkerItsJobsEndOnceAndItComesBackSchedulable() async throws {
        try cluster.startMaster("m1")
        try await cluster.waitForLeader("m1")
        let cluster = self.cluster!
        try cluster.startWorker("w1", cpu: "2", memory: "2Gi", extra: ["--drain-timeout", "3s"])
        try cluster.startWorker("w2", cpu: "4", memory: "4Gi")
        try await cluster.waitForNodes(2)
        let markers = try cluster.markerDirectory()
        let short = markerJob(markers, sleep: "1")
        let long = markerJob(markers, sleep: "$([ $TITAN_ATTEMPT = 1 ] && echo 60 || echo 1)")
        let ids = try await cluster.withClient { try await $0.submitAll([short, long]) }
        for id in ids { try await cluster.waitForJob(id, "running on w1") { $0.state == .running && $0.node == "w1" } }

        let worker = try XCTUnwrap(cluster.process(named: "worker w1"))
        let stopping = ContinuousClock.now
        worker.send(SIGTERM)
        try await waitUntil("the leader sees w1 stopping", timeout: .seconds(5)) {
            let nodes = try await cluster.withClient { try await $0.nodes() }
            return nodes.first { $0.id == "w1" }?.drain?.origin == .worker
        }
        let meanwhile = try await cluster.withClient { try await $0.submitAll([markerJob(markers, sleep: "0")]) }[0]
        try await cluster.waitForJob(meanwhile, "succeeded") { $0.state == .succeeded }
        let nodeMeanwhile = try await cluster.job(meanwhile).status.node
        XCTAssertEqual(nodeMeanwhile, "w2", "a stopping worker gets no new job")

        // The drain timeout (3 s), the kill, and the acknowledgement of the stopped job.
        let exited = await worker.waitForExit(timeout: .seconds(12))
        XCTAssertTrue(exited, "w1 exits within its drain timeout and a few seconds")
        XCTAssertEqual(worker.exitCode, 0)
        print("ClusterTests: w1 exited \(ContinuousClock.now - stopping) after SIGTERM (drain timeout 3 s)")

        let (finishedThere, moved) = (ids[0], ids[1])
        try await cluster.waitForJob(finishedThere, "succeeded") { $0.state == .succeeded }
        let nodeFinishedthere = try await cluster.job(finishedThere).status.node
        XCTAssertEqual(nodeFinishedthere, "w1", "the short job finished on w1")
        XCTAssertEqual(markerLines(markers, finishedThere, "done"), ["1"])
        try await cluster.waitForJob(moved, "succeeded elsewhere", timeout: .seconds(20)) { $0.state == .succeeded }
        let job = try await cluster.job(moved)
        XCTAssertEqual(job.status.node, "w2")
        XCTAssertEqual(job.status.failures, 0, "a stopped worker's job is not the job's failure")
        XCTAssertEqual(job.status.nodeLosses, 1)
        XCTAssertEqual(markerLines(markers, moved, "done"), ["2"], "the moved job ended exactly once")

        // Started again with the same id: the drain was its own, so it takes jobs again.
        try cluster.startWorker("w1", cpu: "2", memory: "2Gi", name: "worker w1 again")
        try await cluster.waitForNodes(2)
        let nodes = try await cluster.withClient { try await $0.nodes() }
        XCTAssertNil(nodes.first { $0.id == "w1" }?.drain, "a restarted worker comes back schedulable")
    }

    func testASecondSIGTERMStopsAtOnceAndAUsersDrainOutlivesTheRestart() async throws {
        try await startCluster(workers: [("w1", "2", "2Gi"), ("w2", "4", "4Gi")])
        let cluster = self.cluster!
        let markers = try cluster.markerDirectory()
        let id = try await cluster.withClient {
            try await $0.submitAll([markerJob(markers, sleep: "$([ $TITAN_ATTEMPT = 1 ] && echo 60 || echo 1)")])
        }[0]
        try await cluster.waitForJob(id, "running on w1") { $0.state == .running && $0.node == "w1" }
        let drained = try await cluster.cli(["drain", "w1"])
        XCTAssertEqual(drained.exitCode, 0, drained.stderr)

        let worker = try XCTUnwrap(cluster.process(named: "worker w1"))
        worker.send(SIGTERM)  // a drain of the default 30 s…
        try await Task.sleep(for: .milliseconds(500))
        worker.send(SIGTERM)  // …cut short
        let exited = await worker.waitForExit(timeout: .seconds(8))
        XCTAssertTrue(exited, "a second SIGTERM stops the worker at once")
        XCTAssertEqual(worker.exitCode, 0)
        try await cluster.waitForJob(id, "succeeded on w2", timeout: .seconds(20)) { $0.state == .succeeded }
        let job = try await cluster.job(id)
        XCTAssertEqual(job.status.node, "w2")
        XCTAssertEqual(job.status.failures, 0)
        XCTAssertEqual(markerLines(markers, id, "done"), ["2"], "the stopped job ended exactly once")

        try cluster.startWorker("w1", cpu: "2", memory: "2Gi", name: "worker w1 again")
        try await cluster.waitForNodes(2)
        let nodes = try await cluster.withClient { try await $0.nodes() }
        XCTAssertEqual(nodes.first { $0.id == "w1" }?.drain?.origin, .user, "the user's drain outlives the worker's restart")
    }
}
