import Synchronization

/// Which incarnation's jobs a shutdown acts on, and whether the worker is shutting down: an
/// incarnation that starts during a drain (its lease was lost meanwhile) drains at once.
final class ShutdownControl: Sendable {
    private struct State {
        var current: WorkerState?
        var stopDeadline: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    /// An incarnation's jobs begin; returns the shutdown deadline if the worker is shutting down.
    func attach(_ jobs: WorkerState) -> ContinuousClock.Instant? {
        state.withLock {
            $0.current = jobs
            return $0.stopDeadline
        }
    }

    /// Records that the worker shuts down by `deadline`; returns the current incarnation's jobs.
    func beginStopping(until deadline: ContinuousClock.Instant) -> WorkerState? {
        state.withLock {
            $0.stopDeadline = min($0.stopDeadline ?? deadline, deadline)
            return $0.current
        }
    }
}

extension Worker {
    /// How long a stopped worker waits for the leader to acknowledge the outcomes of the
    /// attempts it killed, so that they run again at once rather than when its lease ends.
    public static let acknowledgementPatience = Duration.seconds(5)

    /// Drains this node before the worker exits (SIGTERM): the leader is told to place nothing
    /// more here, new assignments are refused, and running attempts may end until `timeout`;
    /// then what is left is killed and reported lost to the infrastructure, so it runs again
    /// elsewhere (``stopJobs()``). Returns when every outcome is acknowledged, or
    /// ``acknowledgementPatience`` after the kills. Cancel ``run()`` afterwards.
    public func drain(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        if let jobs = shutdown.beginStopping(until: deadline) {
            await jobs.beginStopping(until: deadline)
            if await jobs.waitUntilIdle(until: deadline) {
                logger.info("every job ended; stopping")
                return
            }
            let left = await jobs.count
            logger.info("the drain timeout passed; stopping the jobs left so they run elsewhere", metadata: ["jobs": "\(left)"])
        }
        await stopJobs()
    }

    /// Stops every job now (a second SIGTERM, or SIGINT): each attempt is killed and reported
    /// lost to the infrastructure, so it runs again elsewhere without using its attempts.
    /// Returns once the leader has acknowledged them, or after ``acknowledgementPatience``.
    public func stopJobs() async {
        guard let jobs = shutdown.beginStopping(until: .now) else { return }
        await jobs.evictAll()
        if await !jobs.waitUntilIdle(until: .now + Self.acknowledgementPatience) {
            let left = await jobs.count
            logger.warning("the leader did not acknowledge every stopped job; they run again once this node's lease is gone", metadata: ["jobs": "\(left)"])
        }
    }
}
