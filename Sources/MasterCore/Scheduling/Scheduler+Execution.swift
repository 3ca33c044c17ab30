import ClusterModel
import StageTrace
import WireProtocol

/// A state change made ready to write: the records to put and what to do once they are durable.
struct PreparedChange: Sendable {
    var writes: [StoreWrite] = []
    /// The writes, already queued in the committer in the order the state changed.
    var ticket: CommitTicket?
    var persisted: [JobID] = []
    var snapshots: [JobID: JobStatus] = [:]
    var followUps: [SchedulerAction] = []
    /// Sent to this node once the writes are durable (the acknowledgement of an `Exited`).
    var ack: (node: NodeID, ack: ReportAck)?
}

extension Scheduler {
    /// Carries out a state change: writes first (one group commit), then the pushes that must
    /// follow a durable write. Kills go out at once: a kill is safe before any write.
    ///
    /// A write that fails outside a submission ends the term (``failTerm(_:)``): memory and
    /// etcd may disagree, and the next term rebuilds from etcd. `created` names jobs whose
    /// record must not exist yet.
    func carryOut(_ actions: [SchedulerAction], created: Set<JobID> = []) async throws {
        let change = prepare(actions, created: created)
        try await complete(change)
    }

    /// Like ``carryOut(_:created:)``, but returns at once: the writes and their follow-ups run
    /// on the term's background task. Reports from workers go this way, so a worker's session
    /// never waits for one commit before its next report is read (that would allow one commit
    /// per report, and group commit would have nothing to group).
    func carryOutInBackground(_ actions: [SchedulerAction], ack: (node: NodeID, ack: ReportAck)? = nil) {
        var change = prepare(actions, created: [])
        change.ack = ack
        background.yield(change)
    }

    /// Builds the writes of a change from the current state, queues them in the committer in the
    /// same actor turn (so that writes reach etcd in the order the state changed), and sends the
    /// change's kills.
    func prepare(_ actions: [SchedulerAction], created: Set<JobID>) -> PreparedChange {
        var change = PreparedChange()
        var seen: Set<JobID> = []
        for action in actions {
            switch action {
            case let .persist(id):
                guard seen.insert(id).inserted, let tracked = state.jobs[id] else { continue }
                let record = tracked.details(id)
                let expectation: StoreWrite.Expectation = created.contains(id) ? .absent : .current
                change.writes.append(StoreWrite(key: Keys.job(id), operation: .put(JobRecord.encode(record, nodeLease: tracked.nodeLease)), expectation: expectation))
                change.persisted.append(id)
                change.snapshots[id] = tracked.status
                currentAttempts.update(id, status: tracked.status)
            case let .kill(id, node, epoch):
                workers[node]?.send(.cancel(Cancel(jobID: id, epoch: epoch)))
                // What the attempt prints until it dies still goes to its archive. A job moved
                // off a drained node is at its next attempt already: the killed one is the
                // epoch's (the epoch is the attempt number).
                let current = state.jobs[id]?.status
                let attempt = current?.epoch == epoch ? current?.attempt : UInt32(exactly: epoch.rawValue)
                if let attempt {
                    currentAttempts.killed(id, attempt: attempt, node: node)
                }
            case let .persistDrain(node):
                let operation: StoreWrite.Operation = state.drains[node].map { .put(DrainRecord.encode($0)) } ?? .delete
                change.writes.append(StoreWrite(key: Keys.drain(node), operation: operation, expectation: .current))
            case .assign, .publish:
                change.followUps.append(action)
            }
        }
        change.ticket = committer.enqueue(change.writes)
        armRetries()
        return change
    }

