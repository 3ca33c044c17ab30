import ClusterModel

/// How the leader judged a worker's report.
public enum ReportVerdict: Sendable, Equatable {
    /// The report moved the job; carry out the actions.
    case accepted([SchedulerAction])
    /// The report repeats what is already recorded; nothing to do.
    case duplicate
    /// The report is for an attempt that is no longer current (or a job that is gone): the
    /// worker must kill that attempt.
    case stale
}

/// What ``ClusterState/cancel(_:now:)`` found.
public enum CancelVerdict: Sendable, Equatable {
    /// The job is now cancelled; carry out the actions.
    case cancelled([SchedulerAction])
    /// The job had already ended in this state.
    case alreadyFinal(JobState)
    /// No tracked job has this id (it may be final and only in etcd).
    case unknown
}

extension ClusterState {
    /// A worker says it started the attempt `epoch` of job `id`.
    public mutating func started(_ id: JobID, epoch: Epoch, on node: NodeID, now: UnixMillis) -> ReportVerdict {
        confirm(id, on: node)
        guard let job = jobs[id], job.status.epoch == epoch, job.status.node == node, !job.status.state.isFinal else {
            return .stale
        }
        guard job.status.state == .scheduled else { return .duplicate }
        update(id) {
            $0.status.state = .running
            $0.status.updatedAt = now
        }
        return .accepted([.persist(id), .publish(id)])
    }

    /// A worker says the attempt `epoch` of job `id` ended with `exitCode`.
    ///
    /// Exit 0 is success. Any other code fails the attempt; if the job has attempts left it
    /// waits to run again (a new attempt and epoch), otherwise it is `failed`.
    public mutating func exited(
        _ id: JobID,
        epoch: Epoch,
        on node: NodeID,
        exitCode: Int32,
        reason: String,
        now: UnixMillis
    ) -> ReportVerdict {
        confirm(id, on: node)
        guard let job = jobs[id], job.status.epoch == epoch, job.status.node == node else { return .stale }
        guard !job.status.state.isFinal else { return .duplicate }
        release(job.spec.resources, of: id, on: node)
        if exitCode != 0, job.status.attempt < job.spec.maxAttempts {
            requeue(id, message: "attempt \(job.status.attempt) exited with code \(exitCode)\(reason.isEmpty ? "" : ": \(reason)")", now: now)
        } else {
            update(id) {
                $0.status.state = exitCode == 0 ? .succeeded : .failed
                $0.status.exitCode = exitCode
                $0.status.message = reason
                $0.status.updatedAt = now
            }
        }
        return .accepted([.persist(id), .publish(id)] + retryPending(now: now))
    }

    /// Cancels a job: a waiting one leaves the queue, a placed one is killed on its node.
    public mutating func cancel(_ id: JobID, now: UnixMillis) -> CancelVerdict {
        guard let job = jobs[id] else { return .unknown }
        if job.status.state.isFinal { return .alreadyFinal(job.status.state) }
        var actions: [SchedulerAction] = [.persist(id), .publish(id)]
        if let node = job.status.node, job.status.state.holdsCapacity {
            release(job.spec.resources, of: id, on: node)
            actions.append(.kill(id, node: node, epoch: job.status.epoch))
        }
        dropWaitReasons(id)
        removeFromQueue(id)
        update(id) {
            $0.status.state = .cancelled
            $0.status.message = "cancelled by a user"
            $0.status.updatedAt = now
        }
        return .cancelled(actions + retryPending(now: now))
    }

    /// Forgets a final job once its record is written: the leader keeps only live jobs in
    /// memory; finished ones are read from etcd.
    public mutating func forgetIfFinal(_ id: JobID) {
        if let job = jobs[id], job.status.state.isFinal {
            dropJob(id)
        }
    }

    /// Sends a placed job back to the queue as a new attempt, or marks it lost when it has used
    /// all its attempts.
    mutating func requeue(_ id: JobID, message: String, now: UnixMillis) {
        guard let job = jobs[id] else { return }
        if job.status.attempt >= job.spec.maxAttempts {
            update(id) {
                $0.status.state = .lost
                $0.status.message = message + "; no attempts left (max \(job.spec.maxAttempts))"
                $0.status.updatedAt = now
            }
            return
        }
        update(id) {
            $0.status.state = .pending
            $0.status.node = nil
            $0.nodeLease = nil
            $0.status.attempt += 1
            $0.status.epoch = Epoch(UInt64($0.status.attempt))
            $0.status.exitCode = nil
            $0.status.message = message
            $0.status.updatedAt = now
        }
        enqueue(id)
    }
}
