import ClusterModel
import NIOCore
import NIOPosix

/// Runs jobs as plain process groups on the worker's host (Nomad's `raw_exec`): no isolation, no
/// resource limits, the worker's user.
///
/// ## What a job gets
/// - `.argv` runs directly (`argv[0]` looked up in the job's own `PATH`); `.script` runs as
///   `/bin/sh -c SCRIPT`.
/// - Its own process group (`POSIX_SPAWN_SETPGROUP`, group id = pid), an empty signal mask and
///   every signal at its default disposition, stdin from `/dev/null`, stdout and stderr on two
///   pipes, and no other descriptor of the worker (all are close-on-exec, and `closefrom(3)` runs
///   in the child as well).
/// - The environment `PATH` (the base one), `HOME` (its work directory), `TITAN_JOB_ID`,
///   `TITAN_ATTEMPT`, `TITAN_EPOCH`, `TITAN_NODE_ID`, overlaid with the spec's environment (which
///   may replace `PATH` and `HOME`, not the `TITAN_` variables). Nothing of the worker's
///   environment leaks in.
/// - A fresh work directory `<workRoot>/<job>.<attempt>.<epoch>` as its working directory,
///   created before the start (a stale one is replaced) and removed after the end; an empty one
///   is kept as a spare for a later job instead (`SpareDirectories`: `mkdir`/`rmdir` are costly
///   on ext4 without a journal). Its mode is reset to 0755 when it is reused.
///
/// ## How it ends
/// The job is its main process. When that process exits, whatever it left in its process group is
/// SIGKILLed (as Docker does when a container's init exits), the pipes are read to their end, and
/// a pipe still held open by a process that left the group (`setsid`) is closed once it has been
/// idle for `drainWindow`. Cancellation: SIGTERM to the group, SIGKILL after `killGrace`.
///
/// Not here: `timeoutSeconds` of the spec (the caller enforces it by cancelling, for every
/// runtime alike), resource limits (no cgroups), and reaping the job's orphans — a killed
/// grandchild is reparented to the host's init, so the worker should run under one that reaps
/// (systemd, `tini`, `docker run --init`), never as PID 1 itself.
///
/// ## Concurrency: what runs where, and why nothing blocks
/// - The calling task (cooperative pool) only validates the request, creates the pipes
///   (`pipe2`, non-blocking) and awaits; it never makes a blocking call.
/// - The runtime's `NIOThreadPool` does the blocking file-system work: creating the work directory,
///   the `PATH` lookup, `posix_spawn` (which waits until the child has exec'd), removing the work directory.
/// - An event loop of the runtime's group owns each pipe (a NIO pipe channel, non-blocking reads
///   on demand, at most `maxBufferedChunks` reads of up to 256 KiB buffered per stream: see `PipeReader`).
///   Two child tasks, one per stream, await its chunks and await `output` with each one; while
///   `output` is suspended, nothing more is read, the pipe fills, and the job blocks in `write`.
/// - One process-wide thread, the `ProcessReaper`, sleeps in `epoll_wait` on the pidfds of all
///   running jobs and resumes the task of a job when its process exits. No thread per job, no polling.
/// - Cancellation handlers only send a signal and schedule the next on an event loop.
public struct ExecRuntime: JobRuntime {
    /// The settings of an exec runtime.
    public struct Configuration: Sendable, Hashable {
        /// The directory under which each job gets its own work directory (created if missing).
        public var workRoot: String
        /// How long a cancelled job may take to exit after SIGTERM before its group gets SIGKILL.
        public var killGrace: Duration
        /// How long a pipe may stay idle after the main process exited before it is closed.
        public var drainWindow: Duration
        /// How many reads (of at most 256 KiB) are kept ahead per stream while `output` is busy.
        public var maxBufferedChunks: Int

        /// Creates a configuration; the defaults suit a production worker.
        public init(
            workRoot: String,
            killGrace: Duration = .seconds(2),
            drainWindow: Duration = .seconds(1),
            maxBufferedChunks: Int = 2
        ) {
            self.workRoot = workRoot
            self.killGrace = killGrace
            self.drainWindow = drainWindow
            self.maxBufferedChunks = maxBufferedChunks
        }
    }

    /// Always `.exec`.
    public var kind: Runtime { .exec }

    /// None: an exec job's main process dies with the worker that started it (parent-death
    /// signal), so no earlier process's job outlives it.
    public func leftovers(node: NodeID) async throws -> [LeftoverAttempt] { [] }

    /// Nothing is ever left over (see ``leftovers(node:)``).
    public func discard(_ leftover: LeftoverAttempt) async throws {}

    /// Exec attempts are never left over, so never resumed: throws.
    public func resume(_ request: RunRequest, skipping: OutputOffsets, output: @escaping JobOutputHandler) async throws -> ExitStatus {
        throw ExecRuntimeError.cannotResume(request.job)
    }

    /// Nothing to release: an exec attempt that returned has left no process and no file behind.
    public func release(_ request: RunRequest) async throws {}

    /// The runtime's settings.
    public let configuration: Configuration
    private let group: any EventLoopGroup
    private let threadPool: NIOThreadPool
    private let reaper: ProcessReaper
    private let spares: SpareDirectories

    /// Creates a runtime that reads pipes on `eventLoopGroup` and does blocking file-system work on
    /// `threadPool`. Throws when the kernel lacks pidfds (Linux 5.3 or later is needed).
    public init(
        configuration: Configuration,
        eventLoopGroup: any EventLoopGroup,
        threadPool: NIOThreadPool = .singleton
    ) throws(ExecRuntimeError) {
        self.configuration = configuration
        self.group = eventLoopGroup
        self.threadPool = threadPool
        self.reaper = try ProcessReaper.shared.get()
        self.spares = SpareDirectories(workRoot: configuration.workRoot)
    }

