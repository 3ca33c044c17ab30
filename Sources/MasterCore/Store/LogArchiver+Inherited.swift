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
        archive.inherit(running.map { AttemptKey(job: $0.job, attempt: $0.attempt) })
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

    /// The archive of `key` is read: the chunks that waited are taken in order.
    private func loaded(_ key: AttemptKey, _ summary: LogArchiveSummary) {
        for waiting in archive.loaded(key, summary: summary, now: .now) {
            receive(waiting.chunk, from: waiting.node, outbox: waiting.outbox)
        }
    }
}
