import ClusterModel
import EtcdClient
import LogStream

/// What the archive in etcd holds of one attempt's output: where a worker process that took
/// the attempt over from a dead one resumes it.
///
/// Read only after this process's first session was welcomed: the leader has then forgotten
/// every chunk of the node it had received but not written, and finished the write in flight,
/// so the archive is all of the attempt's output that will ever be stored until this process
/// sends more.
///
/// Bytes cut by the archive cap count as stdout (the marker does not say which stream they came
/// from); past the cap the output is only counted anyway.
struct ArchivedOutput: Sendable, Equatable {
    /// The seq of the next chunk to send.
    var nextSeq: UInt64 = 0
    /// Output bytes of each stream the archive accounts for.
    var offsets = OutputOffsets()

    /// Reads the archive of `attempt` of `job` (key order is seq order), four values a page.
    static func read(_ etcd: EtcdClient, job: JobID, attempt: UInt32) async throws -> ArchivedOutput {
        var summary = LogArchiveSummary(cutKey: Keys.logCut(of: job, attempt: attempt))
        try await etcd.forEachPage(prefix: Keys.logs(of: job, attempt: attempt), pageSize: 4) { page in
            for kv in page.kvs {
                summary.add(key: kv.keyString, value: kv.value)
            }
        }
        return ArchivedOutput(
            nextSeq: summary.nextSeq,
            offsets: OutputOffsets(stdout: summary.stdoutBytes + summary.cutBytes, stderr: summary.stderrBytes))
    }
}
