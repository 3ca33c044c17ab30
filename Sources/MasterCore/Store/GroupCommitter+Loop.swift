import EtcdClient

extension GroupCommitter {
    /// Tells the committer a key's current `mod_revision` (read from etcd at start-up).
    public func track(key: String, revision: Int64) {
        state.withLock { $0.revisions[key] = revision }
    }

    /// Stops tracking a key (its job is final and will not be written again).
    public func forget(key: String) {
        state.withLock { _ = $0.revisions.removeValue(forKey: key) }
    }

    /// The tracked `mod_revision` of a key, if any.
    public func revision(of key: String) -> Int64? {
        state.withLock { $0.revisions[key] }
    }

    func waitForWork() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    // Checked under the lock: a cancellation that ran its handler before this
                    // continuation was stored must not leave the lane waiting for ever.
                    if Task.isCancelled || state.failure != nil || state.order.contains(where: { !state.inFlight.contains($0) }) {
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

    /// After a commit frees its keys, writes queued behind them may be takeable: wake a lane.
    func wakeIdleLaneIfWorkRemains() {
        let lane = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.idleLanes.isEmpty, state.order.contains(where: { !state.inFlight.contains($0) }) else { return nil }
            return state.idleLanes.removeFirst()
        }
        lane?.resume()
    }

    /// Waits until the oldest queued write is `window` old, unless a txn's worth is queued.
    func sleepOutWindow() async throws {
        let (first, full) = state.withLock { ($0.firstQueuedAt, $0.order.count >= Self.maxOpsPerTxn) }
        guard !full, let first else { return }
        let deadline = first.advanced(by: window)
        if deadline > .now {
            try await Task.sleep(until: deadline, clock: .continuous)
        }
    }

    /// Takes up to a txn's worth of queued writes whose keys are not in flight.
    func takeBatch() -> [Pending] {
        let (batch, roomWaiters) = state.withLock { state -> ([Pending], [CheckedContinuation<Void, Never>]) in
            var batch: [Pending] = []
            var rest: [String] = []
            for key in state.order {
                if batch.count < Self.maxOpsPerTxn, !state.inFlight.contains(key), let pending = state.queue.removeValue(forKey: key) {
                    batch.append(pending)
                    state.inFlight.insert(key)
                } else {
                    rest.append(key)
                }
            }
            state.order = rest
            state.firstQueuedAt = rest.isEmpty ? nil : .now
            let waiters = state.roomWaiters
            state.roomWaiters.removeAll()
            return (batch, waiters)
        }
        roomWaiters.forEach { $0.resume() }
        // More than one txn's worth queued: let another lane take the next batch at once.
        if !batch.isEmpty { wakeIdleLaneIfWorkRemains() }
        return batch
    }

    /// Commits `batch` and settles every write in it. Returns the error that stopped it, if
    /// any: the writes it had committed (or found in conflict) by then report that, and the one
    /// that met the error and every one after it, not tried, report the error.
    func commitBatch(_ batch: [Pending]) async -> (any Error)? {
        let conditions = state.withLock { state in batch.map { condition(for: $0.write, revisions: state.revisions) } }
        var compares = [fence]
        for condition in conditions {
            if let condition { compares.append(condition) }
        }
        do {
            let response = try await etcd.txnOutcome(Txn(compares: compares, success: batch.map { Self.op(for: $0.write) }, failure: []))
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

    private func condition(for write: StoreWrite, revisions: [String: Int64]) -> Compare? {
        switch write.expectation {
        case .absent:
            return .keyMissing(write.key)
        case let .modRevision(revision):
            return .modRevision(write.key, .equal, revision)
        case .current:
            // An untracked key has no known revision: require that it does not exist, which
            // fails (a conflict) for any key someone else created.
            guard let revision = revisions[write.key] else { return .keyMissing(write.key) }
            return .modRevision(write.key, .equal, revision)
        }
    }

    private func finish(_ batch: ArraySlice<Pending>, results: [StoreWriteResult]) {
        state.withLock { state in
            for (pending, result) in zip(batch, results) {
                state.inFlight.remove(pending.write.key)
                guard case let .committed(revision) = result else { continue }
                switch pending.write.operation {
                case .put: state.revisions[pending.write.key] = revision
                case .delete: state.revisions.removeValue(forKey: pending.write.key)
                }
            }
        }
        for (pending, result) in zip(batch, results) {
            pending.waiters.forEach { $0(.success(result)) }
        }
    }

    /// Fails every write of `batch` with `error` (a cancelled commit as ``StoreError/stopped``).
    func fail(_ batch: ArraySlice<Pending>, with error: any Error) {
        let error = error is CancellationError ? StoreError.stopped : error
        state.withLock { state in batch.forEach { state.inFlight.remove($0.write.key) } }
        for pending in batch {
            pending.waiters.forEach { $0(.failure(error)) }
        }
    }

    /// Fails everything queued and refuses later writes.
    func stop(with error: StoreError) {
        let (pending, lanes, roomWaiters) = state.withLock { state in
            if state.failure == nil { state.failure = error }
            let pending = state.order.compactMap { state.queue[$0] }
            state.queue.removeAll()
            state.order.removeAll()
            defer {
                state.idleLanes.removeAll()
                state.roomWaiters.removeAll()
            }
            return (pending, state.idleLanes, state.roomWaiters)
        }
        for item in pending {
            item.waiters.forEach { $0(.failure(error)) }
        }
        lanes.forEach { $0.resume() }
        roomWaiters.forEach { $0.resume() }
    }
}
