import ClusterModel
import DockerClient
import Foundation
import TitanClient
import WireProtocol
import TitanTestSupport
import XCTest

/// Docker jobs through the real binaries and the real dockerd: exit codes, an OOM kill that
/// `titan-cli status` reports, a missing image, a cancel that kills the container, and nothing
/// left behind.
final class DockerJobTests: ClusterTestCase {
    override var usesDocker: Bool { true }

    /// Containers labelled for one of `ids`.
    private static func containers(of ids: [JobID]) async throws -> [ContainerSummary] {
        let names = Set(ids.map(\.rawValue))
        return try await DockerClient(socketPath: TestServices.dockerSocket).listContainers(labels: ["titan.job": nil]).filter { names.contains($0.labels["titan.job"] ?? "") }
    }

    func testExitCodesOutOfMemoryMissingImageAndCancel() async throws {
        try await startCluster(workers: [("w1", "4", "4Gi")])
        let cluster = self.cluster!
        var missing = dockerJob("true")
        missing.image = "titan/no-such-image-\(UUID().uuidString.prefix(8).lowercased()):1"
        let specs = [
            dockerJob("exit 0"),
            dockerJob("exit 3"),
            dockerJob("head -c 64m /dev/zero | tail", memory: 8 << 20),
            missing,
            dockerJob("sleep 60"),
        ]
        let ids = try await cluster.withClient { try await $0.submitAll(specs) }
        let (succeeded, three, oom, noImage, long) = (ids[0], ids[1], ids[2], ids[3], ids[4])

        try await waitUntil("the sleeping container running", timeout: .seconds(30)) {
            try await cluster.job(long).status.state == .running
        }
        let running = try await Self.containers(of: [long])
        XCTAssertEqual(running.count, 1, "one container for the running job: \(running)")
        let cancel = try await cluster.withClient { try await $0.cancel(long) }
        XCTAssertEqual(cancel.outcome, .cancelled)
        try await waitUntil("the cancelled job's container gone", timeout: .seconds(15)) {
            try await Self.containers(of: [long]).isEmpty
        }

        try await waitUntil("every job final", timeout: .seconds(60)) {
            for id in ids where try await !cluster.job(id).status.state.isFinal { return false }
            return true
        }
        let statuses = try await cluster.withClient { connection in
            try await ids.asyncMap { try await connection.job($0).status }
        }
        XCTAssertEqual(statuses[0].state, .succeeded, "\(succeeded): \(statuses[0])")
        XCTAssertEqual(statuses[1].state, .failed, "\(three): \(statuses[1])")
        XCTAssertEqual(statuses[1].exitCode, 3)
        XCTAssertEqual(statuses[2].state, .failed, "\(oom): \(statuses[2])")
        XCTAssertTrue(statuses[2].message.contains("killed: out of memory"), "\(oom): \(statuses[2].message)")
        XCTAssertEqual(statuses[3].state, .failed, "\(noImage): \(statuses[3])")
        XCTAssertEqual(statuses[3].exitCode, 125)
        XCTAssertTrue(statuses[3].message.contains("\(missing.image!) is not present and could not be pulled"), statuses[3].message)
        XCTAssertEqual(statuses[4].state, .cancelled)

        // What a user sees for the OOM-killed job.
        let status = try await runProgram(
            cluster.binaries + "/titan-cli",
            ["status", oom.rawValue, "--etcd", cluster.etcdEndpoint, "--token-file", cluster.tokenFile],
            in: cluster.root)
        XCTAssertEqual(status.exitCode, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("killed: out of memory"), status.stdout)

        try await waitUntil("no container of these jobs left", timeout: .seconds(20)) {
            try await Self.containers(of: ids).isEmpty
        }
    }
}

/// A worker stopped with SIGTERM (here with `--drain-timeout 1s`, so the drain ends at once)
/// kills and removes its containers and revokes its lease, so its jobs run again at once on
/// another node.
final class WorkerStopTests: ClusterTestCase {
    override var usesDocker: Bool { true }

