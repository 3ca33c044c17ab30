import ClusterModel
import CurlSupport
import DockerClient
import NIOCore
import Synchronization

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

    /// How many engine outages one attempt rides out.
    static let maxOutages = 5
    /// How long the engine may stay away before the attempt counts as lost with it.
    static let outagePatience = Duration.seconds(120)

    /// Supervises the container to its end and returns its status; throws (after removing it)
    /// when the engine fails for good.
    ///
    /// The engine going away (restarted, say) is not the job's failure: the supervision waits for
    /// it to answer again (at most ``outagePatience``), then follows the container on from the
    /// engine's log, skipping what was delivered — with `--live-restore` the container ran on. A
    /// container that then turns out to have ended badly, or an engine that does not come back,
    /// ends the attempt as lost to the infrastructure, to be run again elsewhere.
    func run(_ output: @escaping JobOutputHandler) async throws -> ExitStatus {
        let delivered = DeliveredOutput(skipping)
        var attached = self.attached
        var outages = 0
        while true {
            do {
                let code = try await self.watch(output, attached: attached, skipping: delivered.offsets, delivered: delivered)
                // A job that succeeded was not OOM-killed; only a failure costs an inspect (the OOM
                // killer may have hit a child of the main process, which then exits as it likes).
                guard code != 0 else {
                    return ExitStatus(containerExitCode: code, oomKilled: false)
                }
                let state = try await self.client.inspectContainer(self.container).state
                var status = ExitStatus(containerExitCode: state.exitCode, oomKilled: state.oomKilled)
                if outages > 0 {
                    // It ended badly while or after its engine was away: not the job's doing.
                    status.lostByInfrastructure = true
                    status.reason += " after its container engine went away"
                }
                return status
            } catch where Self.isEngineOutage(error) && outages < Self.maxOutages {
                outages += 1
                attached = nil
                guard await self.engineReturns(within: Self.outagePatience) else {
                    return ExitStatus(
                        code: -1, reason: "the container engine did not come back within \(Self.outagePatience)", lostByInfrastructure: true)
                }
            } catch {
                _ = try? await self.client.removeContainer(self.container, force: true)
                throw error
            }
        }
    }

    /// Whether `error` says the engine went away (not that it refused something).
    static func isEngineOutage(_ error: any Error) -> Bool {
        switch error {
        case DockerError.unreachable, DockerError.timedOut:
            return true
        case CurlError.transport:
            return true
        case is DockerStreamError:
            return true
        default:
            return false
        }
    }

    /// Pings the engine once a second until it answers (true) or `patience` passes (false).
    private func engineReturns(within patience: Duration) async -> Bool {
        let deadline = ContinuousClock.now + patience
        while ContinuousClock.now < deadline {
            if (try? await self.client.ping()) != nil { return true }
            try? await Task.sleep(for: .seconds(1))
        }
        return false
    }

    /// Returns the container's exit code once it has stopped and its log stream has ended.
    private func watch(
        _ output: @escaping JobOutputHandler, attached: DockerLogStream?, skipping: OutputOffsets, delivered: DeliveredOutput
    ) async throws -> Int {
        let client = self.client
        let container = self.container
        let kill = self.kill
        let grace = self.grace
        return try await withThrowingTaskGroup(of: Finished.self) { group in
            group.addTask {
                let stream: DockerLogStream
                if let attached {
                    stream = attached
                } else {
                    stream = try await client.logs(container, follow: true)
                }
                try await Self.pump(stream, skipping: skipping, delivered: delivered, output)
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
    private static func pump(_ stream: DockerLogStream, skipping: OutputOffsets, delivered: DeliveredOutput, _ output: JobOutputHandler) async throws {
        do {
            try await Self.deliver(stream, skipping: skipping, delivered: delivered, output)
        } catch DockerStreamError.incomplete {
            return
        }
    }

    private static func deliver(_ stream: DockerLogStream, skipping: OutputOffsets, delivered: DeliveredOutput, _ output: JobOutputHandler) async throws {
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
                delivered.add(end - start, to: kind)
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

/// How much of each stream of an attempt has been delivered (or was skipped as delivered before):
/// where its output resumes after an engine outage.
final class DeliveredOutput: Sendable {
    private let state: Mutex<OutputOffsets>

    init(_ start: OutputOffsets) {
        state = Mutex(start)
    }

    var offsets: OutputOffsets { state.withLock { $0 } }

    func add(_ count: Int, to stream: LogStreamKind) {
        state.withLock { offsets in
            switch stream {
            case .stdout: offsets.stdout += UInt64(count)
            case .stderr: offsets.stderr += UInt64(count)
            }
        }
    }
}
