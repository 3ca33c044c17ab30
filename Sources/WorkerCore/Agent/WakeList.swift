import ClusterModel
import Synchronization

/// Tasks waiting for "something changed" about one job (its log window made room, its output
/// became durable, its entry went) or about the worker as a whole; a wake about a job resumes
/// only that job's waiters, and each re-checks its own condition.
///
/// A waiter passes the ``generation`` it saw when it checked its condition: if any wake happened
/// since, `wait` returns at once, so a wake between the check and the wait is never lost (a wake
/// about another job costs such a waiter one more check, nothing else). A cancelled waiter
/// returns at once too.
final class WakeList: Sendable {
    private struct Waiter {
        /// The job it waits about; `nil`: only ``wakeAll()`` wakes it.
        let job: JobID?
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var generation: UInt64 = 0
        var lastID: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
    }

    private let state = Mutex(State())

    /// Increases with every wake.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes the waiters about `job`.
    func wake(_ job: JobID) {
        resume { $0.job == job }
    }

    /// Wakes every waiter.
    func wakeAll() {
        resume { _ in true }
    }

    private func resume(where matches: (Waiter) -> Bool) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            let ids = state.waiters.filter { matches($0.value) }.keys
            return ids.compactMap { state.waiters.removeValue(forKey: $0)?.continuation }
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns at the next wake about `job` (or of everyone) after `seen`, at once if any wake
    /// happened already, or when the calling task is cancelled.
    func wait(for job: JobID?, since seen: UInt64) async {
        let id = state.withLock { state -> UInt64 in
            state.lastID &+= 1
            return state.lastID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    if state.generation != seen || Task.isCancelled { return true }
                    state.waiters[id] = Waiter(job: job, continuation: continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume()
        }
    }
}
