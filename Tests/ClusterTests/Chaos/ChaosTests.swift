import ClusterModel
import DockerClient
import Foundation
import TitanClient
import TitanTestSupport
import XCTest

/// The chaos scenarios of `Tools/chaos`, small here (``ChaosSettings/jobs``), full there: each
/// causes a fault under load against the real binaries and counts the jobs' outcomes by their
/// own side effects. With default flags every accepted job must succeed exactly once, nothing
/// may be left behind, and a node or leader loss must be recovered from within TTL + 2 s.
class ChaosTestCase: ClusterTestCase {
    override var usesDocker: Bool { true }

    /// Starts w1 (room for half the jobs, so binpack fills it first) and w2 (room for all).
    func startWorkers(jobs: Int, masters: [String] = ["m1"]) async throws {
        try cluster.startMaster(masters[0])
        try await cluster.waitForLeader(masters[0])
        for master in masters.dropFirst() { try cluster.startMaster(master) }
        try cluster.startWorker("w1", cpu: "\(max(1, jobs / 2) * 100)m", memory: "8Gi")
        try cluster.startWorker("w2", cpu: "\(jobs * 100 + 100)m", memory: "8Gi")
        try await cluster.waitForNodes(2)
    }

    /// Submits `jobs` marked jobs (alternating exec and docker unless `runtime`) that run long
    /// enough to still run when the last has started (the engine starts a few containers a
    /// second), waits until all run, and returns the run and the jobs on w1.
    func startJobs(_ scenario: String, jobs: Int, runtime: Runtime? = nil, seconds: Int? = nil) async throws -> (ChaosRun, Set<JobID>) {
        let run = try ChaosRun(cluster: cluster, scenario: scenario)
        let ids = try await run.submit(jobs, runtime: runtime, seconds: seconds ?? 6 + jobs / 3)
        let statuses = try await waitFor("\(jobs) chaos jobs running", timeout: .seconds(60 + Int64(jobs) / 2)) { () -> [JobID: JobStatus]? in
            guard let all = await run.statuses(), ids.allSatisfy({ all[$0]?.state == .running }) else { return nil }
            return all
        }
        let onW1 = Set(ids.filter { statuses[$0]?.node == NodeID("w1") })
        XCTAssertFalse(onW1.isEmpty, "binpack put jobs on w1")
        return (run, onW1)
    }

    /// Recovered from a node's loss: every job that ran on it is placed again elsewhere (or final).
    func placedElsewhere(_ run: ChaosRun, _ moved: Set<JobID>) -> @Sendable () async -> Bool {
        {
            guard let all = await run.statuses() else { return false }
            return moved.allSatisfy { id in
                guard let status = all[id] else { return false }
                return status.state.isFinal || (status.state.holdsCapacity && status.node != NodeID("w1"))
            }
        }
    }

    /// Recovered from a leader's or etcd's fault: a master leads and answers.
    func leaderAnswers(_ run: ChaosRun) -> @Sendable () async -> Bool {
        { await run.statuses() != nil }
    }

    /// A worker fault: `fault` hits w1 while jobs run; `heal` (if any) follows the recovery.
    func workerScenario(_ scenario: String, runtime: Runtime?, fault: (ManagedProcess) -> Void, heal: ((ManagedProcess) async throws -> Void)? = nil) async throws {
        let jobs = ChaosSettings.jobs
        try await startWorkers(jobs: jobs)
        let (run, onW1) = try await startJobs(scenario, jobs: jobs, runtime: runtime)
        let w1 = try XCTUnwrap(cluster.process(named: "worker w1"))
        let faultAt = ContinuousClock.now
        fault(w1)
        let recovery = try await run.recovery(since: faultAt, timeout: .seconds(60), placedElsewhere(run, onW1))
        if let heal { try await heal(w1) }
        try await run.waitAllFinal(timeout: .seconds(120 + Int64(jobs)))
        let outcome = try await run.outcome(recoveryS: recovery, nodes: ["w1", "w2"])
        assertHealed(outcome, recoveryBound: Double(cluster.leaseTTL) + 2)
    }
}

final class ChaosWorkerTests: ChaosTestCase {
    func testWorkerSIGKILLExec() async throws {
        try await workerScenario("worker-sigkill-exec", runtime: .exec, fault: { $0.send(SIGKILL) })
    }

