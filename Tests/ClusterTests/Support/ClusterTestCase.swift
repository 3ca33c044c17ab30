import ClusterModel
import Foundation
import Synchronization
import TitanClient
import WireProtocol
import TitanTestSupport
import XCTest

/// A test with its own ``LocalCluster`` (a private etcd, so its own `/titan/v1`), started in
/// `setUp` and stopped in `tearDown`; on failure the tail of every process's log is printed.
/// Nothing is skipped: a missing etcd or binary fails the test with what to do.
class ClusterTestCase: XCTestCase {
    /// This test's cluster (etcd only; the test starts masters and workers).
    var cluster: LocalCluster!

    /// The lease TTL of the cluster's masters and workers, in seconds.
    var leaseTTL: Int { 2 }

    /// Whether this test runs docker jobs: then a missing engine or image fails it at once,
    /// instead of leaving its jobs pending until a wait runs out.
    var usesDocker: Bool { false }

    /// How many members the cluster's private etcd has.
    var etcdMembers: Int { 1 }

    override func setUp() async throws {
        if usesDocker {
            _ = try await TestServices.requireDocker()
        }
        cluster = try await LocalCluster.start(leaseTTL: leaseTTL, etcdMembers: etcdMembers)
    }

    override func tearDown() async throws {
        guard let cluster else { return }
        if (testRun?.totalFailureCount ?? 0) > 0 {
            print("=== logs of \(name) ===\n\(cluster.logTails())\n=== end of logs ===")
        }
        await cluster.shutdown()
        self.cluster = nil
    }

    /// Starts `titan-master m1`, waits until it leads, starts `workers` and waits until every
    /// one is connected to it.
    func startCluster(workers: [(id: String, cpu: String, memory: String)], masterFlags: [String] = []) async throws {
        try cluster.startMaster("m1", extra: masterFlags)
        try await cluster.waitForLeader("m1")
        for worker in workers {
            try cluster.startWorker(worker.id, cpu: worker.cpu, memory: worker.memory)
        }
        try await cluster.waitForNodes(workers.count)
    }
}

/// An exec job running `argv`, with the given request.
func execJob(_ argv: [String], cpu: Int64 = 100, memory: Int64 = 64 << 20, maxAttempts: UInt32 = 1, environment: [String: String] = [:]) -> JobSpec {
    JobSpec(
        runtime: .exec,
        command: .argv(argv),
        environment: environment,
        resources: Resources(cpuMillis: cpu, memoryBytes: memory),
        maxAttempts: maxAttempts
    )
}

/// A docker job (image `busybox:latest`) running a shell script.
func dockerJob(_ script: String, cpu: Int64 = 100, memory: Int64 = 64 << 20, maxAttempts: UInt32 = 1) -> JobSpec {
    JobSpec(
        runtime: .docker,
        command: .script(script),
        resources: Resources(cpuMillis: cpu, memoryBytes: memory),
        maxAttempts: maxAttempts
    )
}

/// An exec job running a shell script.
func scriptJob(_ script: String, cpu: Int64 = 100, memory: Int64 = 64 << 20, maxAttempts: UInt32 = 1, environment: [String: String] = [:]) -> JobSpec {
    JobSpec(
        runtime: .exec,
        command: .script(script),
        environment: environment,
        resources: Resources(cpuMillis: cpu, memoryBytes: memory),
        maxAttempts: maxAttempts
    )
}

extension TitanConnection {
    /// Submits `specs` in one batch and returns their ids; any refusal is a failure.
    func submitAll(_ specs: [JobSpec]) async throws -> [JobID] {
        try await submit(specs).map { outcome in
            switch outcome {
            case let .accepted(id): return id
            case let .rejected(code, message): throw HarnessFailure("the leader refused a job (\(code.name)): \(message)")
            }
        }
    }

    /// Every job the leader lists (live and finished), by id.
    func allJobs() async throws -> [JobID: JobStatus] {
        var result: [JobID: JobStatus] = [:]
        var after: JobID?
        repeat {
            let page = try await listJobs(after: after, limit: 1000)
            for job in page.jobs { result[job.id] = job.status }
            after = page.nextAfter
        } while after != nil
        return result
    }
}

/// Job events pushed to a subscriber, recorded for later assertions.
final class EventRecorder: Sendable {
    private let events = Mutex<[JobEvent]>([])

    /// Records every `JobEvent` on `connection.pushes` until the stream ends or the task is
    /// cancelled.
    func record(from connection: TitanConnection) async {
        for await push in connection.pushes {
            if case let .jobEvent(event) = push {
                events.withLock { $0.append(event) }
            }
        }
    }

    /// Everything recorded so far, in arrival order.
    var all: [JobEvent] {
        events.withLock { $0 }
    }

    /// The events of one job, in arrival order.
    func events(of id: JobID) -> [JobStatus] {
        all.filter { $0.jobID == id }.map(\.status)
    }
}
