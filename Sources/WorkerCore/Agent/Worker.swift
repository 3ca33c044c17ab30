import ClusterModel
import EtcdClient
import Foundation
import Glibc
import Logging
import NIOCore
import NIOPosix
import StageTrace
import Synchronization
import TitanClient
import WireProtocol

/// A Titan worker: registers its node under a lease and keeps it alive (the heartbeat), holds
/// one session with the leader, and runs what it is assigned.
///
/// Each *incarnation* lives as long as one lease. Losing the lease (the worker was paused or cut
/// off and the leader has given its jobs to others) kills every job of the incarnation; the
/// worker then registers again under a new lease and starts clean. A process that starts while
/// the lease of an earlier, crashed process of its node still lives carries that incarnation on,
/// adopting the containers that still run (see `incarnation`).
public struct Worker: Sendable {
    let configuration: WorkerConfiguration
    let runtimes: [Runtime: any JobRuntime]
    let logger: Logger
    /// The node guard, told of every renewal and exec job (``NodeGuard``).
    let guardLink: GuardLink
    let metrics: WorkerMetrics
    let etcdObserver: EtcdClient.RequestObserver?
    /// Which incarnation a shutdown (``drain(timeout:)``, ``stopJobs()``) acts on.
    let shutdown = ShutdownControl()

    /// Creates a worker with the runtimes it offers; `guardLauncher` starts its node guard when
    /// none runs for its work directory (nil: no guard is started). It records into `metrics`,
    /// and `etcdObserver` is told of every etcd request.
    public init(
        configuration: WorkerConfiguration, runtimes: [any JobRuntime], logger: Logger, guardLauncher: GuardLink.Launcher? = nil,
        metrics: WorkerMetrics = WorkerMetrics(), etcdObserver: EtcdClient.RequestObserver? = nil
    ) {
        self.configuration = configuration
        self.metrics = metrics
        self.etcdObserver = etcdObserver
        self.runtimes = Dictionary(runtimes.map { ($0.kind, $0) }, uniquingKeysWith: { first, _ in first })
        self.logger = logger
        self.guardLink = GuardLink(workRoot: configuration.workRoot, launcher: guardLauncher, logger: logger)
    }

    /// Runs until cancelled; on the way out the lease is revoked so the leader re-places the
    /// node's jobs at once.
    ///
    /// Throws at once — the process should exit — when another worker already is this node
    /// (``NodeIdentity``).
    public func run() async throws {
        let identity = NodeIdentity(node: configuration.nodeID, workRoot: configuration.workRoot)
        let lock = try identity.lockWorkDirectory()
        defer { close(lock) }
        await guardLink.start()
        let etcd = EtcdClient(endpoints: configuration.etcdEndpoints, observer: etcdObserver)
        defer { etcd.shutdown() }
        var backoff = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                try await incarnation(etcd, identity: identity)
                backoff = .milliseconds(200)
            } catch is CancellationError {
                return
            } catch let error as NodeIdentity.Duplicate {
                throw error
            } catch EtcdError.leaseLost(let id) {
                logger.warning("the node lease was lost; killing this incarnation's jobs and registering again", metadata: ["lease": "\(id)"])
            } catch {
                if Task.isCancelled { return }
                logger.warning("worker incarnation ended; starting again", metadata: ["error": "\(error)", "retry.in": "\(backoff)"])
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }

