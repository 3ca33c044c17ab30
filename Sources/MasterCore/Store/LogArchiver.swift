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
///   most ``ArchiveBook/maxOpsPerTxn`` puts and ``ArchiveBook/maxBytesPerTxn`` bytes of values (etcd refuses requests
///   above 1.5 MiB, and the JSON gateway grows values by a third). Never one write per chunk:
///   while a txn is in flight the next batch accumulates.
/// - **An ack means durable.** `LogAck(job, attempt, seq)` goes to the connection that delivered
///   the chunk once the txn holding it has committed. A chunk at or below the durable seq is a
///   resend after a reconnect: acknowledged again at once, not written again.
/// - **The cap.** An attempt's archive holds at most `maxArchiveBytes` of compressed chunks; past
///   that, chunks are acknowledged (by the next flush, batched, without an etcd write of their
///   own) but not stored, and the marker ``Keys/logCut(of:attempt:)`` says how many output bytes
///   were cut. The marker is written when the cut begins, then at most once per
///   ``ArchiveBook/markerInterval`` while it grows, and with its final count before the attempt's exit is
///   recorded (``settle(_:attempt:)``) or when the attempt ends otherwise (moved, cancelled).
/// - **Fenced.** Every txn carries the term's fence; a failed fence or etcd error ends `run`,
///   which ends the term.
///
/// The decisions are made by two pure books, ``ArchiveBook`` (the archive side of each attempt)
/// and ``FollowerBook`` (the `--follow` clients); this actor owns them, performs the etcd
/// writes and reads and the sends they ask for, and runs the flush loop.
///
/// Bounded: pending chunks per attempt are bounded by the worker's window (8 MiB), and at most
/// ``ArchiveBook/maxTrackedAttempts`` attempts are remembered: past that, those with nothing pending are
/// forgotten (a later resend of one of their chunks is then archived again, which readers
/// ignore by seq).
public actor LogArchiver {
    let etcd: EtcdClient
    private let fence: Compare
    /// The process's metrics (no-ops unless the executable bootstrapped a backend).
    let metrics: MasterMetrics
    /// The archive side of every attempt.
    var archive: ArchiveBook
    /// The clients following attempts.
    var followers = FollowerBook()
    /// ``settle(_:attempt:)`` and ``forgetUnwritten(node:owner:)`` callers waiting for the
    /// next flush to end.
    var flushWaiters: [CheckedContinuation<Void, Never>] = []
    /// Whether `run` has returned (the term is over).
    private(set) var ended = false
    private let doorbell: AsyncStream<Void>.Continuation
    private let rings: AsyncStream<Void>
    /// Inherited attempts whose archive must be read (``ArchiveBook/Receipt/load(_:)``).
    let loadRequests: AsyncStream<AttemptKey>.Continuation
    let loadQueue: AsyncStream<AttemptKey>

    /// Creates an archiver writing through `etcd` under `fence`, keeping at most
    /// `maxArchiveBytes` of compressed output per attempt.
    public init(etcd: EtcdClient, fence: Compare, maxArchiveBytes: Int, metrics: MasterMetrics = MasterMetrics()) {
        self.etcd = etcd
        self.fence = fence
        self.metrics = metrics
        self.archive = ArchiveBook(maxArchiveBytes: maxArchiveBytes)
        (self.rings, self.doorbell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (self.loadQueue, self.loadRequests) = AsyncStream.makeStream(of: AttemptKey.self)
    }

    /// Takes one chunk of a current attempt, delivered by `node`'s session on `outbox`.
    public func receive(_ chunk: LogChunk, from node: NodeID, outbox: Outbox) {
        // (The closure reads the book in place: a copy of it would make the next change to the
        // followers copy their whole table.)
        switch archive.receive(chunk, from: node, outbox: outbox, isFollowed: { self.followers.isFollowed($0) }) {
        case .taken:
            metrics.logChunksReceived.increment()
            metrics.logBytesReceived.increment(by: chunk.data.readableBytes)
            perform(self.followers.forward(chunk))
            doorbell.yield()
        case let .acknowledge(ack):
            outbox.send(.logAck(ack))
        case let .load(key):
            loadRequests.yield(key)
        case .ignored, .waiting:
            break
        }
    }

    /// Rings the flush loop if the archive has something to write.
    func flushIfNeeded() {
        if archive.hasWork { doorbell.yield() }
    }

    /// Flushes whenever there is something to flush, until cancelled; throws when a write fails
    /// (the term must end).
    public func run() async throws {
        defer {
            // The term is over: nobody will write the markers those callers wait for.
            ended = true
            wakeFlushWaiters()
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
        while let batch = archive.cutBatch(now: .now) {
            if !batch.puts.isEmpty {
                let txn = Txn(compares: [fence], success: batch.puts.map { .put(key: $0.key, value: $0.value) }, failure: [])
                let outcome = try await etcd.txnOutcome(txn)
                guard outcome.succeeded else { throw StoreError.notLeader }
                metrics.logBytesArchived.increment(by: batch.puts.reduce(0) { $0 + $1.value.count })
            }
            for (ack, outbox) in archive.committed(batch) {
                outbox.send(.logAck(ack))
            }
            wakeFlushWaiters()
        }
    }

    /// Returns after the next flush ends (or at once if the term is over).
    func nextFlush() async {
        guard !ended else { return }
        await withCheckedContinuation { flushWaiters.append($0) }
    }

    private func wakeFlushWaiters() {
        let waiting = flushWaiters
        flushWaiters = []
        waiting.forEach { $0.resume() }
    }

    private func expireDying() {
        perform(followers.expireDying(now: .now))
    }

    /// Carries out what the follower book decided.
    func perform(_ actions: [FollowerBook.Action]) {
        var dropped: Set<FollowerBook.FollowerID> = []
        for action in actions {
            switch action {
            case let .send(chunk, outbox, id):
                guard !dropped.contains(id) else { continue }
                if outbox.send(.logChunk(chunk)) {
                    metrics.logChunksForwarded.increment()
                    metrics.logBytesForwarded.increment(by: chunk.data.readableBytes)
                } else {
                    followers.drop(id)  // too slow or gone: it reconnects and resumes
                    dropped.insert(id)
                }
            case let .end(end, outbox):
                outbox.send(.logEnd(end))
            case let .fellBehind(outbox):
                outbox.send(.error(ErrorMessage(correlationID: 0, code: .unavailable, message: "the log follower fell behind; follow again from the last seq received")))
            }
        }
    }
}
