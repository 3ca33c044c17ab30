import ClusterModel
import LogStream
import NIOCore
import WireProtocol

/// `titan-cli logs --follow` on the leader: every chunk the archiver takes is forwarded at once,
/// compressed as it came, to the followers of its attempt; a follower that is still reading the
/// archive gets the live chunks afterwards, so it sees each seq once and in order; `LogEnd`
/// follows the attempt's last chunk.
///
/// ```
/// follow ─▶ catching up (live chunks buffered) ─caughtUp(next)─▶ live ─attempt over─▶ LogEnd, gone
/// ```
///
/// A cancelled attempt that has written output is **dying** until its worker reports it exited
/// (``settle(_:attempt:)``) or ``dyingGrace`` passes: its followers get `LogEnd` only then, so
/// they see its last words too (a TERM trap's, say), as the archive does.
extension LogArchiver {
    /// How long the followers of a killed attempt wait for its exit before they get `LogEnd`
    /// anyway (its worker may be gone); output that comes later is still archived.
    static let dyingGrace = Duration.seconds(10)

    /// The most live chunks held for a follower still reading the archive (at most 64 MiB).
    static let maxBufferedPerFollower = 1024

    /// One client following one attempt.
    struct Follower {
        let outbox: Outbox
        let streams: Set<LogStreamKind>
        /// The next seq to send.
        var next: UInt64
        /// False while the client is sent the archive: live chunks wait in `buffered`.
        var live = false
        var buffered: [LogChunk] = []
        /// Set once the attempt is over; sent after everything else.
        var end: LogEnd?
    }

    /// Starts following an attempt for `outbox`: chunks that are not durable yet are taken now,
    /// later ones as they come; none is sent before ``caughtUp(_:job:attempt:next:)``. Returns
    /// the follower's id.
    public func follow(job: JobID, attempt: UInt32, streams: Set<LogStreamKind>, from seq: UInt64, outbox: Outbox) -> UInt64 {
        nextFollowerID += 1
        let key = AttemptKey(job: job, attempt: attempt)
        var follower = Follower(outbox: outbox, streams: streams, next: seq)
        if let state = attempts[key] {
            follower.buffered = (state.writing + state.pending).map { record in
                LogChunk(
                    jobID: job, attempt: attempt, stream: record.stream == 2 ? .stderr : .stdout, seq: record.seq,
                    uncompressedLength: record.uncompressedLength, data: ByteBuffer(bytes: record.frame))
            }
        }
        followers[key, default: [:]][nextFollowerID] = follower
        return nextFollowerID
    }

    /// The follower has been sent the archive up to (not including) seq `next`: it gets what
    /// was buffered meanwhile, then live chunks, and `LogEnd` if the attempt is over.
    public func caughtUp(_ id: UInt64, job: JobID, attempt: UInt32, next: UInt64) {
        let key = AttemptKey(job: job, attempt: attempt)
        guard var follower = followers[key]?[id] else { return }
        follower.next = max(follower.next, next)
        follower.live = true
        let buffered = follower.buffered
        follower.buffered = []
        followers[key]?[id] = follower
        for chunk in buffered.sorted(by: { $0.seq < $1.seq }) {
            deliver(chunk, to: id, key: key)
        }
        if dying[key] == nil, let end = followers[key]?[id]?.end {
            finish(id, key: key, end)
        }
    }

    /// A job changed: followers of an attempt that is over (the job is final, or runs a later
    /// attempt) get `LogEnd` once they have been sent everything.
    public func jobChanged(_ job: JobID, status: JobStatus) {
        // An attempt that ended (the job's last, or the one before a move) gets its cut marker's
        // final count now rather than at the next ``markerInterval``.
        for attempt in [status.attempt, status.attempt &- 1] where status.state.isFinal || attempt != status.attempt {
            let key = AttemptKey(job: job, attempt: attempt)
            guard attempts[key]?.cutChanged == true else { continue }
            attempts[key]?.markerWrittenAt = nil
            markDirty(key)
        }
        for key in followers.keys where key.job == job && (key.attempt < status.attempt || status.state.isFinal) {
            let end = LogEnd(
                jobID: job, attempt: key.attempt, finalState: status.state,
                exitCode: key.attempt == status.attempt ? status.exitCode : nil)
            if status.state == .cancelled, key.attempt == status.attempt, let attempt = attempts[key], !attempt.exited {
                // Killed, still dying: `LogEnd` waits for its exit (or the grace).
                if dying[key] == nil {
                    dying[key] = ContinuousClock.now + Self.dyingGrace
                }
            }
            for (id, follower) in followers[key] ?? [:] {
                if follower.live && dying[key] == nil {
                    finish(id, key: key, end)
                } else {
                    followers[key]?[id]?.end = end
                }
            }
        }
    }

    /// The attempt is over on its worker (its exit was reported): its followers get their
    /// `LogEnd` now, after everything it wrote. (The leader's epoch is the attempt number.)
    func attemptExited(_ key: AttemptKey) {
        attempts[key]?.exited = true
        endDying(key)
    }

    /// Ends the followers of dying attempts whose grace has passed.
    func expireDying() {
        let now = ContinuousClock.now
        for (key, deadline) in dying where deadline <= now {
            endDying(key)
        }
    }

    private func endDying(_ key: AttemptKey) {
        guard dying.removeValue(forKey: key) != nil else { return }
        for (id, follower) in followers[key] ?? [:] where follower.live {
            if let end = follower.end {
                finish(id, key: key, end)
            }
        }
    }

    /// Drops every follower writing to `outbox` (its connection closed).
    public func unfollow(_ outbox: Outbox) {
        for key in followers.keys {
            followers[key] = followers[key]?.filter { $0.value.outbox !== outbox }
            if followers[key]?.isEmpty == true { followers.removeValue(forKey: key) }
        }
    }

    /// Hands a newly taken chunk to the attempt's followers.
    func forward(_ chunk: LogChunk, key: AttemptKey) {
        guard let ids = followers[key]?.keys else { return }
        for id in ids {
            if followers[key]?[id]?.live == true {
                deliver(chunk, to: id, key: key)
            } else if (followers[key]?[id]?.buffered.count ?? 0) < Self.maxBufferedPerFollower {
                followers[key]?[id]?.buffered.append(chunk)
            } else {
                // Still reading the archive while the job writes faster: let it start over from
                // where it is (the client resumes by seq).
                let dropped = followers[key]?.removeValue(forKey: id)
                dropped?.outbox.send(.error(ErrorMessage(correlationID: 0, code: .unavailable, message: "the log follower fell behind; follow again from the last seq received")))
            }
        }
    }

    private func deliver(_ chunk: LogChunk, to id: UInt64, key: AttemptKey) {
        guard var follower = followers[key]?[id], chunk.seq >= follower.next else { return }
        follower.next = chunk.seq + 1
        followers[key]?[id] = follower
        guard follower.streams.contains(chunk.stream) else { return }
        if !follower.outbox.send(.logChunk(chunk)) {
            followers[key]?.removeValue(forKey: id)  // too slow or gone: it reconnects and resumes
        }
    }

    private func finish(_ id: UInt64, key: AttemptKey, _ end: LogEnd) {
        guard let follower = followers[key]?.removeValue(forKey: id) else { return }
        if followers[key]?.isEmpty == true { followers.removeValue(forKey: key) }
        follower.outbox.send(.logEnd(end))
    }
}
