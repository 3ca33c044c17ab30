import Synchronization

/// Messages queued for one connection (a leader's pushes to a worker or a subscriber, a
/// worker's reports and output to the leader), drained by that connection's one writer.
///
/// The writer takes *everything* queued at once (``nextBatch()``) and writes it with one flush:
/// a burst of assignments or reports costs one syscall, not one per message. Senders never wait.
///
/// Bounded: a peer that lets `limit` messages pile up is too slow to keep; the outbox then
/// closes and calls `onOverflow` at once (its owner closes the connection, without waiting for
/// the writer, which may be stuck on a peer that does not read), and the peer reconnects and
/// catches up (a worker is sent its assignments again, a subscriber re-reads job states, a leader
/// gets a worker's replay). At most `limit` messages wait here, and at most as many more are in
/// the batch being written.
public final class Outbox: Sendable {
    private struct State {
        var queued: [WireMessage] = []
        var phase = Phase.open
        /// The writer, parked in ``nextBatch()`` while nothing is queued.
        var writer: CheckedContinuation<Void, Never>?
    }

    private enum Phase {
        case open
        /// No more sends; the writer drains what is queued, then ends.
        case closed(overflowed: Bool)
    }

    private let state = Mutex(State())
    private let limit: Int
    private let onOverflow: @Sendable () -> Void

    /// The most messages one connection may have waiting.
    public static let defaultLimit = 65_536

    /// Creates an outbox holding at most `limit` unsent messages; `onOverflow` runs once, in the
    /// sender's task, when a send finds it full.
    public init(limit: Int = Outbox.defaultLimit, onOverflow: @escaping @Sendable () -> Void = {}) {
        self.limit = limit
        self.onOverflow = onOverflow
    }

    /// Queues a message; false when the outbox is closed, or was full and has just closed.
    @discardableResult
    public func send(_ message: WireMessage) -> Bool {
        let (accepted, overflowed, writer) = state.withLock { state -> (Bool, Bool, CheckedContinuation<Void, Never>?) in
            guard case .open = state.phase else { return (false, false, nil) }
            guard state.queued.count < limit else {
                state.phase = .closed(overflowed: true)
                return (false, true, state.writer.take())
            }
            state.queued.append(message)
            return (true, false, state.writer.take())
        }
        writer?.resume()
        if overflowed { onOverflow() }
        return accepted
    }

    /// Ends the outbox: the writer gets what is queued, then `nil`.
    public func close() {
        let writer = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if case .open = state.phase { state.phase = .closed(overflowed: false) }
            return state.writer.take()
        }
        writer?.resume()
    }

    /// Everything queued, in order, once at least one message is; `nil` once the outbox is
    /// closed and drained. For the one writer only: a second concurrent caller traps.
    public func nextBatch() async -> [WireMessage]? {
        while true {
            // One look: the queue if it holds something, the end once closed and drained.
            let (taken, ended) = state.withLock { state -> ([WireMessage], Bool) in
                defer { state.queued = [] }
                if case .closed = state.phase { return (state.queued, state.queued.isEmpty) }
                return (state.queued, false)
            }
            if ended { return nil }
            if !taken.isEmpty { return taken }
            await withCheckedContinuation { (writer: CheckedContinuation<Void, Never>) in
                let parked = state.withLock { state -> Bool in
                    // Checked under the lock: a send or close since the look wakes us now.
                    guard state.queued.isEmpty, case .open = state.phase else { return false }
                    precondition(state.writer == nil, "an Outbox has one writer")
                    state.writer = writer
                    return true
                }
                if !parked { writer.resume() }
            }
        }
    }

    /// True if the outbox closed because its peer fell too far behind.
    public var didOverflow: Bool {
        state.withLock { state in
            if case .closed(overflowed: true) = state.phase { return true }
            return false
        }
    }
}
