import ClusterModel
import DockerClient

/// Runs jobs as containers through the Docker Engine API.
///
/// ## One attempt
/// ```
/// images.ensure ─▶ [gate: create ─▶ attach ─▶ start] ─▶ started(id) ─▶ pump ┐
///                                                         waitContainer ├─▶ (≠ 0: inspect) ─▶ status
///                                          cancellation ─▶ SIGTERM, grace, SIGKILL ┘
/// release(request) ─▶ [gate: remove(force)]          (after the worker has reported the outcome)
/// ```
/// - What the container gets is ``DockerContainerPlan``'s business: argv or `sh -c SCRIPT`,
///   `TITAN_*` variables, `titan.*` labels, CPU and memory limits, network `none` unless the job
///   asks for `host`.
/// - Images are inspected once per runtime, not per attempt (``DockerImages``); a missing image
///   is pulled once. One that cannot be had returns code 125 at once (no retry); a container the
///   engine refuses for the job's sake returns 125, a program that is missing 127, one that is
///   not executable 126. None of these calls `started`.
/// - Output is the container's attached stdout and stderr (attached before the start, so from
///   its first byte), byte-exact and demultiplexed, delivered in chunks of at most 64 KiB; while
///   `output` is suspended nothing more is read (the client's stream pauses its transfer at
///   ``DockerClient/logBufferBytes``, the engine's attach pipe fills, and the container blocks
///   on its write: backpressure, never a drop). The engine's `local` log driver keeps its own
///   copy (100 MB per container): a container adopted after a worker restart is read from it,
///   and operators can still use `docker logs`.
/// - The status is the exit code `wait` returns; only a non-zero code costs an inspect, whose
///   `OOMKilled` gives `oomKilled` and the reason `"killed: out of memory"`.
///
/// ## The engine is the bottleneck
/// On 2 cores dockerd starts a few containers a second. So every call that changes a container
/// (create, start, remove) passes one first-come-first-served ``StartGate`` of
/// ``Configuration/maxConcurrentStarts`` permits, and the exited container is removed only in
/// ``release(_:)``, after the outcome is reported: removals never delay a report, and queue behind
/// the starts already waiting. A stopped container waiting for its removal costs the engine
/// nothing but disk; there are at most as many as attempts assigned.
///
/// ## Failures and cancellation
/// - Engine errors that are not the job's (unreachable, 5xx, a broken log stream) are thrown: the
///   worker is at fault. What was created is force-removed first, as far as the engine answers.
/// - Cancelling the calling task kills the container (SIGTERM, SIGKILL after ``Configuration/killGrace``),
///   still waits for it and delivers its output, and returns with the reason `"cancelled"`.
///   Cancelled before its container ran, `run` returns 137 `"cancelled"` and leaves nothing.
///
/// ## Concurrency
/// Engine calls that must finish even when the caller is cancelled (create, start, the supervision
/// of a running container, removal) run in a task the cancellation does not reach, which `run`
/// awaits to its end; the cancellation is turned into a kill request. Inside, the log pump, the
/// wait and the killer are children of one task group.
public struct DockerRuntime: JobRuntime {
    /// The settings of a docker runtime.
    public struct Configuration: Sendable, Hashable {
        /// How many creates, starts and removals may be in flight at once against the engine.
        public var maxConcurrentStarts: Int
        /// How long a cancelled container may take to exit after SIGTERM before it gets SIGKILL.
        public var killGrace: Duration

        /// Creates a configuration; the defaults suit a production worker.
        public init(maxConcurrentStarts: Int = 4, killGrace: Duration = .seconds(2)) {
            self.maxConcurrentStarts = maxConcurrentStarts
            self.killGrace = killGrace
        }
    }

    /// Always `.docker`.
    public var kind: Runtime { .docker }

    /// The runtime's settings.
    public let configuration: Configuration
    /// The engine this runtime talks to.
    public let client: DockerClient
    /// The gate every create, start and remove passes.
    let gate: StartGate
    private let images: DockerImages

    /// Creates a runtime over `client`. No request is made until the first job.
    public init(client: DockerClient, configuration: Configuration = Configuration()) {
        self.client = client
        self.configuration = configuration
        self.gate = StartGate(limit: configuration.maxConcurrentStarts)
        self.images = DockerImages(client: client)
    }

    /// Creates a runtime for the engine at `socketPath` once it has answered a ping; throws the
    /// client's `DockerError` (unreachable, too old) otherwise. For a worker deciding at start-up
    /// whether it offers `docker`.
    public static func connect(
        socketPath: String = DockerClient.defaultSocketPath,
        configuration: Configuration = Configuration()
    ) async throws -> DockerRuntime {
        let client = DockerClient(socketPath: socketPath)
        try await client.ping()
        return DockerRuntime(client: client, configuration: configuration)
    }