    func testWorkerSIGKILLDocker() async throws {
        try await workerScenario("worker-sigkill-docker", runtime: .docker, fault: { $0.send(SIGKILL) })
    }

    func testWorkerSIGSTOP() async throws {
        try await workerScenario(
            "worker-sigstop", runtime: nil, fault: { $0.send(SIGSTOP) },
            heal: { w1 in
                // Frozen for longer than its TTL, then thawed: it must rejoin as a new incarnation.
                try await Task.sleep(for: .seconds(Int64(self.cluster.leaseTTL) + 1))
                w1.send(SIGCONT)
                try await self.cluster.waitForNodes(2, timeout: .seconds(20))
            })
    }

    func testDuplicateNodeID() async throws {
        let jobs = ChaosSettings.jobs
        try await startWorkers(jobs: jobs)
        let (run, _) = try await startJobs("duplicate-node-id", jobs: jobs)
        let faultAt = ContinuousClock.now
        let duplicate = try cluster.startWorker("w1", cpu: "64", memory: "64Gi", workDir: cluster.root + "/elsewhere-w1", name: "worker w1 duplicate")
        let recovery = try await run.recovery(since: faultAt, timeout: .seconds(Int64(cluster.leaseTTL) + 15)) { !duplicate.isRunning }
        XCTAssertNotEqual(duplicate.exitCode, 0, duplicate.logTail())
        try await run.waitAllFinal(timeout: .seconds(120))
        let outcome = try await run.outcome(recoveryS: recovery, nodes: ["w1", "w2"])
        assertHealed(outcome)
        for id in run.ids {
            let status = try await cluster.job(id).status
            XCTAssertEqual(status.attempt, 1, "job \(id) was not disturbed by the duplicate")
        }
    }
}

final class ChaosLeaderTests: ChaosTestCase {
    func testLeaderSIGKILL() async throws {
        let jobs = ChaosSettings.jobs
        try await startWorkers(jobs: jobs, masters: ["m1", "m2", "m3"])
        let (run, _) = try await startJobs("leader-sigkill", jobs: jobs)
        let faultAt = ContinuousClock.now
        cluster.process(named: "master m1")?.send(SIGKILL)
        // Load keeps coming while no master leads: the client waits for the next leader.
        try await run.submit(jobs, seconds: 2)
        let recovery = try await run.recovery(since: faultAt, timeout: .seconds(30), leaderAnswers(run))
        try await run.waitAllFinal(timeout: .seconds(120 + Int64(jobs)))
        let outcome = try await run.outcome(recoveryS: recovery, nodes: ["w1", "w2"])
        assertHealed(outcome, recoveryBound: Double(cluster.leaseTTL) + 2)
    }
}

final class ChaosEtcdRestartTests: ChaosTestCase {
    func testEtcdSIGKILLAndRestart() async throws {
        let jobs = ChaosSettings.jobs
        try await startWorkers(jobs: jobs)
        let (run, _) = try await startJobs("etcd-restart", jobs: jobs)
        let faultAt = ContinuousClock.now
        await cluster.process(named: "etcd")?.kill9()
        try await Task.sleep(for: .seconds(1))
        try cluster.restartEtcd()
        try await run.submit(jobs, seconds: 2)
        let recovery = try await run.recovery(since: faultAt, timeout: .seconds(60), leaderAnswers(run))
        try await run.waitAllFinal(timeout: .seconds(120 + Int64(jobs)))
        let outcome = try await run.outcome(recoveryS: recovery, nodes: ["w1", "w2"])
        assertHealed(outcome)
    }
}

final class ChaosEtcdMemberLossTests: ChaosTestCase {
    override var etcdMembers: Int { 3 }

    func testOneOfThreeEtcdMembersLost() async throws {
        let jobs = ChaosSettings.jobs
        try await startWorkers(jobs: jobs)
        let (run, _) = try await startJobs("etcd-member-loss", jobs: jobs)
        let faultAt = ContinuousClock.now
        await cluster.process(named: "etcd 1")?.kill9()
        try await run.submit(jobs, seconds: 2)
        let recovery = try await run.recovery(since: faultAt, timeout: .seconds(60), leaderAnswers(run))
        try await run.waitAllFinal(timeout: .seconds(120 + Int64(jobs)))
        let outcome = try await run.outcome(recoveryS: recovery, nodes: ["w1", "w2"])
        assertHealed(outcome)
    }
}

