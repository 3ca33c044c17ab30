import ClusterModel
import LogStream
import WireProtocol

/// `titan-cli logs --follow` on the leader: every chunk the archiver takes is forwarded at once,
/// compressed as it came, to the followers of its attempt; a follower that is still reading the
/// archive gets the live chunks afterwards, so it sees each seq once and in order; `LogEnd`
/// follows the attempt's last chunk (``FollowerBook`` decides; this performs).
extension LogArchiver {
    /// Starts following an attempt for `outbox`: chunks that are not durable yet are taken now,
    /// later ones as they come; none is sent before ``caughtUp(_:job:attempt:next:)``. Returns
    /// the follower's id.
    public func follow(job: JobID, attempt: UInt32, streams: Set<LogStreamKind>, from seq: UInt64, outbox: Outbox) -> UInt64 {
        let key = AttemptKey(job: job, attempt: attempt)
        let unwritten = archive.unwritten(key).map { LogChunk($0, job: job, attempt: attempt) }
        return followers.follow(key, streams: streams, from: seq, outbox: outbox, unwritten: unwritten).number
    }

    /// The follower has been sent the archive up to (not including) seq `next`: it gets what
    /// was buffered meanwhile, then live chunks, and `LogEnd` if the attempt is over.
    public func caughtUp(_ id: UInt64, job: JobID, attempt: UInt32, next: UInt64) {
        let follower = FollowerBook.FollowerID(key: AttemptKey(job: job, attempt: attempt), number: id)
        perform(followers.caughtUp(follower, next: next))
    }

    /// A job changed: followers of an attempt that is over (the job is final, or runs a later
    /// attempt) get `LogEnd` once they have been sent everything, and the cut marker of an
    /// attempt that ended gets its final count at the next flush.
    public func jobChanged(_ job: JobID, status: JobStatus) {
        archive.jobChanged(job, status: status)
        flushIfNeeded()
        perform(followers.jobChanged(job, status: status, now: .now, hasExited: { self.archive.hasExited($0) }))
    }

    /// Drops every follower writing to `outbox` (its connection closed).
    public func unfollow(_ outbox: Outbox) {
        followers.unfollow(outbox)
    }
}
