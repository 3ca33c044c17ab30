import ClusterModel

/// Runs one attempt to its end on a runtime, honouring a kill from the leader and the job's
/// timeout; always returns the attempt's exit status.
struct JobRunner: Sendable {
    let runtime: any JobRuntime
    let request: RunRequest
    let kill: KillSignal
    /// Set when the attempt was left by an earlier process and is taken over, not started: how
    /// much of its output the archive holds already.
    var resumeAfter: OutputOffsets?
    /// How long the attempt ran before this process took it over: the job's timeout counts it.
    var alreadyRan = Duration.zero
    /// Where the job's output goes (the log pipeline).
    let output: JobOutputHandler
    /// Called once the attempt's process runs, with what the runtime says of it.
    let onStarted: @Sendable (StartedJob) async -> Void

    private enum Outcome: Sendable {
        case finished(ExitStatus)
        case killRequested
        case timedOut
    }

    func run() async -> ExitStatus {
        let timeout = request.spec.timeoutSeconds
        return await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do {
                    if let resumeAfter {
                        return .finished(try await runtime.resume(request, skipping: resumeAfter, output: output))
                    }
                    return .finished(try await runtime.run(request, started: { await onStarted($0) }, output: output))
                } catch {
                    // The runtime failed, not the job: it runs again without using its attempts.
                    return .finished(ExitStatus(code: -1, reason: "the worker could not run the job: \(error)", lostByInfrastructure: true))
                }
            }
            group.addTask {
                await kill.wait()
                return .killRequested
            }
            if timeout > 0 {
                group.addTask {
                    do {
                        let left = Duration.seconds(Int64(timeout)) - alreadyRan
                        if left > .zero {
                            try await Task.sleep(for: left)
                        }
                        return .timedOut
                    } catch {
                        return .killRequested
                    }
                }
            }
            var reason: String?
            while let outcome = await group.next() {
                switch outcome {
                case var .finished(status):
                    group.cancelAll()
                    if let reason { status.reason = reason }
                    return status
                case .killRequested:
                    if reason == nil { reason = "cancelled" }
                    group.cancelAll()
                case .timedOut:
                    reason = "timed out after \(timeout)s"
                    group.cancelAll()
                }
            }
            return ExitStatus(code: -1, reason: reason ?? "the job's runner ended without a status")
        }
    }
}