/// A worker on its own test host (a network namespace) cut off by its link for longer than its
/// TTL, then healed: it kills its own attempts when it can no longer renew its lease (and so does
/// its guard), the leader runs them elsewhere, and the worker rejoins as a new incarnation.
final class ChaosPartitionTests: ChaosTestCase {
    private var host: TestHost?

    override func setUp() async throws {
        _ = try await TestServices.requireDocker()
        let host = try await TestHost(index: Int.random(in: 1...250))
        self.host = host
        cluster = try await LocalCluster.start(leaseTTL: leaseTTL, alsoListenOn: host.rootAddress)
    }

    override func tearDown() async throws {
        try await super.tearDown()
        await host?.remove()
        host = nil
    }

    func testWorkerPartition() async throws {
        let host = try XCTUnwrap(self.host)
        let jobs = ChaosSettings.jobs
        // The master listens where the test host can reach it; w1 lives on the test host.
        try cluster.startMaster("m1", host: host.rootAddress)
        try await cluster.waitForLeader("m1")
        try cluster.startWorker("w1", cpu: "\(max(1, jobs / 2) * 100)m", memory: "8Gi", in: host)
        try cluster.startWorker("w2", cpu: "\(jobs * 100 + 100)m", memory: "8Gi")
        try await cluster.waitForNodes(2)
        let (run, onW1) = try await startJobs("worker-partition", jobs: jobs)

        let faultAt = ContinuousClock.now
        try await host.partition()
        let recovery = try await run.recovery(since: faultAt, timeout: .seconds(60), placedElsewhere(run, onW1))
        // Nothing of the cut-off worker runs TTL + 2 s after the cut: it fenced itself.
        let workDir = cluster.root + "/work-w1"
        try await waitUntil("w1's attempts gone while it is cut off", timeout: .seconds(Int64(cluster.leaseTTL) + 2)) {
            let containers = try await DockerClient(socketPath: TestServices.dockerSocket).listContainers(labels: ["titan.node": "w1"], all: false)
            return containers.isEmpty && jobProcesses(workingUnder: workDir).isEmpty
        }
        try await Task.sleep(for: .seconds(Int64(cluster.leaseTTL) + 1))
        try await host.heal()
        try await cluster.waitForNodes(2, timeout: .seconds(30))

        try await run.waitAllFinal(timeout: .seconds(120 + Int64(jobs)))
        let outcome = try await run.outcome(recoveryS: recovery, nodes: ["w1", "w2"])
        assertHealed(outcome, recoveryBound: Double(cluster.leaseTTL) + 2)
    }
}

/// The Docker engine restarted under docker jobs: workers wait for it, follow their containers
/// on (an engine with `--live-restore`, as Titan's scripts start it, keeps them running), and
/// every job completes once. The cluster gets an engine of its own, which the test may restart.
final class ChaosDockerdRestartTests: ChaosTestCase {
    func testDockerdRestart() async throws {
        let jobs = ChaosSettings.jobs
        let engine = try await cluster.startDockerEngine()
        let ownEngine = ["DOCKER_HOST": "unix://\(cluster.dockerSocket)"]
        try cluster.startMaster("m1")
        try await cluster.waitForLeader("m1")
        try cluster.startWorker("w1", cpu: "\(max(1, jobs / 2) * 100)m", memory: "8Gi", environment: ownEngine)
        try cluster.startWorker("w2", cpu: "\(jobs * 100 + 100)m", memory: "8Gi", environment: ownEngine)
        try await cluster.waitForNodes(2)
        // Long enough to print their last line after the engine is back: what a container writes
        // while its engine is down can be lost by the engine itself (its log reader is gone).
        let (run, _) = try await startJobs("dockerd-restart", jobs: jobs, runtime: .docker, seconds: 25 + jobs / 3)
        let faultAt = ContinuousClock.now
        await engine.stop(grace: .seconds(5))
        try await Task.sleep(for: .seconds(2))
        try await cluster.startDockerEngine()
        let socket = cluster.dockerSocket
        let recovery = try await run.recovery(since: faultAt, timeout: .seconds(60)) {
            (try? await DockerClient(socketPath: socket).ping()) != nil
        }
        try await run.waitAllFinal(timeout: .seconds(180 + Int64(jobs)))
        let outcome = try await run.outcome(recoveryS: recovery, nodes: ["w1", "w2"], dockerSocket: socket)
        assertHealed(outcome)
    }
}
