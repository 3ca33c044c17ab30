import ClusterModel
import WireProtocol

// A worker shutting down (SIGTERM): it says `Stopping` on every session so the leader places
// nothing more on its node, refuses new assignments, lets its attempts end until a deadline, then
// kills the rest and reports them lost to the infrastructure (they run again elsewhere without
// using the jobs' attempts).
extension WorkerState {
    /// The worker shuts down: tell the leader (now and on every later session), take no new
    /// work; running attempts go on until `deadline` (``evictAll()`` then stops them).
    func beginStopping(until deadline: ContinuousClock.Instant) {
        guard stopDeadline == nil else { return }
        stopDeadline = deadline
        sayStopping()
    }

    /// Sends `Stopping` with the time left, if the worker stops.
    func sayStopping() {
        guard let stopDeadline else { return }
        let left = max(.zero, stopDeadline - .now)
        let millis = UInt64(left.components.seconds) * 1000 + UInt64(left.components.attoseconds / 1_000_000_000_000_000)
        send(.stopping(Stopping(timeoutMillis: min(millis, NodeDrain.maxDeadlineMillis))))
    }

    /// An assignment that reached a stopping worker (placed before the leader heard `Stopping`):
    /// reported at once as lost to the infrastructure, so the leader places it elsewhere.
    func refuseWhileStopping(_ assign: Assign) {
        send(.exited(Exited(
            jobID: assign.jobID, epoch: assign.epoch, exitCode: -1, oomKilled: false,
            reason: "worker \(node.rawValue) is shutting down", lostByInfrastructure: true)))
    }

    /// Kills every attempt still held; each is reported lost to the infrastructure when it ends
    /// (unless it exits 0 first). Takes no new work from now on.
    func evictAll() {
        if stopDeadline == nil { beginStopping(until: .now) }
        for job in jobs.keys.sorted() {
            guard var entry = jobs[job] else { continue }
            if case .exited = entry.phase { continue }
            entry.evicted = true
            jobs[job] = entry
            entry.kill.fire()
        }
    }

    /// Returns once this incarnation holds no attempt (every outcome acknowledged by the leader),
    /// at `deadline`, or when the task is cancelled; whether it holds none.
    func waitUntilIdle(until deadline: ContinuousClock.Instant) async -> Bool {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.idle() }
            group.addTask { try? await Task.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
        return jobs.isEmpty
    }

    private func idle() async {
        while !jobs.isEmpty, !Task.isCancelled {
            await windowChanged.wait(for: nil, since: windowChanged.generation)
        }
    }
}
