import ClusterModel
import DockerClient
import NIOCore

/// Watches one started container to its end: pumps its logs to `output`, waits for it, kills it
/// when asked. The stopped container stays: the runtime removes it in ``DockerRuntime/release(_:)``
/// once the attempt's outcome is reported, so removals do not delay reports or starts.
///
/// Runs where the caller's cancellation does not reach (see `DockerRuntime`): a cancelled caller
/// fires `kill` instead, and the supervision carries on to the container's end, so that the
/// output written until then is delivered and the container is removed.
///
/// ```
///  task group ─┬─ pump:   attach (or logs(follow) when adopted) ──▶ output (suspends: backpressure)
///              ├─ wait:   waitContainer(not-running)                        ─ ends with the container
///              └─ killer: kill.wait() ─▶ SIGTERM ─▶ grace ─▶ SIGKILL         ─ cancelled once both ended
///  then, only for a non-zero code: inspect (OOMKilled)
/// ```
/// Any engine error cancels the group, force-removes the container and is rethrown (but for a
/// log stream that could not be verified complete: see `pump`).
struct DockerSupervision: Sendable {
    /// The largest chunk handed to `output` (within the `JobRuntime` contract's 256 KiB).
    static let maxChunk = 64 << 10

    let client: DockerClient
    let container: String
    let kill: KillSignal
    let grace: Duration
    /// The container's output, attached before its start; `nil` for a container adopted from
    /// an earlier worker process, whose output is read from the engine's log instead.
    var attached: DockerLogStream?
    /// Bytes of each stream not to deliver (a container adopted after a worker restart: what
    /// the archive holds already).
    var skipping = OutputOffsets()

    private enum Finished: Sendable {
        case logsEnded
        case containerStopped(exitCode: Int)
        case killerDone
    }

    /// Supervises the container to its end and returns its status; throws (after removing it)
    /// when the engine fails.
    func run(_ output: @escaping JobOutputHandler) async throws -> ExitStatus {
        do {
            let code = try await self.watch(output)
            // A job that succeeded was not OOM-killed; only a failure costs an inspect (the OOM
            // killer may have hit a child of the main process, which then exits as it likes).
            guard code != 0 else {
                return ExitStatus(containerExitCode: code, oomKilled: false)
            }
            let state = try await self.client.inspectContainer(self.container).state
            return ExitStatus(containerExitCode: state.exitCode, oomKilled: state.oomKilled)
        } catch {
            _ = try? await self.client.removeContainer(self.container, force: true)
            throw error
        }
    }

    /// Returns the container's exit code once it has stopped and its log stream has ended.
    private func watch(_ output: @escaping JobOutputHandler) async throws -> Int {
        let client = self.client
        let container = self.container
        let kill = self.kill
        let grace = self.grace
        let attached = self.attached
        let skipping = self.skipping
        return try await withThrowingTaskGroup(of: Finished.self) { group in
            group.addTask {
                let stream: DockerLogStream
                if let attached {
                    stream = attached
                } else {
                    stream = try await client.logs(container, follow: true)
                }
                try await Self.pump(stream, skipping: skipping, output)
                return .logsEnded
            }
            group.addTask {
                .containerStopped(exitCode: try await client.waitContainer(container, condition: .notRunning))
            }
            group.addTask {
                await kill.wait()
                try await Self.terminate(container, client, grace: grace)
                return .killerDone
            }
            var logsEnded = false
            var exitCode: Int?
            while !logsEnded || exitCode == nil, let finished = try await group.next() {
                switch finished {
                case .logsEnded:
                    logsEnded = true
                case let .containerStopped(code):
                    exitCode = code
                case .killerDone:
                    break
                }
            }
            // The killer is no longer needed; it may be mid-grace or not yet asked.
            group.cancelAll()
            while let _ = try? await group.next() {}
            guard let exitCode else {
                throw CancellationError()
            }
            return exitCode
        }
    }

    /// Delivers every frame of `stream` to `output`, in chunks of at most ``maxChunk`` bytes.
    ///
    /// A stream that ends unverified (`DockerStreamError.incomplete`: the log driver rotated its
    /// files while the job wrote faster than `output` took it) ends the output there instead of
    /// failing the attempt: the job did run to its end, and its status is still right; failing
    /// it would run a finished job again elsewhere.
    private static func pump(_ stream: DockerLogStream, skipping: OutputOffsets, _ output: JobOutputHandler) async throws {
        do {
            try await Self.deliver(stream, skipping: skipping, output)
        } catch DockerStreamError.incomplete {
            return
        }
    }

    private static func deliver(_ stream: DockerLogStream, skipping: OutputOffsets, _ output: JobOutputHandler) async throws {
        var skip = skipping
        for try await frame in stream {
            let kind: LogStreamKind
            var start = 0
            switch frame.stream {
            case .stdout:
                kind = .stdout
                start = Int(min(skip.stdout, UInt64(frame.bytes.count)))
                skip.stdout -= UInt64(start)
            case .stderr:
                kind = .stderr
                start = Int(min(skip.stderr, UInt64(frame.bytes.count)))
                skip.stderr -= UInt64(start)
            }
            while start < frame.bytes.count {
                let end = min(start + Self.maxChunk, frame.bytes.count)
                await output(kind, ByteBuffer(bytes: frame.bytes[start..<end]))
                start = end
            }
        }
    }

    /// Kills the container: SIGTERM, then SIGKILL unless it stopped within `grace`. Returns at
    /// once when the task is cancelled (the container has stopped, nobody needs the kill).
    private static func terminate(_ container: String, _ client: DockerClient, grace: Duration) async throws {
        guard !Task.isCancelled else {
            return
        }
        // A container that already stopped answers `.notRunning`: nothing to do.
        guard try await client.killContainer(container, signal: "SIGTERM") == .signalled else {
            return
        }
        do {
            try await Task.sleep(for: grace)
        } catch {
            return
        }
        _ = try await client.killContainer(container, signal: "SIGKILL")
    }
}
