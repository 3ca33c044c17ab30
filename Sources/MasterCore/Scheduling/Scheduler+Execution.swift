import ClusterModel
import WireProtocol

extension Scheduler {
    /// Carries out a state change: writes first (one group commit), then the pushes that must
    /// follow a durable write. Kills go out at once: a kill is safe before any write.
    ///
    /// A write that fails outside a submission ends the term (``failTerm(_:)``): memory and
    /// etcd may disagree, and the next term rebuilds from etcd. `created` names jobs whose
    /// record must not exist yet.
    func carryOut(_ actions: [SchedulerAction], created: Set<JobID> = []) async throws {
        var writes: [StoreWrite] = []
        var persisted: [JobID] = []
        var snapshots: [JobID: JobStatus] = [:]
        var followUps: [SchedulerAction] = []
        for action in actions {
            switch action {
            case let .persist(id):
                guard !persisted.contains(id), let tracked = state.jobs[id] else { continue }
                let record = JobDetails(id: id, spec: tracked.spec, status: tracked.status)
                let value = JobRecord.encode(record)
                writes.append(StoreWrite(key: Keys.job(id), operation: .put(value), expectation: created.contains(id) ? .absent : .current))
                persisted.append(id)
                snapshots[id] = tracked.status
            case let .kill(id, node, epoch):
                workers[node]?.send(.cancel(Cancel(jobID: id, epoch: epoch)))
            case .assign, .publish:
                followUps.append(action)
            }
        }
        let results: [StoreWriteResult]
        do {
            results = try await committer.commit(writes)
        } catch {
            if created.isEmpty { failTerm(error) }
            throw error
        }
        if results.contains(.conflict) {
            let error = StoreError.notLeader
            failTerm(error)
            throw error
        }
        for id in persisted where state.jobs[id]?.status.state.isFinal == true {
            state.forgetIfFinal(id)
            committer.forget(key: Keys.job(id))
        }
        var published: Set<JobID> = []
        for action in followUps {
            switch action {
            case let .assign(id, node):
                // Re-check after the await: the job may have been cancelled or moved meanwhile.
                guard let tracked = state.jobs[id], tracked.status.state == .scheduled, tracked.status.node == node,
                    tracked.status.epoch == snapshots[id]?.epoch ?? tracked.status.epoch
                else { continue }
                sendAssign(id, tracked, to: node)
            case let .publish(id):
                // One event per job and write: a job changed twice in one batch (requeued off a
                // lost node, then placed at once) was written once and is announced once.
                guard published.insert(id).inserted, let status = snapshots[id] ?? state.jobs[id]?.status else { continue }
                publish(JobEvent(jobID: id, status: status))
            case .persist, .kill:
                continue
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
