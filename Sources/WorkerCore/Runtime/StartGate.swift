import Synchronization

/// A counting semaphore for async code: at most `limit` holders at a time, the others wait in
/// arrival order.
///
/// The docker runtime passes every create and start through one gate, so that a burst of 1,000
/// assignments makes at most `limit` concurrent engine calls instead of 1,000 (the engine then
/// starts containers no faster, and each call risks its time limit). The queue of waiters is
/// bounded only by the number of assigned jobs, which the leader bounds by the node's capacity.
///
/// Waiting is cancellable: a waiter whose task is cancelled leaves the queue at once and
/// `acquire` throws `CancellationError`; it then holds nothing and must not `release`.
final class StartGate: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        /// Permits not held by anyone; positive only while nobody waits.
        var available: Int
        /// Tasks waiting for a permit, first come first served.
        var waiters: [Waiter] = []
        /// The id of the next waiter (to find it again when its task is cancelled).
        var nextID: UInt64 = 0
    }

    /// How many holders the gate admits at once.
    let limit: Int
    private let state: Mutex<State>

    /// Creates a gate admitting `limit` holders at once (at least one).
    init(limit: Int) {
        self.limit = max(1, limit)
        self.state = Mutex(State(available: max(1, limit)))
    }

    /// Waits for a permit; throws `CancellationError` (holding nothing) if the task is cancelled
    /// before one is granted.
    func acquire() async throws {
        let id = self.state.withLock { state -> UInt64 in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Decided under the lock that `onCancel` takes too: the task's cancelled flag is
                // set before its handler runs, so either the handler finds this waiter queued, or
                // this check sees the flag.
                let outcome = self.state.withLock { state -> Result<Void, any Error>? in
                    if Task.isCancelled {
                        return .failure(CancellationError())
                    }
                    if state.available > 0 {
                        state.available -= 1
                        return .success(())
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let outcome {
                    continuation.resume(with: outcome)
                }
            }
        } onCancel: {
            let waiter = self.state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                    // Not queued yet (the body will see the flag) or already granted (it holds
                    // a permit and releases it as usual).
                    return nil
                }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Returns a permit: hands it to the first waiter, if any.
    func release() {
        let next = self.state.withLock { state -> Waiter? in
            if state.waiters.isEmpty {
                precondition(state.available < self.limit, "a start gate was released more often than acquired")
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.continuation.resume()
    }

    /// How many tasks wait for a permit now (for tests and metrics).
    var waiting: Int {
        self.state.withLock { $0.waiters.count }
    }
}
