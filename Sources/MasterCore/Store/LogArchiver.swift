import ClusterModel
import EtcdClient
import LogStream
import NIOCore
import WireProtocol

/// Appends workers' log chunks to etcd in batches and acknowledges them once durable.
///
/// ```
/// LogChunk ─▶ receive: dedupe by seq, cap ─▶ pending per attempt ─┐
///                                         doorbell ─▶ run: flush ─┴▶ txn [fence] puts ─▶ LogAck(seq)
/// ```
/// - **Batches.** A flush writes one value per attempt with pending chunks (key
///   ``Keys/logBatch(of:attempt:firstSeq:)``, format ``LogArchive``), many attempts per txn, at
///   most ``maxOpsPerTxn`` puts and ``maxBytesPerTxn`` bytes of values (etcd refuses requests
///   above 1.5 MiB, and the JSON gateway grows values by a third). Never one write per chunk:
///   while a txn is in flight the next batch accumulates.
/// - **An ack means durable.** `LogAck(job, attempt, seq)` goes to the connection that delivered
///   the chunk once the txn holding it has committed. A chunk at or below the durable seq is a
///   resend after a reconnect: acknowledged again at once, not written again.
/// - **The cap.** An attempt's archive holds at most `maxArchiveBytes` of compressed chunks; past
///   that, chunks are acknowledged (by the next flush, batched, without an etcd write of their
///   own) but not stored, and the marker ``Keys/logCut(of:attempt:)`` says how many output bytes
///   were cut. The marker is written when the cut begins, then at most once per
///   ``markerInterval`` while it grows, and with its final count before the attempt's exit is
///   recorded (``settle(_:attempt:)``) or when the attempt ends otherwise (moved, cancelled).
/// - **Fenced.** Every txn carries the term's fence; a failed fence or etcd error ends `run`,
///   which ends the term.
///
/// Bounded: pending chunks per attempt are bounded by the worker's window (8 MiB), and at most
/// ``maxTrackedAttempts`` attempts are remembered: past that, those with nothing pending are
/// forgotten (a later resend of one of their chunks is then archived again, which readers
/// ignore by seq).
public actor LogArchiver {
    /// The most attempts whose dedupe state is kept.
    static let maxTrackedAttempts = 65_536
    /// The most operations in one txn (etcd's `--max-txn-ops` default, less the fence).
    static let maxOpsPerTxn = 127
    /// The most value bytes in one txn.
    static let maxBytesPerTxn = 768 << 10
    /// The least time between two writes of one attempt's cut marker while its output is cut.
    static let markerInterval = Duration.seconds(1)

    struct AttemptKey: Hashable {
        let job: JobID
        let attempt: UInt32
    }

    struct Attempt {
        /// The highest seq known durable (written by this term), if any.
        var durableThrough: UInt64?
        /// The highest seq received (queued, cut or durable).
        var lastReceived: UInt64?
        /// Chunks to write, in seq order.
        var pending: [LogRecord] = []
        /// Chunks in the txn in flight (one flush at a time): not durable yet, not pending either.
        var writing: [LogRecord] = []
        /// Compressed bytes archived or queued.
        var storedBytes = 0
        /// Output bytes cut by the cap (everything after the first chunk that did not fit), and
        /// whether the marker must be written.
        var cutBytes: UInt64 = 0
        var cutChanged = false
        var cutting = false
        /// When the marker was last written (by this term).
        var markerWrittenAt: ContinuousClock.Instant?
        /// Where to send the acknowledgement: the connection that delivered the latest chunk.
        var outbox: Outbox?
        /// Whether its worker reported it exited (``settle(_:attempt:)``).
        var exited = false
        /// The node whose worker sends it.
        var node: NodeID?
        /// The session whose chunks count since ``forgetUnwritten(node:owner:)``; `nil`: any.
        var owner: Outbox?
    }

    let etcd: EtcdClient
    private let fence: Compare
    private let maxArchiveBytes: Int
    var attempts: [AttemptKey: Attempt] = [:]
    /// Clients following an attempt's output (``follow(_:outbox:)``).
    var followers: [AttemptKey: [UInt64: Follower]] = [:]
    var nextFollowerID: UInt64 = 0
    /// Attempts with something to flush, in arrival order.
    private var dirty: [AttemptKey] = []
    private var dirtySet: Set<AttemptKey> = []
    /// The attempts, per job, whose output was cut (their markers get a final write: ``settle(_:attempt:)``).
    var cutJobs: [JobID: Set<UInt32>] = [:]
    /// ``settle(_:attempt:)`` callers waiting for the next flush to end.
    var flushWaiters: [CheckedContinuation<Void, Never>] = []
    /// Whether `run` has returned (the term is over).
    private(set) var ended = false
    /// Killed attempts whose followers wait for their exit, with the time they stop waiting.
    var dying: [AttemptKey: ContinuousClock.Instant] = [:]
    private let doorbell: AsyncStream<Void>.Continuation
    private let rings: AsyncStream<Void>
    /// Attempts running when the term began whose archive is read at their first chunk
    /// (``inherit(_:)``), and the chunks that wait for that read.
    var inherited: Set<AttemptKey> = []
    var loading: [AttemptKey: [(chunk: LogChunk, node: NodeID, outbox: Outbox)]] = [:]
    let loadRequests: AsyncStream<AttemptKey>.Continuation
    let loadQueue: AsyncStream<AttemptKey>

    /// Creates an archiver writing through `etcd` under `fence`, keeping at most
    /// `maxArchiveBytes` of compressed output per attempt.
    public init(etcd: EtcdClient, fence: Compare, maxArchiveBytes: Int) {
        self.etcd = etcd
        self.fence = fence
        self.maxArchiveBytes = maxArchiveBytes
        (self.rings, self.doorbell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (self.loadQueue, self.loadRequests) = AsyncStream.makeStream(of: AttemptKey.self)
    }

    /// Takes one chunk of a current attempt, delivered by `node`'s session on `outbox`.
    public func receive(_ chunk: LogChunk, from node: NodeID, outbox: Outbox) {
        let key = AttemptKey(job: chunk.jobID, attempt: chunk.attempt)
        if let owner = attempts[key]?.owner, owner !== outbox {
            return  // a late frame of a session the node has replaced (``forgetUnwritten``)
        }
        if queueWhileLoading(chunk, node: node, outbox: outbox, key: key) {
            return
        }
        if attempts[key] == nil, attempts.count >= Self.maxTrackedAttempts {
            attempts = attempts.filter { dirtySet.contains($0.key) || followers[$0.key] != nil }
            cutJobs = cutJobs.filter { job, numbers in numbers.contains { attempts[AttemptKey(job: job, attempt: $0)] != nil } }
        }
        var attempt = attempts[key] ?? Attempt()
        attempt.outbox = outbox
        attempt.node = node
        if let durable = attempt.durableThrough, chunk.seq <= durable {
            attempts[key] = attempt
            outbox.send(.logAck(LogAck(jobID: chunk.jobID, attempt: chunk.attempt, seq: durable)))
            return
        }
        if let last = attempt.lastReceived, chunk.seq <= last {
            attempts[key] = attempt  // a resend of a chunk queued already: acked with its batch
            return
        }
        forward(chunk, key: key)
        attempt.lastReceived = chunk.seq
        let frameBytes = chunk.data.readableBytes
        if attempt.cutting || attempt.storedBytes + frameBytes > maxArchiveBytes {
            if !attempt.cutting {
                cutJobs[key.job, default: []].insert(key.attempt)
            }
            attempt.cutting = true
            attempt.cutBytes += UInt64(chunk.uncompressedLength)
            attempt.cutChanged = true
        } else {
            attempt.storedBytes += frameBytes
            attempt.pending.append(LogRecord(seq: chunk.seq, stream: chunk.stream == .stdout ? 1 : 2, uncompressedLength: chunk.uncompressedLength, frame: Array(chunk.data.readableBytesView)))
        }
        attempts[key] = attempt
        markDirty(key)
    }

    /// Whether the attempt's cut marker should be written now: it changed, and it was last
    /// written at least ``markerInterval`` ago (or never).
    private func markerDue(_ attempt: Attempt) -> Bool {
        guard attempt.cutChanged else { return false }
        guard let written = attempt.markerWrittenAt else { return true }
        return written.duration(to: .now) >= Self.markerInterval
    }

    /// Queues the attempt for the next flush.
    func markDirty(_ key: AttemptKey) {
        if dirtySet.insert(key).inserted {
            dirty.append(key)
        }
        doorbell.yield()
    }

    /// Flushes whenever there is something to flush, until cancelled; throws when a write fails
    /// (the term must end).
    public func run() async throws {
        defer {
            // The term is over: nobody will write the markers those callers wait for.
            ended = true
            let waiting = flushWaiters
            flushWaiters = []
            waiting.forEach { $0.resume() }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Followers of a killed attempt whose worker never reports its exit.
                while true {
                    try await Task.sleep(for: .seconds(1))
                    await self.expireDying()
                }
            }
            group.addTask {
                for await _ in self.rings {
                    try await self.flushAll()
                }
            }
            group.addTask { try await self.runLoads() }
            // Either ends only by throwing (a failed write) or by cancellation: end the other.
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Flushes until nothing is dirty, then wakes ``settle(_:attempt:)`` callers.
    private func flushAll() async throws {
        while !dirty.isEmpty {
            try await flush()
            let waiting = flushWaiters
            flushWaiters = []
            waiting.forEach { $0.resume() }
        }
    }

    /// Writes one txn's worth of pending chunks and acknowledges them.
    private func flush() async throws {
        var ops: [TxnOp] = []
        var bytes = 0
        var written: [(AttemptKey, UInt64?)] = []
        while let key = dirty.first, ops.count < Self.maxOpsPerTxn - 1, bytes < Self.maxBytesPerTxn {
            guard var attempt = attempts[key] else {
                dirty.removeFirst()
                dirtySet.remove(key)
                continue
            }
            var take = 0
            var batchBytes = 0
            for record in attempt.pending {
                let size = LogArchive.recordHeaderBytes + record.frame.count
                if take > 0 && bytes + batchBytes + size > Self.maxBytesPerTxn { break }
                take += 1
                batchBytes += size
            }
            if take > 0 {
                let batch = Array(attempt.pending.prefix(take))
                ops.append(.put(key: Keys.logBatch(of: key.job, attempt: key.attempt, firstSeq: batch[0].seq), value: LogArchive.encode(batch)))
                attempt.pending.removeFirst(take)
                attempt.writing += batch
                bytes += batchBytes
            }
            if markerDue(attempt) {
                ops.append(.put(key: Keys.logCut(of: key.job, attempt: key.attempt), value: Array(String(attempt.cutBytes).utf8)))
                attempt.cutChanged = false
                attempt.markerWrittenAt = .now
            }
            // Acknowledge through the last chunk taken, or everything received if nothing waits.
            let through = attempt.pending.first.map { $0.seq == 0 ? nil : $0.seq - 1 } ?? attempt.lastReceived
            written.append((key, through))
            if attempt.pending.isEmpty {
                dirty.removeFirst()
                dirtySet.remove(key)
            }
            attempts[key] = attempt
        }
        guard !written.isEmpty else { return }
        if !ops.isEmpty {
            let outcome = try await etcd.txnOutcome(Txn(compares: [fence], success: ops, failure: []))
            guard outcome.succeeded else { throw StoreError.notLeader }
        }
        for (key, through) in written {
            attempts[key]?.writing.removeAll()
            guard let through, var attempt = attempts[key] else { continue }
            attempt.durableThrough = max(attempt.durableThrough ?? 0, through)
            attempts[key] = attempt
            attempt.outbox?.send(.logAck(LogAck(jobID: key.job, attempt: key.attempt, seq: through)))
        }
    }
}
