import ClusterModel

extension Scheduler {
    /// The term's timer: when the earliest retry delay of a failed job is over, those jobs join
    /// the pending queue and are offered capacity; when a drain's deadline passes, the jobs left
    /// on its node move (``ClusterState/timersDue(now:)``). Sleeps until the earliest such time,
    /// or until a change brings an earlier one (``armRetries()``); never wakes for nothing. Ends
    /// when the term ends (its task is cancelled).
    public func runRetries() async {
        while !Task.isCancelled {
            let next = state.nextTimerAt
            armedRetryAt = next
            let delay = next.map { at in Duration.milliseconds(Int64(clamping: at.rawValue) - Int64(clamping: Self.now().rawValue)) }
            await retryAlarm.wait(atMost: delay)
            let actions = state.timersDue(now: Self.now())
            if !actions.isEmpty {
                carryOutInBackground(actions)
            }
        }
    }

    /// Wakes the timer when the state now holds an earlier retry or drain deadline than the one
    /// it sleeps for. Called after every change (``prepare(_:created:)``).
    func armRetries() {
        guard let next = state.nextTimerAt else { return }
        if armedRetryAt.map({ next < $0 }) ?? true {
            armedRetryAt = next
            retryAlarm.ring()
        }
    }
}

/// Wakes a sleeping timer early. Rings while nobody waits are kept (one), so a ring between
/// two waits is not lost.
final class RetryAlarm: Sendable {
    private let rings: AsyncStream<Void>
    private let ringer: AsyncStream<Void>.Continuation

    init() {
        (rings, ringer) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Rings: the current or next ``wait(atMost:)`` returns.
    func ring() {
        ringer.yield()
    }

    /// Returns after `delay` (never, if nil) or at a ring, whichever comes first, or when the
    /// task is cancelled. One waiter at a time.
    func wait(atMost delay: Duration?) async {
        if let delay, delay <= .zero { return }
        let rings = self.rings
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var iterator = rings.makeAsyncIterator()
                _ = await iterator.next()
            }
            if let delay {
                group.addTask { try? await Task.sleep(for: delay) }
            }
            await group.next()
            group.cancelAll()
        }
    }
}
