import ClusterModel
import WireProtocol

/// What the archiver does when a worker's session begins and when an attempt's exit is
/// reported: the points where the archive's state must be final before anyone reads it.
extension LogArchiver {
    /// A session of `node` begins (before its worker is welcomed): the chunks of the node's
    /// attempts that are received but not yet in a txn are forgotten (never acknowledged, so a
    /// worker that lives on sends them again; one that took over from a dead process resumes
    /// from the archive), later chunks count only from `owner`, and this returns once the txn in
    /// flight, if any, is done: what the archive holds of the node's attempts is then final
    /// until the new session sends more.
    public func forgetUnwritten(node: NodeID, owner: Outbox) async {
        let keys = archive.forgetUnwritten(node: node, owner: owner)
        while !ended, archive.isWriting(keys) {
            await nextFlush()
        }
    }

    /// `attempt` of `job` exited on its worker. Returns once the cut markers of `job`'s attempts
    /// hold their final counts (at once when nothing of the job was cut). Called when an
    /// attempt's exit is reported, before the job is recorded final, so that a reader of a
    /// final job's log sees the exact count; its followers, if it was killed, get `LogEnd`.
    /// Returns early if the term ends first.
    public func settle(_ job: JobID, attempt: UInt32) async {
        let keys = archive.settle(job, attempt: attempt)
        perform(followers.attemptExited(AttemptKey(job: job, attempt: attempt)))
        flushIfNeeded()
        while !ended, archive.markersPending(keys) {
            await nextFlush()
        }
    }
}
