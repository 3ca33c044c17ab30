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
            $0.status.startedAt = now
        }
        return .accepted([.persist(id), .publish(id)])
    }

    /// A worker says the attempt `epoch` of job `id` ended with `exitCode`.
    ///
    /// Exit 0 is success. Any other code is the job's own failure: if fewer than `maxAttempts`
    /// attempts have failed, the job waits out its retry delay and runs again (a new attempt
    /// and epoch), otherwise it is `failed`.
    ///
    /// With `lostByInfrastructure` (the worker's container engine went away under a failed
    /// attempt) the attempt is a node loss instead: it runs again at once against `maxNodeLosses`.
    public mutating func exited(
        _ id: JobID,
        epoch: Epoch,
        on node: NodeID,
        exitCode: Int32,
        reason: String,
        lostByInfrastructure: Bool = false,
        now: UnixMillis
    ) -> ReportVerdict {
        confirm(id, on: node)
        guard let job = jobs[id], job.status.epoch == epoch, job.status.node == node else { return .stale }
        guard !job.status.state.isFinal else { return .duplicate }
        release(job.spec.resources, of: id, on: node)
        if lostByInfrastructure, exitCode != 0 {
            requeue(id, message: "attempt \(job.status.attempt) was lost on \(node.rawValue): \(reason.isEmpty ? "its runtime failed" : reason)", now: now)
            return .accepted([.persist(id), .publish(id)] + retryPending(now: now))
        }
        let why = reason.isEmpty ? "exited with code \(exitCode)" : reason
        endAttempt(id, outcome: exitCode == 0 ? .succeeded : .failed, exitCode: exitCode, reason: why, now: now)
        if exitCode == 0 {
            update(id) {
                $0.status.state = .succeeded
                $0.status.exitCode = 0
                $0.status.message = reason
                $0.status.updatedAt = now
            }
        } else {
            let failures = job.status.failures + 1
            update(id) { $0.status.failures = failures }
            if failures < job.spec.maxAttempts {
                let detail = why == "exited with code \(exitCode)" ? "" : ": \(why)"
                retryLater(id, message: "attempt \(job.status.attempt) exited with code \(exitCode)\(detail)", exitCode: exitCode, now: now)
            } else {
                update(id) {
                    $0.status.state = .failed
                    $0.status.exitCode = exitCode
                    $0.status.message = job.spec.maxAttempts > 1 ? "\(why); \(failures) attempts failed (max \(job.spec.maxAttempts))" : reason
                    $0.status.updatedAt = now
                }
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
            endAttempt(id, outcome: .cancelled, exitCode: nil, reason: "cancelled by a user", now: now)
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

    /// Sends a placed job whose attempt the infrastructure lost (its node, its worker) back to
    /// the queue as a new attempt — at once, or after `hold` ms — without counting it against
    /// `maxAttempts`, or marks it `lost` once it has lost more than `maxNodeLosses` attempts.
    mutating func requeue(_ id: JobID, message: String, hold: UInt64 = 0, now: UnixMillis) {
        guard let job = jobs[id] else { return }
        endAttempt(id, outcome: .nodeLost, exitCode: nil, reason: message, now: now)
        let losses = job.status.nodeLosses + 1
        update(id) { $0.status.nodeLosses = losses }
        if losses > job.spec.maxNodeLosses {
            update(id) {
                $0.status.state = .lost
                $0.status.message = message + "; it lost \(losses) attempt\(losses == 1 ? "" : "s") to the infrastructure (max \(job.spec.maxNodeLosses))"
                $0.status.updatedAt = now
            }
            return
        }
        nextAttempt(id, message: message, now: now)
        if hold > 0 {
            let at = UnixMillis(now.rawValue + hold)
            update(id) { $0.status.retryAt = at }
            retries.insert(id, at: at)
        } else {
            enqueue(id)
        }
    }

    /// Puts a job whose attempt failed on its own back as pending, to be placed no earlier than
    /// its retry delay from now (at once when the delay is 0).
    mutating func retryLater(_ id: JobID, message: String, exitCode: Int32, now: UnixMillis) {
        guard let job = jobs[id] else { return }
        let delay = job.spec.retryDelayMillis(afterFailure: job.status.failures, of: id)
        nextAttempt(id, message: message, now: now)
        update(id) { $0.status.exitCode = exitCode }
        if delay == 0 {
            enqueue(id)
        } else {
            let at = UnixMillis(now.rawValue + delay)
            update(id) { $0.status.retryAt = at }
            retries.insert(id, at: at)
        }
    }

    /// The jobs whose retry delay is over join the pending queue and are offered capacity.
    public mutating func releaseDueRetries(now: UnixMillis) -> [SchedulerAction] {
        let due = retries.takeDue(now: now)
        guard !due.isEmpty else { return [] }
        for id in due { enqueue(id) }
        return retryPending(now: now)
    }

    /// The earliest time a job waiting out a retry delay may be placed.
    public var nextRetryAt: UnixMillis? {
        retries.next
    }

    /// The job becomes pending as its next attempt (and epoch), off its node.
    private mutating func nextAttempt(_ id: JobID, message: String, now: UnixMillis) {
        update(id) {
            $0.status.state = .pending
            $0.status.node = nil
            $0.nodeLease = nil
            $0.status.attempt += 1
            $0.status.epoch = Epoch(UInt64($0.status.attempt))
            $0.status.exitCode = nil
            $0.status.message = message
            $0.status.updatedAt = now
            $0.status.startedAt = nil
        }
    }

    /// Records how the current attempt ended in the job's history. A job never placed has no
    /// attempt to record.
    mutating func endAttempt(_ id: JobID, outcome: AttemptOutcome, exitCode: Int32?, reason: String, now: UnixMillis) {
        guard let job = jobs[id], let node = job.status.node else { return }
        let record = AttemptRecord(
            number: job.status.attempt, node: node, startedAt: job.status.startedAt, endedAt: now,
            outcome: outcome, exitCode: exitCode, reason: reason.truncated(toUTF8Bytes: JobStatus.maxMessageBytes))
        update(id) { $0.attempts.appendBounded(record) }
    }
}
