import ClusterModel

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
        var keys: [AttemptKey] = []
        for (key, attempt) in attempts where attempt.node == node {
            var attempt = attempt
            // (An attempt past its cap keeps its pending chunks: they were received before the
            // cut began, and would be cut if they came again.)
            if !attempt.cutting, let first = attempt.pending.first {
                attempt.lastReceived = first.seq == 0 ? nil : first.seq - 1
                attempt.storedBytes -= attempt.pending.reduce(0) { $0 + $1.frame.count }
                attempt.pending = []
            }
            attempt.owner = owner
            attempts[key] = attempt
            keys.append(key)
        }
        for (key, waiting) in loading {
            loading[key] = waiting.filter { $0.node != node || $0.outbox === owner }
        }
        while !ended, keys.contains(where: { attempts[$0]?.writing.isEmpty == false }) {
            await withCheckedContinuation { flushWaiters.append($0) }
        }
    }

    /// `attempt` of `job` exited on its worker. Returns once the cut markers of `job`'s attempts
    /// hold their final counts (at once when nothing of the job was cut). Called when an
    /// attempt's exit is reported, before the job is recorded final, so that a reader of a
    /// final job's log sees the exact count; its followers, if it was killed, get `LogEnd`.
    /// Returns early if the term ends first.
    public func settle(_ job: JobID, attempt: UInt32) async {
        attemptExited(AttemptKey(job: job, attempt: attempt))
        let keys = (cutJobs.removeValue(forKey: job) ?? []).map { AttemptKey(job: job, attempt: $0) }
        for key in keys where attempts[key]?.cutChanged == true {
            attempts[key]?.markerWrittenAt = nil
            markDirty(key)
        }
        while !ended, keys.contains(where: { attempts[$0]?.cutChanged == true }) {
            await withCheckedContinuation { flushWaiters.append($0) }
        }
    }
}