    /// Waits for a prepared change's writes, then pushes what must follow a durable write. Any
    /// failed write ends the term: memory and etcd may disagree (even a failed submission may
    /// have been applied), and the next term rebuilds from etcd.
    func complete(_ change: PreparedChange) async throws {
        let results: [StoreWriteResult]
        do {
            results = try await change.ticket?.value() ?? []
        } catch {
            failTerm(error)
            throw error
        }
        if results.contains(.conflict) {
            let error = StoreError.notLeader
            failTerm(error)
            throw error
        }
        if StageTrace.isOn {
            for id in change.persisted {
                switch change.snapshots[id]?.state {
                case .scheduled: StageTrace.mark(.scheduledDurable, id.rawValue)
                case .running: StageTrace.mark(.runningDurable, id.rawValue)
                case let state? where state.isFinal: StageTrace.mark(.finalDurable, id.rawValue)
                default: break
                }
            }
        }
        // Forget a job only after the write of its *final* record: an earlier write (running)
        // finishing after the job became final in memory must not drop the revision that the
        // final write, still queued, is conditioned on.
        for id in change.persisted where change.snapshots[id]?.state.isFinal == true && state.jobs[id]?.status.state.isFinal == true {
            if let final = state.jobs[id]?.status.state { metrics.jobFinished(final) }
            state.forgetIfFinal(id)
            committer.forget(key: Keys.job(id))
            for (node, ack) in acksAfterWrite.removeValue(forKey: id) ?? [] {
                workers[node]?.send(.reportAck(ack))
            }
        }
        var published: Set<JobID> = []
        var ended: [(JobID, JobStatus)] = []
        // Read once per change: placement time is in milliseconds (`updatedAt`), wall clock.
        var sentAt: UnixMillis?
        for action in change.followUps {
            switch action {
            case let .assign(id, node):
                // Re-check after the await: the job may have been cancelled or moved meanwhile.
                guard let tracked = state.jobs[id], tracked.status.state == .scheduled, tracked.status.node == node,
                    tracked.status.epoch == change.snapshots[id]?.epoch ?? tracked.status.epoch
                else { continue }
                sendAssign(id, tracked, to: node)
                let now = sentAt ?? Self.now()
                sentAt = now
                metrics.dispatch.recordMilliseconds(now.rawValue &- min(now.rawValue, tracked.status.updatedAt.rawValue))
            case let .publish(id):
                // One event per job and write: a job changed twice in one batch (requeued off a
                // lost node, then placed at once) was written once and is announced once.
                guard published.insert(id).inserted, let status = change.snapshots[id] ?? state.jobs[id]?.status else { continue }
                publish(JobEvent(jobID: id, status: status))
                ended.append((id, status))
            case .persist, .kill, .persistDrain:
                continue
            }
        }
        if let (node, ack) = change.ack {
            workers[node]?.send(.reportAck(ack))
        }
        // Log followers of an attempt that is over get their LogEnd.
        for (id, status) in ended where status.state.isFinal || status.attempt > 1 {
            await archiver?.jobChanged(id, status: status)
        }
    }

    /// The term's background task: completes changes queued by ``carryOutInBackground(_:ack:)``,
    /// several at once (the committer groups their writes). Ends when the term ends.
    public func runBackground() async {
        await withDiscardingTaskGroup { group in
            for await change in backgroundWork {
                group.addTask { try? await self.complete(change) }
            }
        }
    }

    func sendAssign(_ id: JobID, _ tracked: TrackedJob, to node: NodeID) {
        let message = WireMessage.assign(Assign(jobID: id, attempt: tracked.status.attempt, epoch: tracked.status.epoch, spec: tracked.spec))
        workers[node]?.send(message)
    }

    func publish(_ event: JobEvent) {
        for (key, subscription) in subscribers {
            if let jobs = subscription.jobs, !jobs.contains(event.jobID) { continue }
            if !subscription.outbox.send(.jobEvent(event)) {
                subscribers.removeValue(forKey: key)
            }
        }
    }

    /// Ends this term: the committer stops, which ends the leader's work; a new campaign
    /// rebuilds the view from etcd.
    func failTerm(_ error: any Error) {
        logger.error("a state write failed; giving up leadership so the next term rebuilds from etcd", metadata: ["error": "\(error)"])
        committer.stop(with: .stopped)
    }
}
