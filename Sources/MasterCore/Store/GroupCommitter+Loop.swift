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

    func commitBatch(_ batch: [Pending]) async throws {
        let conditions = state.withLock { state in batch.map { condition(for: $0.write, revisions: state.revisions) } }
        var compares = [fence]
        var ops: [TxnOp] = []
        for (pending, condition) in zip(batch, conditions) {
            if let condition { compares.append(condition) }
            switch pending.write.operation {
            case let .put(value): ops.append(.put(key: pending.write.key, value: value))
            case .delete: ops.append(.delete(key: pending.write.key))
            }
        }
        let response = try await etcd.txnOutcome(Txn(compares: compares, success: ops, failure: []))
        if response.succeeded {
            finish(batch, results: Array(repeating: .committed(revision: response.header.revision), count: batch.count))
            return
        }
        // Something did not hold. Check the fence alone first: if it is gone, so is leadership.
        let fenceCheck = try await etcd.txnOutcome(Txn(compares: [fence], success: [], failure: []))
        guard fenceCheck.succeeded else { throw StoreError.notLeader }
        var results: [StoreWriteResult] = []
        for (pending, condition) in zip(batch, conditions) {
            let op: TxnOp
            switch pending.write.operation {
            case let .put(value): op = .put(key: pending.write.key, value: value)
            case .delete: op = .delete(key: pending.write.key)
            }
            let single = try await etcd.txnOutcome(Txn(compares: [fence] + (condition.map { [$0] } ?? []), success: [op], failure: []))
            if single.succeeded {
                results.append(.committed(revision: single.header.revision))
            } else {
                let fenceHolds = try await etcd.txnOutcome(Txn(compares: [fence], success: [], failure: [])).succeeded
                guard fenceHolds else { throw StoreError.notLeader }
                results.append(.conflict)
            }
        }
        finish(batch, results: results)
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

    private func finish(_ batch: [Pending], results: [StoreWriteResult]) {
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

    func fail(_ batch: [Pending], with error: any Error) {
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
