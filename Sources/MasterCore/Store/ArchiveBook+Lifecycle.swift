import ClusterModel
import LogStream
import WireProtocol

/// The points of an attempt's life where its archive state must change outside the flow of
/// chunks: a worker's new session, the attempt's exit, its end as the leader records it, and
/// (for attempts running when the term began) the read of what earlier terms archived.
extension ArchiveBook {
    // MARK: - Sessions and exits

    /// A session of `node` begins: the chunks of its attempts received but not yet in a txn are
    /// forgotten (never acknowledged: a worker that lives on sends them again; one that took
    /// over from a dead process resumes from the archive), and later chunks count only from
    /// `owner`. Returns the node's attempts: the caller waits until none is ``isWriting(_:)``.
    mutating func forgetUnwritten(node: NodeID, owner: Outbox) -> [AttemptKey] {
        var keys: [AttemptKey] = []
        for (key, attempt) in attempts where attempt.node == node {
            var attempt = attempt
            // (An attempt past its cap keeps its pending chunks: they were received before the
            // cut began, and would be cut if they came again.)
            if attempt.cap == .storing, let first = attempt.pending.first {
                attempt.lastReceived = first.seq == 0 ? nil : first.seq - 1
                attempt.storedBytes -= attempt.pending.reduce(0) { $0 + $1.frame.count }
                attempt.pending = []
            }
            attempt.owner = owner
            setAttempt(attempt, for: key)
            keys.append(key)
        }
        dropWaiting { $0.node == node && $0.outbox !== owner }
        return keys
    }

    /// Whether any of `keys` has chunks in the txn in flight.
    func isWriting(_ keys: [AttemptKey]) -> Bool {
        keys.contains { attempts[$0]?.writing.isEmpty == false }
    }

    /// `attempt` of `job` exited on its worker: marks it exited and makes the cut markers of the
    /// job's attempts due now. Returns those attempts: the caller waits until
    /// ``markersPending(_:)`` is false, so that a final job's marker holds its exact count.
    mutating func settle(_ job: JobID, attempt: UInt32) -> [AttemptKey] {
        let exited = AttemptKey(job: job, attempt: attempt)
        if var state = attempts[exited] {
            state.exited = true
            setAttempt(state, for: exited)
        }
        let keys = takeCutAttempts(of: job).map { AttemptKey(job: job, attempt: $0) }
        keys.forEach { markerDueNow($0) }
        return keys
    }

    /// Whether any of `keys` has a cut marker not yet written with its latest count.
    func markersPending(_ keys: [AttemptKey]) -> Bool {
        keys.contains { key in
            guard case .cutting(_, .behind)? = attempts[key]?.cap else { return false }
            return true
        }
    }

    /// Whether the attempt's worker reported it exited.
    func hasExited(_ key: AttemptKey) -> Bool {
        attempts[key]?.exited == true
    }

    /// The job changed to `status`: an attempt that ended (the job's last, when it is final, or
    /// the one before a move) gets its cut marker's final count at the next flush rather than
    /// after the marker interval.
    mutating func jobChanged(_ job: JobID, status: JobStatus) {
        for attempt in [status.attempt, status.attempt &- 1] where status.state.isFinal || attempt != status.attempt {
            markerDueNow(AttemptKey(job: job, attempt: attempt))
        }
    }

    // MARK: - Inherited attempts

    /// The attempts that run when the term begins: the first chunk of each reads its archive.
    mutating func inherit(_ keys: [AttemptKey]) {
        keys.forEach { markInherited($0) }
    }

    /// The archive of `key` is read: its state starts from `summary`. Returns the chunks that
    /// waited for it, in arrival order, to be received again.
    mutating func loaded(_ key: AttemptKey, summary: LogArchiveSummary, now: ContinuousClock.Instant) -> [Waiting] {
        var attempt = attempts[key] ?? Attempt()
        if summary.nextSeq > 0 {
            attempt.durableThrough = summary.nextSeq - 1
            attempt.lastReceived = summary.nextSeq - 1
        }
        attempt.storedBytes = summary.storedBytes
        if summary.cutBytes > 0 {
            attempt.cap = .cutting(bytes: summary.cutBytes, marker: .current(writtenAt: now))
            noteCut(key)
        }
        setAttempt(attempt, for: key)
        return takeWaiting(key)
    }
}
