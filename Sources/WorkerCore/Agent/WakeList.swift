import Synchronization

/// Tasks waiting for "something changed" (a log window made room, an attempt's output became
/// durable), woken all at once; each re-checks its own condition.
///
/// A waiter passes the ``generation`` it saw when it checked its condition: if a wake happened
/// since, `wait` returns at once, so a wake between the check and the wait is never lost. A
/// cancelled waiter returns at once too.
final class WakeList: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextID: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// Increases with every ``wakeAll()``.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every waiter.
    func wakeAll() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns at the next wake after `seen`, at once if there was one already, or when the
    /// calling task is cancelled.
    func wait(since seen: UInt64) async {
        let id = state.withLock { state -> UInt64 in
            defer { state.nextID &+= 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    if state.generation != seen || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