    func testAGracefullyStoppedWorkerRemovesItsContainersAndItsJobsRunElsewhere() async throws {
        // w1 is smaller, so binpack places the job there first.
        let cluster = self.cluster!
        try cluster.startMaster("m1")
        try await cluster.waitForLeader("m1")
        try cluster.startWorker("w1", cpu: "2", memory: "2Gi", extra: ["--drain-timeout", "1s"])
        try cluster.startWorker("w2", cpu: "4", memory: "4Gi")
        try await cluster.waitForNodes(2)
        let docker = DockerClient(socketPath: TestServices.dockerSocket)
        let id = try await cluster.withClient { try await $0.submitAll([dockerJob("sleep 60", maxAttempts: 2)]) }[0]
        try await waitUntil("the job running on w1", timeout: .seconds(30)) {
            let status = try await cluster.job(id).status
            return status.state == .running && status.node == NodeID("w1")
        }
        let clock = ContinuousClock()
        let stopping = clock.now
        await cluster.process(named: "worker w1")?.stop(grace: .seconds(10))
        XCTAssertLessThan(clock.now - stopping, .seconds(10), "w1 stopped within its grace")
        let onW1 = try await docker.listContainers(labels: ["titan.node": "w1"])
        XCTAssertEqual(onW1.map(\.names), [], "w1 removed its containers on the way out")
        try await waitUntil("the job running again on w2", timeout: .seconds(15)) {
            let status = try await cluster.job(id).status
            return status.state == .running && status.node == NodeID("w2") && status.attempt == 2
        }
        XCTAssertLessThan(clock.now - stopping, .seconds(cluster.leaseTTL + 8), "the revoked lease moved the job without waiting for its TTL")
        _ = try await cluster.withClient { try await $0.cancel(id) }
        try await waitUntil("no container of the job left", timeout: .seconds(20)) {
            try await docker.listContainers(labels: ["titan.job": id.rawValue]).isEmpty
        }
    }
}

/// A worker killed with SIGKILL and started again before its lease ends: it carries the lease
/// on, adopts the container that still runs its assignment (which then ends once, as attempt
/// 1), removes a container no longer assigned to it, and the exec job that died with it runs
/// again as attempt 2.
final class WorkerRestartTests: ClusterTestCase {
    override var leaseTTL: Int { 6 }
    override var usesDocker: Bool { true }

    func testARestartedWorkerAdoptsItsContainerRemovesStrangersAndRerunsWhatDied() async throws {
        try await startCluster(workers: [("w1", "4", "4Gi")])
        let cluster = self.cluster!
        let docker = DockerClient(socketPath: TestServices.dockerSocket)
        let recorder = EventRecorder()
        try await cluster.withClient { connection in
            try await connection.watchJobs()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await recorder.record(from: connection) }
                defer { group.cancelAll() }

                let ids = try await connection.submitAll([
                    dockerJob("sleep 6; exit 5"),
                    execJob(["sleep", "3"], maxAttempts: 2),
                ])
                let (container, exec) = (ids[0], ids[1])
                try await waitUntil("both jobs running", timeout: .seconds(30)) {
                    ids.allSatisfy { recorder.events(of: $0).last?.state == .running }
                }
                let before = try await docker.listContainers(labels: ["titan.job": container.rawValue])
                XCTAssertEqual(before.count, 1)

                await cluster.process(named: "worker w1")?.kill9()
                // A container labelled for w1 whose attempt etcd does not assign there.
                let stranger = try await docker.createContainer(ContainerSpec(
                    image: JobSpec.defaultImage, command: ["sleep", "60"],
                    labels: ["titan.job": "\(container.rawValue)-stranger", "titan.node": "w1", "titan.attempt": "1", "titan.epoch": "1"]))
                _ = try await docker.startContainer(stranger)
                try cluster.startWorker("w1", cpu: "4", memory: "4Gi")

                try await waitUntil("the stranger removed", timeout: .seconds(20)) {
                    try await docker.listContainers(labels: ["titan.job": "\(container.rawValue)-stranger"]).isEmpty
                }
                try await waitUntil("both jobs final", timeout: .seconds(40)) {
                    ids.allSatisfy { recorder.events(of: $0).last?.state.isFinal == true }
                }
                try await Task.sleep(for: .milliseconds(500))

                let adopted = try await connection.job(container).status
                XCTAssertEqual(adopted.state, .failed, "\(adopted)")
                XCTAssertEqual(adopted.exitCode, 5, "the adopted container's own exit code")
                XCTAssertEqual(adopted.attempt, 1, "adopted, not run again: \(recorder.events(of: container))")
                XCTAssertEqual(recorder.events(of: container).filter(\.state.isFinal).count, 1)

                let rerun = try await connection.job(exec).status
                XCTAssertEqual(rerun.state, .succeeded, "\(rerun)")
                XCTAssertEqual(rerun.attempt, 2, "the exec job died with its worker and ran again: \(recorder.events(of: exec))")

                let nodes = try await connection.nodes()
                XCTAssertEqual(nodes.map(\.descriptor.id), [NodeID("w1")], "still one node, never lost")

                try await waitUntil("no container of w1 left", timeout: .seconds(20)) {
                    try await docker.listContainers(labels: ["titan.node": "w1"]).isEmpty
                }
            }
        }
    }
}