    /// One incarnation: settles what an earlier process left, registers under a lease (the earlier
    /// process's if it still lives, else a new one), then keeps the lease alive, runs the session
    /// and supervises the jobs until one of them ends.
    ///
    /// A node record still in etcd was written by an earlier process of this node that died
    /// without revoking its lease (a crash, a SIGKILL): the record exists only while that lease
    /// lives, so the leader has not moved the node's jobs yet. This process carries the lease on
    /// and adopts what still runs (``Reconciliation``); the leader re-runs the rest when the
    /// session says `Synced`.
    private func incarnation(_ etcd: EtcdClient, identity: NodeIdentity) async throws {
        let nodeKey = Keys.node(configuration.nodeID)
        var earlierLease = try await etcd.get(nodeKey).map(\.lease).flatMap { $0 != 0 ? $0 : nil }
        if let lease = earlierLease, lease != identity.recordedLease() {
            // Not this host's earlier process: a live duplicate, or a crashed worker elsewhere.
            logger.warning("node record held by a lease this host did not register; waiting to see whether it is renewed", metadata: ["lease": "\(lease)"])
            try await identity.waitOutForeignLease(lease, ttlSeconds: configuration.leaseTTLSeconds, etcd: etcd)
            earlierLease = nil
        }
        // Renewed at once, so that it outlives the reconciliation even if it was about to end.
        if let lease = earlierLease, try await etcd.keepAliveOnce(id: lease) <= 0 {
            earlierLease = nil
        }
        let adopted = try await Reconciliation(etcd: etcd, node: configuration.nodeID, runtimes: runtimes, logger: logger)
            .run(continuing: earlierLease != nil)
        let leaseID: Int64
        if let earlierLease {
            leaseID = earlierLease
        } else {
            leaseID = try await etcd.grantLease(ttl: configuration.leaseTTLSeconds).id
        }
        // An incarnation carried on keeps the time it first registered (the AGE `nodes` shows).
        let carriedOn = earlierLease == nil ? nil : try? await etcd.get(nodeKey).flatMap { try? JSONDecoder().decode(NodeDescriptor.self, from: Data($0.value)) }
        let descriptor = NodeDescriptor(
            id: configuration.nodeID,
            address: ProcessInfo.processInfo.hostName,
            capacity: configuration.capacity,
            labels: configuration.labels,
            runtimes: Set(runtimes.keys),
            version: "titan/0.1",
            registeredAt: carriedOn?.registeredAt ?? UnixMillis(UInt64(Date().timeIntervalSince1970 * 1000))
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try identity.record(lease: leaseID)
        await guardLink.send(.renewed(lease: leaseID))
        // Fails when the earlier lease ended since it was read: the next incarnation starts afresh.
        try await etcd.put(key: nodeKey, value: Array(try encoder.encode(descriptor)), lease: leaseID)
        logger.info(
            earlierLease == nil ? "registered" : "registered again under the lease of an earlier process",
            metadata: ["node.id": "\(configuration.nodeID.rawValue)", "lease": "\(leaseID)", "capacity": "\(configuration.capacity)"])

        let (launches, launchContinuation) = AsyncStream.makeStream(of: WorkerState.Launch.self)
        let state = WorkerState(node: configuration.nodeID, lease: leaseID, logger: logger, launches: launchContinuation)
        for adoption in adopted {
            await state.adopt(adoption.request, alreadyRan: adoption.alreadyRan)
        }
        if let deadline = shutdown.attach(state) {
            await state.beginStopping(until: deadline)
        }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                defer { group.cancelAll() }
                group.addTask { [guardLink] in
                    do {
                        try await etcd.keepAlive(id: leaseID) { await guardLink.send(.renewed(lease: leaseID)) }
                    } catch {
                        // Fenced before the jobs die with the incarnation: their ends are not reported.
                        await state.fence()
                        throw error
                    }
                }
                group.addTask { await supervise(launches, state: state, etcd: etcd, lease: leaseID) }
                group.addTask { try await Session(configuration: configuration, etcd: etcd, state: state, logger: logger, metrics: metrics).run() }
                try await group.next()
            }
        } catch {
            launchContinuation.finish()
            await etcd.revokeLeaseOnExit(id: leaseID)
            // Every job of the incarnation is dead: the guard has nothing left to kill for it.
            await guardLink.send(.released(lease: leaseID))
            throw error
        }
        launchContinuation.finish()
    }

    /// Starts every launched job as a child task; cancelling this ends (kills) them all.
    private func supervise(_ launches: AsyncStream<WorkerState.Launch>, state: WorkerState, etcd: EtcdClient, lease: Int64) async {
        await withDiscardingTaskGroup { group in
            for await launch in launches {
                let request = launch.request
                guard let runtime = runtimes[request.spec.runtime] else {
                    metrics.runtimeError(request.spec.runtime, .unsupported)
                    group.addTask {
                        await state.exited(request.job, epoch: request.epoch, status: ExitStatus(code: -1, reason: "node \(request.node.rawValue) does not offer the \(request.spec.runtime.rawValue) runtime"))
                    }
                    continue
                }
                group.addTask {
                    let output: JobOutputHandler = { [metrics] stream, bytes in
                        guard bytes.readableBytes > 0 else { return }
                        metrics.read(bytes.readableBytes, from: stream)
                        await state.log(request.job, epoch: request.epoch, stream: stream, output: bytes)
                    }
                    var resumeAfter: OutputOffsets?
                    if launch.resume {
                        guard let archived = await resumePoint(of: request, state: state, etcd: etcd) else { return }
                        resumeAfter = archived.offsets
                    }
                    let group = Mutex<Int32?>(nil)
                    let launched = ContinuousClock.now
                    let running = Mutex(false)
                    let runner = JobRunner(runtime: runtime, request: request, kill: launch.kill, resumeAfter: resumeAfter, alreadyRan: launch.alreadyRan, output: output) { started in
                        StageTrace.mark(.processStarted, request.job.rawValue)
                        running.withLock { $0 = true }
                        metrics.started(runtime.kind, after: .now - launched)
                        // An exec job's process group dies with the lease even if this worker cannot kill it.
                        if let id = started.processGroup, let start = GuardLink.startTime(of: id) {
                            group.withLock { $0 = id }
                            await guardLink.send(.execStarted(lease: lease, group: GuardBook.Group(id: id, startTime: start)))
                        }
                        await state.started(request.job, epoch: request.epoch)
                    }
                    let status = await runner.run()
                    StageTrace.mark(.processExited, request.job.rawValue)
                    let wasRunning = running.withLock { $0 }
                    metrics.ended(runtime.kind, status: status, wasRunning: wasRunning)
                    if status.lostByInfrastructure { metrics.runtimeError(runtime.kind, wasRunning ? .supervise : .start) }
                    if let id = group.withLock({ $0 }) {
                        await guardLink.send(.execEnded(group: id))
                    }
                    await state.exited(request.job, epoch: request.epoch, status: status)
                    // The container holds the output too; it goes once the archive has it all.
                    await state.outputDurable(request.job, epoch: request.epoch)
                    do {
                        try await runtime.release(request)
                    } catch {
                        metrics.runtimeError(runtime.kind, .release)
                        // The next incarnation's reclaim removes what is left.
                        logger.warning("could not remove what the job left", metadata: ["job.id": "\(request.job.rawValue)", "job.attempt": "\(request.attempt)", "error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Where an adopted attempt's output resumes: once the first session is welcomed, what the
    /// archive holds of it (``ArchivedOutput``), read again every second while etcd fails; its
    /// window then numbers chunks from there. `nil` when the incarnation ends first.
    private func resumePoint(of request: RunRequest, state: WorkerState, etcd: EtcdClient) async -> ArchivedOutput? {
        await state.firstSessionWelcomed()
        while !Task.isCancelled {
            do {
                let archived = try await ArchivedOutput.read(etcd, job: request.job, attempt: request.attempt)
                await state.resumeOutput(request.job, epoch: request.epoch, at: archived.nextSeq)
                logger.info("resuming an adopted attempt's output", metadata: [
                    "job.id": "\(request.job.rawValue)", "job.attempt": "\(request.attempt)", "seq": "\(archived.nextSeq)",
                    "stdout.bytes": "\(archived.offsets.stdout)", "stderr.bytes": "\(archived.offsets.stderr)",
                ])
                return archived
            } catch {
                logger.warning("could not read an adopted attempt's archive; retrying", metadata: ["job.id": "\(request.job.rawValue)", "job.attempt": "\(request.attempt)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
        return nil
    }
}
