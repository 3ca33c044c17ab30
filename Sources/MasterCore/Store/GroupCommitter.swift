import EtcdClient
import Metrics
import Synchronization

/// One write the leader wants durable: a put or a delete of one key, conditional on what the
/// leader believes the key's state is.
public struct StoreWrite: Sendable {
    /// What the key must look like for the write to apply.
    public enum Expectation: Sendable, Equatable {
        /// The key must not exist (a new job).
        case absent
        /// The key's `mod_revision` must be this.
        case modRevision(Int64)
        /// The key's `mod_revision` must be the one this committer last wrote (or was told with
        /// ``GroupCommitter/track(key:revision:)``); the key must be tracked.
        case current
    }

    /// Put a value, or delete the key.
    public enum Operation: Sendable, Equatable {
        /// Store `value` under the key.
        case put([UInt8])
        /// Remove the key.
        case delete
    }

    /// The key.
    public var key: String
    /// The operation.
    public var operation: Operation
    /// The condition.
    public var expectation: Expectation

    /// Creates a write.
    public init(key: String, operation: Operation, expectation: Expectation) {
        self.key = key
        self.operation = operation
        self.expectation = expectation
    }
}

/// What became of one ``StoreWrite``.
public enum StoreWriteResult: Sendable, Equatable {
    /// Durable at this revision, which is the key's new `mod_revision`.
    case committed(revision: Int64)
    /// The key was not in the expected state; nothing was written for it.
    case conflict
}

/// Why the committer stopped accepting writes.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The fence compare failed: another master leads now; nothing of the batch was written.
    case notLeader
    /// The committer has stopped (leadership ended or the master is shutting down).
    case stopped

    /// One sentence for logs and clients.
    public var description: String {
        switch self {
        case .notLeader: return "this master no longer leads the cluster: retry against the new leader"
        case .stopped: return "the master's store is shutting down: retry in a moment"
        }
    }
}

/// Group commit: writes go to etcd in txns of up to ``maxOpsPerTxn``, fenced by the leader's
/// election compare. A write to an idle store goes at once; while a txn is in flight, writes
/// gather for the next one (``CommitQueue/isReady``): no timer, no window to wait out.
///
/// - Several writes to one key while it waits coalesce: the last value is written, under the
///   condition of the first (the one that matches etcd), and every caller gets the same result.
/// - At most one txn that is not full is in flight; full txns go up to `lanes` at once, over
///   disjoint keys (a write to a key in flight waits for the next txn, so its condition sees the
///   revision the first one produced).
/// - The queue is bounded (`maxQueued`): past it, ``commit(_:)`` waits for room (backpressure on
///   submitters), it never drops.
/// - If the txn fails, the fence is checked: a lost fence ends the committer with
///   ``StoreError/notLeader``; otherwise each write is retried alone, so one stale write cannot
///   sink its neighbours. Each write's result is its own: when the retries stop part-way, the
///   writes already committed report `.committed`, and only the one that failed and those not
///   yet tried report the failure.
/// - A write that fails (etcd unreachable or refusing, a lost fence) stops the committer: it
///   ends the leader's term, because memory and etcd may now disagree.
public final class GroupCommitter: Sendable {
    typealias Pending = CommitQueue.Pending

    struct State {
        /// The writes, their keys in flight and the known revisions (decided there).
        var queue: CommitQueue
        /// Commit lanes waiting for work.
        var idleLanes: [CheckedContinuation<Void, Never>] = []
        /// Callers of ``waitForRoom()``, by number (so that a cancelled one can leave).
        var roomWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var lastRoomWaiter: UInt64 = 0
    }

    /// The most operations in one txn (etcd's `--max-txn-ops` default, less the fence).
    public static let maxOpsPerTxn = 127

    let etcd: EtcdClient
    let fence: Compare
    let lanes: Int
    let state: Mutex<State>
    /// Records the writes of each txn (`titan_store_commit_batch_size`).
    let batchSizes: Recorder?

    /// Creates a committer that writes through `etcd` while `fence` holds; `batchSizes`, when
    /// given, records the number of writes of each txn.
    public init(etcd: EtcdClient, fence: Compare, lanes: Int = 4, maxQueued: Int = 16_384, batchSizes: Recorder? = nil) {
        self.etcd = etcd
        self.batchSizes = batchSizes
        self.fence = fence
        self.lanes = max(1, lanes)
        self.state = Mutex(State(queue: CommitQueue(maxQueued: maxQueued, maxOpsPerTxn: Self.maxOpsPerTxn)))
    }

    /// Queues one write and returns once it is durable (or known to conflict).
    public func commit(_ write: StoreWrite) async throws -> StoreWriteResult {
        try await commit([write])[0]
    }

    /// Queues several writes at once and returns their results in order, once all are settled.
    /// Throws the first failure (``StoreError`` or the etcd error) if any write failed. Waits
    /// first while the queue is full.
    public func commit(_ writes: [StoreWrite]) async throws -> [StoreWriteResult] {
        try await waitForRoom()
        return try await enqueue(writes).value()
    }