    /// Runs one attempt of an exec job; see `JobRuntime` for the contract and `ExecRuntime` for
    /// what the job gets.
    public func run(
        _ request: RunRequest,
        started: @Sendable (StartedJob) async -> Void,
        output: @escaping JobOutputHandler
    ) async throws -> ExitStatus {
        let launch: ExecLaunch
        switch ExecLaunch.make(request, workRoot: self.configuration.workRoot, spares: self.spares) {
        case .success(let checked):
            launch = checked
        case .failure(let malformed):
            return malformed.status
        }
        let (stdout, stderr) = try await self.openPipes()
        let eventLoop = self.group.any()
        let reaper = self.reaper
        let outcome: ExecLaunch.Outcome
        do {
            outcome = try await self.threadPool.runIfActive(eventLoop: eventLoop) {
                try launch.spawn(stdout: stdout.write, stderr: stderr.write, reaper: reaper)
            }.get()
        } catch let error as ExecRuntimeError {
            // `spawn` ran: it closed the write ends and left nothing else behind.
            await stdout.stream.close()
            await stderr.stream.close()
            throw error
        } catch {
            // The pool refused the work (it is shut down): `spawn` never ran.
            Self.close(stdout.write, stderr.write)
            await stdout.stream.close()
            await stderr.stream.close()
            throw ExecRuntimeError.shutDown
        }
        switch outcome {
        case .failed(let status):
            await stdout.stream.close()
            await stderr.stream.close()
            return status
        case .started(let process):
            let killSwitch = KillSwitch(
                process: process,
                reaper: reaper,
                eventLoop: eventLoop,
                grace: TimeAmount(self.configuration.killGrace)
            )
            let (end, killed) = await withTaskCancellationHandler {
                await started(StartedJob(runtimeID: "pid \(process.pid)", processGroup: process.pid))
                return await Self.supervise(process, reaper, killSwitch, stdout.stream, stderr.stream, output)
            } onCancel: {
                killSwitch.fire()
            }
            await stdout.stream.close()
            await stderr.stream.close()
            _ = try? await self.threadPool.runIfActive(eventLoop: eventLoop) { launch.removeWorkDirectory() }.get()
            return ExitStatus(end, cancelled: killed)
        }
    }

    /// Pumps both streams to `output` while waiting for the main process; returns once it has been
    /// reaped and both streams have ended.
    private static func supervise(
        _ process: WatchedProcess,
        _ reaper: ProcessReaper,
        _ killSwitch: KillSwitch,
        _ stdout: PipeStream,
        _ stderr: PipeStream,
        _ output: @escaping JobOutputHandler
    ) async -> (ProcessEnd, Bool) {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await pump(stdout, .stdout, output) }
            group.addTask { await pump(stderr, .stderr, output) }
            let end = await reaper.end(of: process)
            let killed = killSwitch.mainProcessEnded()
            stdout.mainProcessExited()
            stderr.mainProcessExited()
            await group.waitForAll()
            return (end, killed)
        }
    }

    private static func pump(_ stream: PipeStream, _ kind: LogStreamKind, _ output: JobOutputHandler) async {
        while let chunk = await stream.next() {
            await output(kind, chunk)
        }
    }

    /// Creates both pipes and hands their read ends to event-loop channels; on failure nothing is
    /// left open.
    private func openPipes() async throws(ExecRuntimeError) -> (OpenPipe, OpenPipe) {
        let stdout = try PipeDescriptors.make()
        let stderr: PipeDescriptors
        do {
            stderr = try PipeDescriptors.make()
        } catch {
            Self.close(stdout.read, stdout.write)
            throw error
        }
        let drain = TimeAmount(self.configuration.drainWindow)
        let buffered = max(1, self.configuration.maxBufferedChunks)
        let outStream: PipeStream
        do {
            outStream = try await PipeStream.open(
                descriptor: stdout.read, group: self.group, maxBuffered: buffered, drainWindow: drain)
        } catch {
            Self.close(stdout.write, stderr.read, stderr.write)
            throw error
        }
        do {
            let errStream = try await PipeStream.open(
                descriptor: stderr.read, group: self.group, maxBuffered: buffered, drainWindow: drain)
            return (OpenPipe(stream: outStream, write: stdout.write), OpenPipe(stream: errStream, write: stderr.write))
        } catch {
            await outStream.close()
            Self.close(stdout.write, stderr.write)
            throw error
        }
    }

    private static func close(_ descriptors: Int32...) {
        for descriptor in descriptors {
            _ = Glibc.close(descriptor)
        }
    }
}

/// One output pipe of a job being started: the stream that reads it, and the end the job writes.
private struct OpenPipe: Sendable {
    let stream: PipeStream
    let write: Int32
}

extension ExitStatus {
    /// The status of a reaped job; `cancelled` when the runtime killed it on request.
    init(_ end: ProcessEnd, cancelled: Bool) {
        switch end {
        case .exited(let code):
            self.init(code: code, reason: cancelled ? "cancelled" : "exited with code \(code)")
        case .signaled(let signal):
            self.init(code: 128 + signal, reason: cancelled ? "cancelled" : "killed by signal \(signal)")
        case .lost(let error):
            self.init(code: -1, reason: "the worker could not collect the job's exit status (errno \(error))")
        }
    }
}
