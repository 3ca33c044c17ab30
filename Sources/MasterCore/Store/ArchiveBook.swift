import ClusterModel
import LogStream
import WireProtocol

/// One attempt of one job: the unit the archive and the followers keep state for.
struct AttemptKey: Hashable, Sendable {
    /// The job.
    let job: JobID
    /// The attempt number (the epoch the leader assigned it with).
    let attempt: UInt32
}

/// The archive side of every attempt whose output the term takes: which chunk is new, which is
/// a resend, what one flush writes, what its commit acknowledges, when an attempt's cut marker
/// is due. Pure: no etcd, no clock of its own (``LogArchiver`` passes `now`), no sockets — the
/// actor feeds it events and carries out what it returns. Its rules (batches, acks, the cap,
/// inherited attempts) are the ones ``LogArchiver`` documents.
///
/// ```
/// receive ─taken─▶ pending ─cutBatch─▶ writing ─committed─▶ durable, LogAck(through)
///    │ ≤ durable: acknowledge now      │ past the cap: cut bytes counted, marker due
///    └ inherited, first chunk: load archive, later chunks wait ─loaded─▶ received in order
/// ```
struct ArchiveBook {
    /// What one attempt's archive looks like to this term.
    struct Attempt {
        /// The highest seq known durable (written by this term, or found in the archive).
        var durableThrough: UInt64?
        /// The highest seq received (queued, cut or durable).
        var lastReceived: UInt64?
        /// Chunks to write, in seq order.
        var pending: [LogRecord] = []
        /// Chunks in the txn in flight (one flush at a time): not durable yet, not pending either.
        var writing: [LogRecord] = []
        /// Compressed bytes archived or queued.
        var storedBytes = 0
        /// Whether the cap has been reached.
        var cap = Cap.storing
        /// Where to send the acknowledgement: the connection that delivered the latest chunk.
        var outbox: Outbox?
        /// Whether its worker reported it exited (``settle(_:attempt:)``).
        var exited = false
        /// The node whose worker sends it.
        var node: NodeID?
        /// The session whose chunks count since ``forgetUnwritten(node:owner:)``; `nil`: any.
        var owner: Outbox?
    }

    /// The cap's hold on one attempt.
    enum Cap: Equatable {
        /// Under the cap: chunks are stored.
        case storing
        /// The cap was reached: this and every later chunk is counted in `bytes` (output bytes),
        /// not stored; `marker` says whether the cut marker in etcd holds that count.
        case cutting(bytes: UInt64, marker: Marker)
    }

    /// The cut marker in etcd against the count.
    enum Marker: Equatable {
        /// It holds the count; written then (by this term, or found so in the archive).
        case current(writtenAt: ContinuousClock.Instant)
        /// It lags the count; last written then (`nil`: never by this term, or due at once).
        case behind(writtenAt: ContinuousClock.Instant?)

        /// When it was last written, if known.
        var writtenAt: ContinuousClock.Instant? {
            switch self {
            case let .current(writtenAt): return writtenAt
            case let .behind(writtenAt): return writtenAt
            }
        }
    }

    /// What became of one received chunk.
    enum Receipt {
        /// New: queued for the archive (or counted as cut); forward it to the followers and flush.
        case taken
        /// A resend of a durable chunk: send this acknowledgement at once; nothing is written.
        case acknowledge(LogAck)
        /// A resend of a chunk queued already (acknowledged with its batch), or a late frame of a
        /// session the node has replaced: nothing to do.
        case ignored
        /// The term's first chunk of an inherited attempt: read its archive and hand the summary
        /// to ``loaded(_:summary:now:)``; this chunk and the next wait for it.
        case load(AttemptKey)
        /// Waits for the attempt's archive to be read.
        case waiting
    }

    /// A chunk that waits for its attempt's archive to be read, with who delivered it.
    struct Waiting {
        let chunk: LogChunk
        let node: NodeID
        let outbox: Outbox
    }

    /// One txn's worth of writes, and what its commit makes durable.
    struct Batch {
        /// Archive batches and cut markers, key and value.
        var puts: [(key: String, value: [UInt8])] = []
        /// Per attempt, the seq acknowledged once the txn commits (`nil`: nothing to acknowledge).
        var acks: [(key: AttemptKey, through: UInt64?)] = []
    }

