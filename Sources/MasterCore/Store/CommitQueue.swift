import EtcdClient
import NIOCore

/// The group committer's queue: which writes wait, which keys a txn in flight holds, what the
/// next batch is and when to cut it (``isReady``), what each key's revision is, and who learns
/// what when a batch ends. Pure: no etcd, no locks, no clock — ``GroupCommitter`` holds it under
/// its lock, performs the txns and calls the waiters it returns outside the lock.
///
/// ```
/// enqueue ─▶ queued (coalesced per key) ─takeBatch─▶ in flight ─finish─▶ revisions, waiters told
///                                                               └fail / stop─▶ waiters told why
/// ```
struct CommitQueue {
    /// Told a write's result once it is settled.
    typealias Waiter = @Sendable (Result<StoreWriteResult, any Error>) -> Void

    /// A queued write and everyone waiting for it (several when writes to one key coalesced).
    struct Pending {
        var write: StoreWrite
        var waiters: [Waiter]
    }

    /// The most keys queued before ``isFull``.
    let maxQueued: Int
    /// The most writes in one batch (etcd's `--max-txn-ops` default, less the fence).
    let maxOpsPerTxn: Int

    private var queue: [String: Pending] = [:]
    /// Queued keys in arrival order (each is in `queue`).
    private var order = CircularBuffer<String>()
    /// Keys of the txns in flight: a later write to one waits for the next batch, so that its
    /// `.current` condition sees the revision the txn in flight produces.
    private var inFlight: Set<String> = []
    /// Queued keys that no txn in flight holds: what a batch could take now.
    private(set) var takeable = 0
    /// Batches taken that were not full and whose txn has not answered yet (``txnAnswered(_:)``).
    private(set) var partialTxnsInFlight = 0
    /// Why the queue stopped; once set, every write fails with it.
    private(set) var failure: StoreError?
    /// The `mod_revision` of every tracked key, as last committed.
    private(set) var revisions: [String: Int64] = [:]

    /// A queue holding at most `maxQueued` keys, cutting batches of at most `maxOpsPerTxn`.
    init(maxQueued: Int, maxOpsPerTxn: Int) {
        self.maxQueued = maxQueued
        self.maxOpsPerTxn = maxOpsPerTxn
    }

    /// Whether a caller that can wait should wait for room before queueing more.
    var isFull: Bool { queue.count >= maxQueued }

    /// Whether a write is queued whose key no txn in flight holds.
    var hasTakeableWork: Bool { takeable > 0 }

    /// Whether a lane should commit now: a full txn's worth is takeable, or something is and no
    /// partial txn awaits its answer. So at most one partial txn is on its way at a time: at low
    /// load a write goes at once (one etcd round trip), and under load the writes that arrive
    /// during one txn's round trip make the next txn. etcd spends about a millisecond of CPU per
    /// txn and a tenth of that per put in it, so on a busy host fewer, fuller txns leave the CPU
    /// to the rest; full txns still go several at a time (a burst of submissions). A batch whose
    /// txn failed its compares and whose writes now go one by one no longer counts: it cannot
    /// hold the next partial txn back for hundreds of round trips.
    var isReady: Bool { takeable >= maxOpsPerTxn || (partialTxnsInFlight == 0 && takeable > 0) }

    /// Queues writes, each with its waiter, at `now`. A write to a queued key coalesces with it:
    /// the last value is written under the first's condition, and all its waiters get the same
    /// result. Returns the failure, and queues nothing, if the queue has stopped.
    mutating func enqueue(_ writes: [(write: StoreWrite, waiter: Waiter)]) -> StoreError? {
        if let failure { return failure }
        for (write, waiter) in writes {
            if var pending = queue[write.key] {
                pending.write.operation = write.operation
                pending.waiters.append(waiter)
                queue[write.key] = pending
            } else {
                queue[write.key] = Pending(write: write, waiters: [waiter])
                order.append(write.key)
                if !inFlight.contains(write.key) { takeable += 1 }
            }
        }
        return nil
    }

