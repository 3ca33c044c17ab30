import Dispatch
import Synchronization

/// A wait in a test that did not end in time: what it waited for, for how long, and where.
public struct DeadlineExceeded: Error, CustomStringConvertible, Equatable {
    /// What the test was waiting for, in its own words ("the job running on w2").
    public var what: String
    /// How long it waited.
    public var timeout: Duration
    /// The call site that set the deadline.
    public var location: String

    /// "timed out after … waiting for: …", with the call site.
    public var description: String {
        "timed out after \(timeout) waiting for: \(what) (\(location))"
    }
}

/// Runs `body` and returns its value, or throws ``DeadlineExceeded`` naming `what` once
/// `timeout` has passed — whether or not `body` heeds cancellation.
///
/// This is the one way a Titan test waits for something that may never happen. At the
/// deadline `body` is cancelled and *left behind*: the caller gets its error at once instead of
/// waiting for a body that ignores cancellation (a stream that never yields, a continuation
/// never resumed). The timer runs on a Dispatch queue, not on Swift's cooperative pool, so it
/// fires even when that pool's threads are all busy.
///
/// Cancelling the caller cancels `body` and goes on waiting for its result, still bounded by the
/// deadline: code that answers cancellation with a value (a cancelled job's exit status) keeps
/// doing so under a deadline.
///
/// ```swift
/// let first = try await withDeadline(.seconds(10), waitingFor: "the first line of output") {
///     await lines.next()
/// }
/// ```
@discardableResult
public func withDeadline<T: Sendable>(
    _ timeout: Duration,
    waitingFor what: String,
    file: StaticString = #fileID,
    line: UInt = #line,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = Race<T>()
    let expired = DeadlineExceeded(what: what, timeout: timeout, location: "\(file):\(line)")
    // Unstructured on purpose: a structured child would make this function wait for a body
    // that ignores cancellation, which is the very hang it exists to prevent.
    let work = Task {
        do {
            race.finish(.success(try await body()))
        } catch {
            race.finish(.failure(error))
        }
    }
    let (seconds, attoseconds) = timeout.components
    let nanoseconds = max(0, Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) {
        if race.finish(.failure(expired)) {
            work.cancel()
        }
    }
    return try await withTaskCancellationHandler {
        try await race.value()
    } onCancel: {
        work.cancel()
    }
}

/// Checks `condition` every `interval` until it holds, or throws ``DeadlineExceeded`` naming
/// `what` after `timeout` (test code only: the product never polls). A condition that itself
/// never returns is cut off by the same deadline.
public func waitUntil(
    _ what: String,
    timeout: Duration,
    interval: Duration = .milliseconds(100),
    file: StaticString = #fileID,
    line: UInt = #line,
    _ condition: @escaping @Sendable () async throws -> Bool
) async throws {
    _ = try await waitFor(what, timeout: timeout, interval: interval, file: file, line: line) {
        try await condition() ? true : nil
    }
}

/// Asks `probe` every `interval` until it returns a value and returns that value, or throws
/// ``DeadlineExceeded`` naming `what` after `timeout`, like ``waitUntil(_:timeout:interval:file:line:_:)``.
@discardableResult
public func waitFor<T: Sendable>(
    _ what: String,
    timeout: Duration,
    interval: Duration = .milliseconds(100),
    file: StaticString = #fileID,
    line: UInt = #line,
    _ probe: @escaping @Sendable () async throws -> T?
) async throws -> T {
    try await withDeadline(timeout, waitingFor: what, file: file, line: line) {
        while true {
            if let value = try await probe() { return value }
            try await Task.sleep(for: interval)
        }
    }
}

/// One result, delivered once, to one waiter that may arrive before or after it.
private final class Race<T: Sendable>: Sendable {
    private enum State {
        case waiting(CheckedContinuation<T, any Error>?)
        case finished(Result<T, any Error>)
        case delivered
    }

    private let state = Mutex<State>(.waiting(nil))

    /// Settles the race with `result` unless it is settled; returns whether this call did.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let waiter: CheckedContinuation<T, any Error>?? = state.withLock { state in
            guard case let .waiting(continuation) = state else { return .none }
            if let continuation {
                state = .delivered
                return .some(continuation)
            }
            state = .finished(result)
            return .some(nil)
        }
        guard let waiter else { return false }
        waiter?.resume(with: result)
        return true
    }

    /// The result, once there is one.
    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<T, any Error>? = state.withLock { state in
                switch state {
                case .waiting:
                    state = .waiting(continuation)
                    return nil
                case let .finished(result):
                    state = .delivered
                    return result
                case .delivered:
                    preconditionFailure("a deadline race has one waiter")
                }
            }
            if let ready {
                continuation.resume(with: ready)
            }
        }
    }
}