    /// An attempt's compressed bytes kept at most; past them, output is cut.
    let maxArchiveBytes: Int
    /// The most attempts whose state is kept (see ``LogArchiver``).
    var maxTrackedAttempts = 65_536
    /// The most operations in one txn (etcd's `--max-txn-ops` default, less the fence).
    var maxOpsPerTxn = 127
    /// The most value bytes in one txn (etcd refuses requests above 1.5 MiB; the JSON gateway
    /// grows values by a third).
    var maxBytesPerTxn = 768 << 10
    /// The least time between two writes of one attempt's cut marker while its output is cut.
    var markerInterval = Duration.seconds(1)

    private(set) var attempts: [AttemptKey: Attempt] = [:]
    /// Attempts with something to flush, in arrival order.
    private var dirty: [AttemptKey] = []
    private var dirtySet: Set<AttemptKey> = []
    /// The attempts, per job, whose output was cut (their markers get a final write: ``settle(_:attempt:)``).
    private var cutJobs: [JobID: Set<UInt32>] = [:]
    /// Attempts running when the term began whose archive is read at their first chunk.
    private var inherited: Set<AttemptKey> = []
    /// Chunks waiting for their inherited attempt's archive.
    private var loading: [AttemptKey: [Waiting]] = [:]

    /// A book that keeps at most `maxArchiveBytes` of compressed output per attempt.
    init(maxArchiveBytes: Int) {
        self.maxArchiveBytes = maxArchiveBytes
    }

    /// Whether a flush has something to do.
    var hasWork: Bool { !dirty.isEmpty }

    // MARK: - Chunks

    /// Takes one chunk delivered by `node`'s session on `outbox`. `isFollowed` says which
    /// attempts must be kept when the book is full.
    mutating func receive(_ chunk: LogChunk, from node: NodeID, outbox: Outbox, isFollowed: (AttemptKey) -> Bool) -> Receipt {
        let key = AttemptKey(job: chunk.jobID, attempt: chunk.attempt)
        if let owner = attempts[key]?.owner, owner !== outbox {
            return .ignored
        }
        if inherited.remove(key) != nil {
            loading[key] = [Waiting(chunk: chunk, node: node, outbox: outbox)]
            return .load(key)
        }
        if loading[key] != nil {
            loading[key]?.append(Waiting(chunk: chunk, node: node, outbox: outbox))
            return .waiting
        }
        if attempts[key] == nil, attempts.count >= maxTrackedAttempts {
            forgetIdle(keeping: isFollowed)
        }
        // Moved out, not copied: its arrays stay uniquely referenced, so appends do not copy them.
        var attempt = attempts.removeValue(forKey: key) ?? Attempt()
        attempt.outbox = outbox
        attempt.node = node
        defer { attempts[key] = attempt }
        if let durable = attempt.durableThrough, chunk.seq <= durable {
            return .acknowledge(LogAck(jobID: chunk.jobID, attempt: chunk.attempt, seq: durable))
        }
        if let last = attempt.lastReceived, chunk.seq <= last {
            return .ignored
        }
        attempt.lastReceived = chunk.seq
        let frameBytes = chunk.data.readableBytes
        switch attempt.cap {
        case .storing where attempt.storedBytes + frameBytes <= maxArchiveBytes:
            attempt.storedBytes += frameBytes
            attempt.pending.append(LogRecord(chunk))
        case .storing:
            noteCut(key)
            attempt.cap = .cutting(bytes: UInt64(chunk.uncompressedLength), marker: .behind(writtenAt: nil))
        case let .cutting(bytes, marker):
            attempt.cap = .cutting(bytes: bytes + UInt64(chunk.uncompressedLength), marker: .behind(writtenAt: marker.writtenAt))
        }
        markDirty(key)
        return .taken
    }

    /// Forgets the attempts with nothing to flush that nobody follows (a later resend of one of
    /// their chunks is then archived again, which readers skip by seq).
    private mutating func forgetIdle(keeping isFollowed: (AttemptKey) -> Bool) {
        attempts = attempts.filter { dirtySet.contains($0.key) || isFollowed($0.key) }
        cutJobs = cutJobs.filter { job, numbers in numbers.contains { attempts[AttemptKey(job: job, attempt: $0)] != nil } }
    }

    /// The chunks of `key` received but not durable yet, in seq order (a new follower's start).
    func unwritten(_ key: AttemptKey) -> [LogRecord] {
        guard let attempt = attempts[key] else { return [] }
        return attempt.writing + attempt.pending
    }

    // MARK: - Flushes

