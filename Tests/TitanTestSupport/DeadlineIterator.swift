import Synchronization

/// An async sequence's iterator whose every `next` has a deadline: for tests that read a
/// stream step by step ("the first event", then "the event after the restart").
///
/// ```swift
/// let events = client.watch(prefix: "/r/").iteratorWithDeadlines()
/// let first = try await events.next(within: .seconds(10), waitingFor: "the put of /r/a")
/// ```
public final class DeadlineIterator<Base: AsyncIteratorProtocol & SendableMetatype>: @unchecked Sendable where Base.Element: Sendable {
    // @unchecked: `base` is touched only inside `next`'s body, and `busy` lets one body run at a
    // time: a call while an earlier one is still in flight (one left behind by its deadline)
    // throws instead of touching `base`. So `base` is never used by two tasks at once.
    private var base: Base
    private let busy = Mutex(false)

    /// Wraps `base`.
    public init(_ base: Base) {
        self.base = base
    }

    /// The next element, or nil at the end; throws ``DeadlineExceeded`` naming `what` after `timeout`.
    public func next(
        within timeout: Duration,
        waitingFor what: String,
        file: StaticString = #fileID,
        line: UInt = #line
    ) async throws -> Base.Element? {
        let claimed = busy.withLock { busy in
            defer { busy = true }
            return !busy
        }
        guard claimed else {
            throw HarnessFailure("an earlier next() of this iterator is still waiting (its deadline passed): the stream cannot be read further")
        }
        return try await withDeadline(timeout, waitingFor: what, file: file, line: line) {
            defer { self.busy.withLock { $0 = false } }
            return try await self.base.next()
        }
    }
}

extension AsyncSequence where Element: Sendable, AsyncIterator: SendableMetatype {
    /// This sequence's iterator, each of whose `next` calls takes a deadline.
    public func iteratorWithDeadlines() -> DeadlineIterator<AsyncIterator> {
        DeadlineIterator(makeAsyncIterator())
    }
}