    /// Runs one attempt of a docker job; see `JobRuntime` for the contract and `DockerRuntime` for
    /// what the container gets.
    public func run(
        _ request: RunRequest,
        started: @Sendable (StartedJob) async -> Void,
        output: @escaping JobOutputHandler
    ) async throws -> ExitStatus {
        let plan = DockerContainerPlan(request)
        let image = plan.spec.image
        var id: String?
        var attached: DockerLogStream?
        // A second round only when the image, known present, was removed before the create.
        for round in 1...2 where id == nil {
            do {
                if let reason = try await self.images.ensure(image) {
                    return .imageUnavailable(image, reason: reason)
                }
            } catch is CancellationError {
                return .cancelledBeforeStart
            }
            switch try await self.launch(plan) {
            case .failed(let status):
                return status
            case .imageMissing:
                await self.images.forget(image)
                if round == 2 {
                    return .imageUnavailable(image, reason: "it was removed before the container was created")
                }
            case .running(let running, let stream):
                id = running
                attached = stream
            }
        }
        guard let id else {
            preconditionFailure("the launch loop returns or has a container")
        }
        await started(StartedJob(runtimeID: id))
        return try await self.supervise(id, output: output, attached: attached)
    }

    /// Watches a started container (by id or name) to its end, turning a cancellation into a kill.
    /// Its output comes from `attached` (attached before the start), or else (a container
    /// adopted from an earlier worker process) from the engine's log of it.
    func supervise(
        _ id: String, output: @escaping JobOutputHandler, attached: DockerLogStream? = nil, skipping: OutputOffsets = OutputOffsets()
    ) async throws -> ExitStatus {
        let client = self.client
        let kill = KillSignal()
        let grace = self.configuration.killGrace
        return try await withTaskCancellationHandler {
            var status = try await withoutCancellation {
                try await DockerSupervision(client: client, container: id, kill: kill, grace: grace, attached: attached, skipping: skipping).run(output)
            }
            if Task.isCancelled {
                status.reason = "cancelled"
            }
            return status
        } onCancel: {
            kill.fire()
        }
    }

    /// What became of a create and start.
    private enum Launch: Sendable {
        /// The container runs, its output attached.
        case running(String, DockerLogStream)
        /// It could not run, for the job's sake (or the caller cancelled first); nothing is left.
        case failed(ExitStatus)
        /// The engine no longer has the image; nothing is left.
        case imageMissing
    }

    /// What became of a create.
    private enum Creation: Sendable {
        case created(String)
        case failed(ExitStatus)
        case imageMissing
    }

    /// Creates, attaches to and starts the container, holding a permit of the gate. The engine calls run
    /// without the caller's cancellation (an aborted create may still create the container, with
    /// its id lost); the cancellation is checked between them instead.
    private func launch(_ plan: DockerContainerPlan) async throws -> Launch {
        let client = self.client
        do {
            try await self.gate.acquire()
        } catch {
            return .failed(.cancelledBeforeStart)
        }
        defer { self.gate.release() }
        let created = try await withoutCancellation { try await Self.create(plan, client) }
        let id: String
        switch created {
        case .failed(let status):
            return .failed(status)
        case .imageMissing:
            return .imageMissing
        case .created(let createdID):
            id = createdID
        }
        if Task.isCancelled {
            try await withoutCancellation { _ = try await client.removeContainer(id, force: true) }
            return .failed(.cancelledBeforeStart)
        }
        return try await withoutCancellation {
            do {
                // Attached before the start: the container's first byte already has a reader.
                let attached = try await client.attach(id)
                _ = try await client.startContainer(id)
                return .running(id, attached)
            } catch {
                _ = try? await client.removeContainer(id, force: true)
                if let engine = error as? DockerError, let status = ExitStatus(startFailure: engine, program: plan.program) {
                    return .failed(status)
                }
                throw error
            }
        }
    }

    /// Creates the container. A name already in use is a leftover of this very assignment (the
    /// name holds job, attempt and epoch) from a worker that died before removing it: it is
    /// force-removed and the create tried once more.
    private static func create(_ plan: DockerContainerPlan, _ client: DockerClient) async throws -> Creation {
        for retry in [false, true] {
            do {
                return .created(try await client.createContainer(plan.spec))
            } catch DockerError.conflict(let message) {
                guard !retry else {
                    throw DockerError.conflict(message)
                }
                _ = try await client.removeContainer(plan.name, force: true)
            } catch DockerError.notFound {
                // The image went away since it was last seen.
                return .imageMissing
            } catch DockerError.engine(let status, let message) where status == 400 {
                return .failed(.notCreated(message))
            } catch {
                // A create that timed out or lost its connection may still have created the
                // container; its name is known, so nothing is left behind.
                _ = try? await client.removeContainer(plan.name, force: true)
                throw error
            }
        }
        preconditionFailure("the create loop returns or throws on its second round")
    }
}