    /// Cuts the next txn's worth of writes: pending chunks of the attempts in arrival order, one
    /// value per attempt, and the cut markers due at `now`; `nil` when nothing is dirty. The
    /// chunks taken count as in flight until ``committed(_:)``.
    mutating func cutBatch(now: ContinuousClock.Instant) -> Batch? {
        var batch = Batch()
        var bytes = 0
        while let key = dirty.first, batch.puts.count < maxOpsPerTxn - 1, bytes < maxBytesPerTxn {
            guard var attempt = attempts.removeValue(forKey: key) else {
                dirty.removeFirst()
                dirtySet.remove(key)
                continue
            }
            var take = 0
            var batchBytes = 0
            for record in attempt.pending {
                let size = LogArchive.recordHeaderBytes + record.frame.count
                if take > 0 && bytes + batchBytes + size > maxBytesPerTxn { break }
                take += 1
                batchBytes += size
            }
            if take > 0 {
                let records = Array(attempt.pending.prefix(take))
                batch.puts.append((Keys.logBatch(of: key.job, attempt: key.attempt, firstSeq: records[0].seq), LogArchive.encode(records)))
                attempt.pending.removeFirst(take)
                attempt.writing += records
                bytes += batchBytes
            }
            if markerDue(attempt, now: now), case let .cutting(cutBytes, _) = attempt.cap {
                batch.puts.append((Keys.logCut(of: key.job, attempt: key.attempt), Array(String(cutBytes).utf8)))
                attempt.cap = .cutting(bytes: cutBytes, marker: .current(writtenAt: now))
            }
            // Acknowledge through the last chunk taken, or everything received if nothing waits.
            let through = attempt.pending.first.map { $0.seq == 0 ? nil : $0.seq - 1 } ?? attempt.lastReceived
            batch.acks.append((key, through))
            if attempt.pending.isEmpty {
                dirty.removeFirst()
                dirtySet.remove(key)
            }
            attempts[key] = attempt
        }
        return batch.acks.isEmpty ? nil : batch
    }

    /// The batch's txn committed (or had nothing to write): its chunks are durable. Returns the
    /// acknowledgements to send, each to the connection that delivered the attempt's latest chunk.
    mutating func committed(_ batch: Batch) -> [(ack: LogAck, outbox: Outbox)] {
        var acks: [(ack: LogAck, outbox: Outbox)] = []
        for (key, through) in batch.acks {
            attempts[key]?.writing.removeAll()
            guard let through, var attempt = attempts[key] else { continue }
            attempt.durableThrough = max(attempt.durableThrough ?? 0, through)
            attempts[key] = attempt
            if let outbox = attempt.outbox {
                acks.append((LogAck(jobID: key.job, attempt: key.attempt, seq: through), outbox))
            }
        }
        return acks
    }

    /// Whether the attempt's cut marker should be written at `now`: it changed, and it was last
    /// written at least ``markerInterval`` before (or never).
    private func markerDue(_ attempt: Attempt, now: ContinuousClock.Instant) -> Bool {
        guard case let .cutting(_, .behind(writtenAt)) = attempt.cap else { return false }
        guard let writtenAt else { return true }
        return writtenAt.duration(to: now) >= markerInterval
    }

    /// Makes the attempt's changed marker due at the next flush, whatever the interval.
    mutating func markerDueNow(_ key: AttemptKey) {
        guard case let .cutting(bytes, .behind)? = attempts[key]?.cap else { return }
        attempts[key]?.cap = .cutting(bytes: bytes, marker: .behind(writtenAt: nil))
        markDirty(key)
    }

    private mutating func markDirty(_ key: AttemptKey) {
        if dirtySet.insert(key).inserted {
            dirty.append(key)
        }
    }

    // MARK: - State for the lifecycle events (ArchiveBook+Lifecycle)

    mutating func setAttempt(_ attempt: Attempt, for key: AttemptKey) {
        attempts[key] = attempt
    }

    /// Drops the waiting chunks `where` says.
    mutating func dropWaiting(where drop: (Waiting) -> Bool) {
        for (key, waiting) in loading {
            loading[key] = waiting.filter { !drop($0) }
        }
    }

    mutating func takeWaiting(_ key: AttemptKey) -> [Waiting] {
        loading.removeValue(forKey: key) ?? []
    }

    mutating func markInherited(_ key: AttemptKey) {
        inherited.insert(key)
    }

    /// Notes that `key`'s output is cut (its marker gets a final write when the job settles).
    mutating func noteCut(_ key: AttemptKey) {
        cutJobs[key.job, default: []].insert(key.attempt)
    }

    /// The attempts of `job` whose output was cut, forgotten from the list.
    mutating func takeCutAttempts(of job: JobID) -> Set<UInt32> {
        cutJobs.removeValue(forKey: job) ?? []
    }
}