extension WorkerRestartTests {
    /// A container adopted by a restarted worker continues its log where the archive ends:
    /// `titan-cli logs` shows every line once, though the worker was SIGKILLed mid-stream.
    func testAnAdoptedContainersLogContinuesWithoutLossOrRepeats() async throws {
        try await startCluster(workers: [("w1", "4", "4Gi")])
        let cluster = self.cluster!
        let lines = 300
        let id = try await cluster.withClient {
            try await $0.submitAll([dockerJob("i=1; while [ $i -le \(lines) ]; do echo line$i; i=$((i+1)); sleep 0.02; done; echo done >&2")])
        }[0]
        try await waitUntil("the job running", timeout: .seconds(30)) { try await cluster.job(id).status.state == .running }
        try await Task.sleep(for: .seconds(2))
        await cluster.process(named: "worker w1")?.kill9()
        try await Task.sleep(for: .milliseconds(500))
        try cluster.startWorker("w1", cpu: "4", memory: "4Gi")
        try await waitUntil("the job final", timeout: .seconds(60)) { try await cluster.job(id).status.state.isFinal }
        let status = try await cluster.job(id).status
        XCTAssertEqual(status.state, .succeeded, "\(status)")
        XCTAssertEqual(status.attempt, 1, "adopted, not run again")
        let logs = try await cluster.logs(id)
        XCTAssertEqual(logs.exitCode, 0, logs.stderr)
        XCTAssertEqual(logs.stdout, (1...lines).map { "line\($0)\n" }.joined())
        XCTAssertEqual(logs.stderr, "done\n")
    }

    /// A container adopted by a restarted worker keeps its deadline: the job's timeout counts
    /// from when it started running, not from the adoption.
    func testAnAdoptedContainerKeepsItsTimeout() async throws {
        try await startCluster(workers: [("w1", "4", "4Gi")])
        let cluster = self.cluster!
        var spec = dockerJob("sleep 60")
        spec.timeoutSeconds = 8
        let job = spec
        let id = try await cluster.withClient { try await $0.submitAll([job]) }[0]
        try await waitUntil("the job running", timeout: .seconds(30)) { try await cluster.job(id).status.state == .running }
        let running = try await cluster.job(id).status
        try await Task.sleep(for: .seconds(4))
        await cluster.process(named: "worker w1")?.kill9()
        try cluster.startWorker("w1", cpu: "4", memory: "4Gi")
        try await waitUntil("the job final", timeout: .seconds(40)) { try await cluster.job(id).status.state.isFinal }
        let ended = try await cluster.job(id).status
        XCTAssertEqual(ended.attempt, 1, "adopted, not run again: \(ended)")
        XCTAssertTrue(ended.message.contains("timed out"), "\(ended)")
        // 8 s of timeout and up to 2 s of kill grace; counted from the adoption it would be 15 s.
        let ranFor = Double(ended.updatedAt.rawValue - running.updatedAt.rawValue) / 1000
        XCTAssertLessThan(ranFor, 12.5, "the timeout restarted at the adoption: \(ranFor) s")
    }
}

extension Array {
    /// `map` with an async transform, one element at a time.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self {
            out.append(try await transform(element))
        }
        return out
    }
}