    /// Queues writes now, in the caller's turn, and returns a ticket for their results.
    ///
    /// Queue order is call order: a caller that changes its state and enqueues the writes of that
    /// change in one uninterrupted turn (an actor method with no `await` in between) gets its
    /// writes to each key applied in the order of its changes, which coalescing ("the last value
    /// wins") relies on. Does not wait for room: callers that can wait call ``waitForRoom()``
    /// before changing their state.
    public func enqueue(_ writes: [StoreWrite]) -> CommitTicket {
        let ticket = CommitTicket(count: writes.count)
        guard !writes.isEmpty else { return ticket }
        let entries = writes.enumerated().map { index, write -> (write: StoreWrite, waiter: CommitQueue.Waiter) in
            (write, { ticket.settle(index, $0) })
        }
        let (lane, failure) = state.withLock { state -> (CheckedContinuation<Void, Never>?, StoreError?) in
            if let failure = state.queue.enqueue(entries) { return (nil, failure) }
            return (state.queue.isReady && !state.idleLanes.isEmpty ? state.idleLanes.removeFirst() : nil, nil)
        }
        if let failure {
            for index in writes.indices { ticket.settle(index, .failure(failure)) }
        }
        lane?.resume()
        return ticket
    }

    /// Returns once the queue has room; throws when the committer has stopped, and
    /// `CancellationError` when the calling task is cancelled while it waits.
    public func waitForRoom() async throws {
        while true {
            let full = try state.withLock { state -> Bool in
                if let failure = state.queue.failure { throw failure }
                return state.queue.isFull
            }
            guard full else { return }
            try Task.checkCancellation()
            let number = state.withLock { state -> UInt64 in
                state.lastRoomWaiter += 1
                return state.lastRoomWaiter
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let stillFull = state.withLock { state -> Bool in
                        guard state.queue.isFull, state.queue.failure == nil, !Task.isCancelled else { return false }
                        state.roomWaiters[number] = continuation
                        return true
                    }
                    if !stillFull { continuation.resume() }
                }
            } onCancel: {
                state.withLock { $0.roomWaiters.removeValue(forKey: number) }?.resume()
            }
        }
    }

    /// The committer's loop; run it as a child task of the leader's work. It returns when the
    /// task is cancelled, throws ``StoreError/notLeader`` when the fence is lost, and throws
    /// (etcd's error, or ``StoreError/stopped``) when a write fails; either way every queued and
    /// later write fails.
    public func run() async throws {
        defer { stop(with: .stopped) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<lanes {
                group.addTask { try await self.lane() }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// One commit lane: take a batch of keys no other lane holds, commit it, repeat.
    private func lane() async throws {
        while !Task.isCancelled {
            await waitForWork()
            if Task.isCancelled { break }
            // A stopped committer ends its lanes, so that run() returns and the term ends; a lane
            // that looped on an empty queue would keep a leader that can no longer write.
            if let failure = state.withLock({ $0.queue.failure }) { throw failure }
            let batch = takeBatch()
            guard !batch.isEmpty else { continue }
            // commitBatch settles every write of the batch, whatever happens.
            guard let failure = await commitBatch(batch) else {
                wakeIdleLaneIfWorkRemains()
                continue
            }
            switch failure {
            case is CancellationError:
                return
            case let error as StoreError:
                stop(with: error)
                throw error
            default:
                // etcd could not be reached or refused a write: the writers learn why, and the
                // term ends, since memory and etcd may now disagree.
                stop(with: .stopped)
                throw failure
            }
        }
    }
}

/// The results of one ``GroupCommitter/enqueue(_:)``, available once the last write settles.
public final class CommitTicket: Sendable {
    private struct State {
        var results: [StoreWriteResult?]
        var failure: (any Error)?
        var remaining: Int
        var continuation: CheckedContinuation<[StoreWriteResult], any Error>?
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(results: Array(repeating: nil, count: count), remaining: count))
    }

    /// The results in the order of the writes; throws the first failure if any write failed.
    public func value() async throws -> [StoreWriteResult] {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> Result<[StoreWriteResult], any Error>? in
                guard state.remaining == 0 else {
                    state.continuation = continuation
                    return nil
                }
                return Self.outcome(state)
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    func settle(_ index: Int, _ result: Result<StoreWriteResult, any Error>) {
        let done = state.withLock { state -> (CheckedContinuation<[StoreWriteResult], any Error>, Result<[StoreWriteResult], any Error>)? in
            guard state.results[index] == nil, state.remaining > 0 else { return nil }
            switch result {
            case let .success(value): state.results[index] = value
            case let .failure(error):
                state.results[index] = .conflict
                if state.failure == nil { state.failure = error }
            }
            state.remaining -= 1
            guard state.remaining == 0, let continuation = state.continuation else { return nil }
            state.continuation = nil
            return (continuation, Self.outcome(state))
        }
        if let (continuation, outcome) = done {
            continuation.resume(with: outcome)
        }
    }

    private static func outcome(_ state: State) -> Result<[StoreWriteResult], any Error> {
        if let failure = state.failure { return .failure(failure) }
        return .success(state.results.map { $0 ?? .conflict })
    }
}