    /// Takes up to a txn's worth of queued writes, oldest first, whose keys are not in flight;
    /// they are in flight until ``finish(_:results:)`` or ``fail(_:with:)``. Looks at no more of
    /// the queue than it takes, plus the keys it skips.
    mutating func takeBatch() -> [Pending] {
        var batch: [Pending] = []
        var skipped: [String] = []
        while batch.count < maxOpsPerTxn, let key = order.popFirst() {
            if inFlight.contains(key) {
                skipped.append(key)
            } else if let pending = queue.removeValue(forKey: key) {
                batch.append(pending)
                inFlight.insert(key)
                takeable -= 1
            }
        }
        for key in skipped.reversed() { order.prepend(key) }
        if !batch.isEmpty, batch.count < maxOpsPerTxn { partialTxnsInFlight += 1 }
        return batch
    }

    /// The first txn of `batch` answered (applied, refused, or failed): a partial batch no longer
    /// holds the next one back, whether its writes are settled or now go one by one.
    mutating func txnAnswered(_ batch: [Pending]) {
        if !batch.isEmpty, batch.count < maxOpsPerTxn { partialTxnsInFlight -= 1 }
    }

    /// The compare each write of `batch` needs, from what the queue knows of its key.
    func conditions(for batch: [Pending]) -> [Compare?] {
        batch.map { pending in
            let write = pending.write
            switch write.expectation {
            case .absent:
                return .keyMissing(write.key)
            case let .modRevision(revision):
                return .modRevision(write.key, .equal, revision)
            case .current:
                // An untracked key has no known revision: require that it does not exist, which
                // fails (a conflict) for any key someone else created.
                guard let revision = revisions[write.key] else { return .keyMissing(write.key) }
                return .modRevision(write.key, .equal, revision)
            }
        }
    }

    /// Writes of a batch got their results: their keys leave flight, committed revisions are
    /// tracked. Returns the waiters to tell.
    mutating func finish(_ batch: ArraySlice<Pending>, results: [StoreWriteResult]) -> [(Waiter, Result<StoreWriteResult, any Error>)] {
        var told: [(Waiter, Result<StoreWriteResult, any Error>)] = []
        for (pending, result) in zip(batch, results) {
            land(pending.write.key)
            if case let .committed(revision) = result {
                switch pending.write.operation {
                case .put: revisions[pending.write.key] = revision
                case .delete: revisions.removeValue(forKey: pending.write.key)
                }
            }
            told += pending.waiters.map { ($0, .success(result)) }
        }
        return told
    }

    /// Writes of a batch failed with `error` (a cancelled commit as ``StoreError/stopped``):
    /// their keys leave flight. Returns the waiters to tell.
    mutating func fail(_ batch: ArraySlice<Pending>, with error: any Error) -> [(Waiter, Result<StoreWriteResult, any Error>)] {
        let error = error is CancellationError ? StoreError.stopped : error
        batch.forEach { land($0.write.key) }
        return batch.flatMap { pending in pending.waiters.map { ($0, .failure(error)) } }
    }

    /// Stops the queue (the first reason stays): everything queued fails with it, and so does
    /// every later write. Returns the waiters to tell.
    mutating func stop(with error: StoreError) -> [(Waiter, Result<StoreWriteResult, any Error>)] {
        if failure == nil { failure = error }
        let pending = order.compactMap { queue[$0] }
        queue.removeAll()
        order.removeAll()
        takeable = 0
        return pending.flatMap { item in item.waiters.map { ($0, .failure(error)) } }
    }

    /// A key leaves flight; a write to it queued meanwhile becomes takeable.
    private mutating func land(_ key: String) {
        if inFlight.remove(key) != nil, queue[key] != nil { takeable += 1 }
    }

    /// Sets a key's known `mod_revision` (`nil`: no longer tracked).
    mutating func track(_ key: String, revision: Int64?) {
        revisions[key] = revision
    }
}
