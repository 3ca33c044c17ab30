import EtcdClient

extension GroupCommitter {
    /// Tells the committer a key's current `mod_revision` (read from etcd at start-up).
    public func track(key: String, revision: Int64) {
        state.withLock { $0.queue.track(key, revision: revision) }
    }

    /// Stops tracking a key (its job is final and will not be written again).
    public func forget(key: String) {
        state.withLock { $0.queue.track(key, revision: nil) }
    }

    /// The tracked `mod_revision` of a key, if any.
    public func revision(of key: String) -> Int64? {
        state.withLock { $0.queue.revisions[key] }
    }

    func waitForWork() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    // Checked under the lock: a cancellation that ran its handler before this
                    // continuation was stored must not leave the lane waiting for ever.
                    if Task.isCancelled || state.queue.failure != nil || state.queue.isReady {
                        return true
                    }
                    state.idleLanes.append(continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            // Cancellation ends every lane together, so waking all of them is right.
            let lanes = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                defer { state.idleLanes.removeAll() }
                return state.idleLanes
            }
            lanes.forEach { $0.resume() }
        }
    }

    /// After a commit frees its keys (or a lane took a batch), the next batch may be ready: wake
    /// a lane.
    func wakeIdleLaneIfWorkRemains() {
        let lane = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.idleLanes.isEmpty, state.queue.isReady else { return nil }
            return state.idleLanes.removeFirst()
        }
        lane?.resume()
    }

    /// Takes up to a txn's worth of queued writes whose keys are not in flight; wakes the
    /// callers waiting for room.
    func takeBatch() -> [Pending] {
        let (batch, roomWaiters) = state.withLock { state -> ([Pending], [CheckedContinuation<Void, Never>]) in
            let batch = state.queue.takeBatch()
            defer { state.roomWaiters.removeAll() }
            return (batch, Array(state.roomWaiters.values))
        }
        roomWaiters.forEach { $0.resume() }
        // Another full txn's worth queued: let another lane take it at once.
        if !batch.isEmpty { wakeIdleLaneIfWorkRemains() }
        return batch
    }

    /// Commits `batch` and settles every write in it. Returns the error that stopped it, if
    /// any: the writes it had committed (or found in conflict) by then report that, and the one
    /// that met the error and every one after it, not tried, report the error.
    func commitBatch(_ batch: [Pending]) async -> (any Error)? {
        let conditions = state.withLock { $0.queue.conditions(for: batch) }
        var compares = [fence]
        for condition in conditions {
            if let condition { compares.append(condition) }
        }
        batchSizes?.record(batch.count)
        let answer: Result<TxnOutcome, any Error>
        do {
            answer = .success(try await etcd.txnOutcome(Txn(compares: compares, success: batch.map { Self.op(for: $0.write) }, failure: [])))
        } catch {
            answer = .failure(error)
        }
        state.withLock { $0.queue.txnAnswered(batch) }
        wakeIdleLaneIfWorkRemains()
        do {
            let response = try answer.get()
            if response.succeeded {
                finish(batch[...], results: Array(repeating: .committed(revision: response.header.revision), count: batch.count))
                return nil
            }
            // Something did not hold. Check the fence alone first: if it is gone, so is leadership.
            let fenceCheck = try await etcd.txnOutcome(Txn(compares: [fence], success: [], failure: []))
            guard fenceCheck.succeeded else { throw StoreError.notLeader }
        } catch {
            // Nothing of the batch was written.
            fail(batch[...], with: error)
            return error
        }
        // Write by write, so that one stale write cannot sink its neighbours.
        var results: [StoreWriteResult] = []
        do {
            for (pending, condition) in zip(batch, conditions) {
                results.append(try await commitAlone(pending.write, condition: condition))
            }
        } catch {
            finish(batch[..<results.count], results: results)
            fail(batch[results.count...], with: error)
            return error
        }
        finish(batch[...], results: results)
        return nil
    }

    /// One write in a txn of its own, under the fence: `.committed`, or `.conflict` when its
    /// condition failed; throws ``StoreError/notLeader`` when the fence did.
    private func commitAlone(_ write: StoreWrite, condition: Compare?) async throws -> StoreWriteResult {
        let single = try await etcd.txnOutcome(Txn(compares: [fence] + (condition.map { [$0] } ?? []), success: [Self.op(for: write)], failure: []))
        if single.succeeded {
            return .committed(revision: single.header.revision)
        }
        let fenceHolds = try await etcd.txnOutcome(Txn(compares: [fence], success: [], failure: [])).succeeded
        guard fenceHolds else { throw StoreError.notLeader }
        return .conflict
    }

    private static func op(for write: StoreWrite) -> TxnOp {
        switch write.operation {
        case let .put(value): return .put(key: write.key, value: value)
        case .delete: return .delete(key: write.key)
        }
    }

    private func finish(_ batch: ArraySlice<Pending>, results: [StoreWriteResult]) {
        let told = state.withLock { $0.queue.finish(batch, results: results) }
        told.forEach { waiter, result in waiter(result) }
    }

    /// Fails every write of `batch` with `error` (a cancelled commit as ``StoreError/stopped``).
    func fail(_ batch: ArraySlice<Pending>, with error: any Error) {
        let told = state.withLock { $0.queue.fail(batch, with: error) }
        told.forEach { waiter, result in waiter(result) }
    }

    /// Fails everything queued and refuses later writes.
    func stop(with error: StoreError) {
        let (told, lanes, roomWaiters) = state.withLock { state in
            defer {
                state.idleLanes.removeAll()
                state.roomWaiters.removeAll()
            }
            return (state.queue.stop(with: error), state.idleLanes, Array(state.roomWaiters.values))
        }
        told.forEach { waiter, result in waiter(result) }
        lanes.forEach { $0.resume() }
        roomWaiters.forEach { $0.resume() }
    }
}
