import ClusterModel
import EtcdClient
import LogStream
import WireProtocol

/// A new term's archiver knows nothing of the attempts that were running when the term began;
/// what earlier terms archived of them is in etcd. The term's first chunk of such an attempt
/// makes the archiver read that archive (``LogArchiveSummary``) before it takes any chunk of
/// it (they wait meanwhile, bounded by the worker's window): the cap counts what earlier terms
/// stored, the cut marker continues their count, and a chunk the archive holds already is
/// acknowledged, not stored again.
///
/// Cut bytes acknowledged by an earlier term within its last marker interval (at most a
/// second) are not in the marker it left, so the count may fall short by that much.
extension LogArchiver {
    /// The attempts that run when the term begins; call before the term serves workers.
    public func inherit(_ running: [(job: JobID, attempt: UInt32)]) {
        for (job, attempt) in running {
            inherited.insert(AttemptKey(job: job, attempt: attempt))
        }
    }

    /// Queues a chunk of an inherited attempt whose archive is not read yet (the first one asks
    /// for the read); false when the attempt is not waiting for its archive.
    func queueWhileLoading(_ chunk: LogChunk, node: NodeID, outbox: Outbox, key: AttemptKey) -> Bool {
        if inherited.remove(key) != nil {
            loading[key] = [(chunk, node, outbox)]
            loadRequests.yield(key)
            return true
        }
        guard loading[key] != nil else { return false }
        loading[key]?.append((chunk, node, outbox))
        return true
    }

    /// Reads the archives asked for, one at a time, until cancelled; throws when etcd fails
    /// (the term ends, as for a failed write).
    func runLoads() async throws {
        for await key in loadQueue {
            var summary = LogArchiveSummary(cutKey: Keys.logCut(of: key.job, attempt: key.attempt))
            try await etcd.forEachPage(prefix: Keys.logs(of: key.job, attempt: key.attempt), pageSize: 4) { page in
                for kv in page.kvs {
                    summary.add(key: kv.keyString, value: kv.value)
                }
            }
            loaded(key, summary)
        }
    }

    /// The archive of `key` is read: its state starts from it, and the chunks that waited are
    /// taken in order.
    private func loaded(_ key: AttemptKey, _ summary: LogArchiveSummary) {
        var attempt = attempts[key] ?? Attempt()
        if summary.nextSeq > 0 {
            attempt.durableThrough = summary.nextSeq - 1
            attempt.lastReceived = summary.nextSeq - 1
        }
        attempt.storedBytes = summary.storedBytes
        if summary.cutBytes > 0 {
            attempt.cutting = true
            attempt.cutBytes = summary.cutBytes
            attempt.markerWrittenAt = .now
            cutJobs[key.job, default: []].insert(key.attempt)
        }
        attempts[key] = attempt
        for waiting in loading.removeValue(forKey: key) ?? [] {
            receive(waiting.chunk, from: waiting.node, outbox: waiting.outbox)
        }
    }
}
