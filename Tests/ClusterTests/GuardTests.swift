import ClusterModel
import DockerClient
import Foundation
import TitanClient
import TitanTestSupport
import XCTest

/// No attempt outlives its worker's lease: the node guard kills the containers and exec jobs of
/// a worker that was SIGKILLed or frozen, about one TTL after its last renewal; the jobs run
/// again elsewhere and each completes once, counted by the jobs' own marker files.
final class GuardTests: ClusterTestCase {
    override var usesDocker: Bool { true }

    /// Jobs that say each start and each completion on stdout, and (exec jobs, which see the
    /// host's files) also in marker files under `markers`.
    private func markedJobs(_ count: Int, markers: String, seconds: Int) -> [JobSpec] {
        let mark = "[ -d \(markers) ] && echo $TITAN_ATTEMPT >> \(markers)/$TITAN_JOB_ID"
        let script = "echo start $TITAN_ATTEMPT; \(mark).started; sleep \(seconds); echo done $TITAN_ATTEMPT; \(mark).done; true"
        return (0..<count).map { index in
            var spec = index % 2 == 0 ? dockerJob(script, cpu: 500, memory: 64 << 20) : scriptJob(script, cpu: 500, memory: 64 << 20)
            spec.name = "guarded-\(index)"
            return spec
        }
    }

    private static func containers(onNode node: String) async throws -> [ContainerSummary] {
        try await DockerClient(socketPath: TestServices.dockerSocket).listContainers(labels: ["titan.node": node], all: false)
    }

    private func runScenario(fault: (ManagedProcess) async -> Void, heal: ((ManagedProcess) async throws -> Void)? = nil) async throws {
        // w1 is smaller: binpack places the jobs there first.
        try await startCluster(workers: [("w1", "2", "2Gi"), ("w2", "4", "4Gi")])
        let cluster = self.cluster!
        let markers = cluster.root + "/markers"
        try FileManager.default.createDirectory(atPath: markers, withIntermediateDirectories: true)
        let specs = markedJobs(4, markers: markers, seconds: 6)
        let ids = try await cluster.withClient { try await $0.submitAll(specs) }
        try await waitUntil("4 jobs running on w1", timeout: .seconds(30)) {
            for id in ids {
                let status = try await cluster.job(id).status
                if status.state != .running || status.node != NodeID("w1") { return false }
            }
            return true
        }
        let running = try await Self.containers(onNode: "w1")
        XCTAssertEqual(running.count, 2, "the two docker jobs run as containers on w1")
        let w1 = try XCTUnwrap(cluster.process(named: "worker w1"))
        let faultAt = ContinuousClock.now
        await fault(w1)

        // Within TTL + 2 s nothing of w1's runs any more: not its containers, not its exec jobs.
        try await waitUntil("w1's containers and exec jobs gone", timeout: .seconds(Int64(cluster.leaseTTL) + 2)) {
            try await Self.containers(onNode: "w1").isEmpty && jobProcesses(workingUnder: cluster.root + "/work-w1").isEmpty
        }
        print("ClusterTests: w1's attempts were gone \(ContinuousClock.now - faultAt) after the fault (lease TTL \(cluster.leaseTTL) s)")
        if let heal { try await heal(w1) }

        try await waitUntil("every job final", timeout: .seconds(60)) {
            for id in ids where try await !cluster.job(id).status.state.isFinal { return false }
            return true
        }
        for (index, id) in ids.enumerated() {
            let details = try await cluster.job(id)
            XCTAssertEqual(details.status.state, .succeeded, "job \(id): \(details.status)")
            XCTAssertNotNil(details.status.node, "job \(id)")
            XCTAssertEqual(details.status.nodeLosses, 1, "job \(id)")
            if index % 2 == 1 {
                // Exec jobs: their own markers say each completed exactly once, as attempt 2.
                let done = (try? String(contentsOfFile: "\(markers)/\(id.rawValue).done", encoding: .utf8)) ?? ""
                XCTAssertEqual(done, "2\n", "exec job \(id) completed: \(done.debugDescription)")
            } else {
                // Docker jobs: the killed first attempt never said done; the second said it once.
                let first = try await runProgram(
                    cluster.binaries + "/titan-cli", ["logs", id.rawValue, "--attempt", "1", "--etcd", cluster.etcdEndpoint, "--token-file", cluster.tokenFile],
                    in: cluster.root)
                XCTAssertEqual(first.stdout, "start 1\n", "docker job \(id)'s first attempt")
                let last = try await cluster.logs(id)
                XCTAssertEqual(last.stdout, "start 2\ndone 2\n", "docker job \(id)'s second attempt")
            }
        }
        let left = try await Self.containers(onNode: "w1")
        XCTAssertEqual(left.count, 0)
    }

    func testTheAttemptsOfASIGKILLedWorkerDieWithItsLease() async throws {
        try await runScenario(fault: { $0.send(SIGKILL) })
    }

    func testTheAttemptsOfAFrozenWorkerDieWithItsLeaseAndItRejoinsWhenThawed() async throws {
        try await runScenario(
            fault: { $0.send(SIGSTOP) },
            heal: { w1 in
                let cluster = self.cluster!
                w1.send(SIGCONT)
                // Thawed, it finds its lease gone and joins again as a new incarnation.
                try await cluster.waitForNodes(2, timeout: .seconds(20))
            })
    }
}
