import ClusterModel
import EtcdClient
import Foundation
import Logging

/// The leader's housekeeping: deletes every job that has been final for longer than
/// the retention period, with its log archive, and compacts etcd's history behind itself so the
/// space is reused; etcd then stays far below its quota however many jobs run.
///
/// - A sweep every ``interval`` (a tenth of the retention, between 1 s and 1 min) reads the job
///   records a page at a time and deletes the expired ones in fenced txns of ``jobsPerTxn`` jobs
///   (the record and the `logs/<job>/` range each).
/// - After a sweep, the history is compacted up to the revision the *previous* sweep read at:
///   anything that reads or watches etcd gets at least one interval of history.
/// - A lost fence or an etcd error ends `run`, which ends the term (like any failed write).
///
/// Cost: one read of every job record per sweep; with the default retention (24 h) a sweep runs
/// once a minute.
struct RetentionSweeper: Sendable {
    /// Jobs deleted per txn (two operations each, under etcd's 128).
    static let jobsPerTxn = 60
    /// Records read per page.
    static let pageSize: Int64 = 500

    let etcd: EtcdClient
    let fence: Compare
    let retention: Duration
    let logger: Logger

    /// The time between sweeps.
    var interval: Duration {
        min(max(retention / 10, .seconds(1)), .seconds(60))
    }

    /// Sweeps until cancelled.
    func run() async throws {
        var previousRevision: Int64?
        while true {
            try await Task.sleep(for: interval)
            let (revision, deleted) = try await sweep(now: UnixMillis(UInt64(Date().timeIntervalSince1970 * 1000)))
            if deleted > 0 {
                logger.info("deleted finished jobs past their retention, with their logs", metadata: ["count": "\(deleted)"])
            }
            if let previousRevision {
                do {
                    try await etcd.compact(revision: previousRevision)
                } catch EtcdError.compacted {
                    // Someone compacted further already.
                }
            }
            previousRevision = revision
        }
    }

    /// One pass; returns the revision it read at and how many jobs it deleted.
    func sweep(now: UnixMillis) async throws -> (revision: Int64, deleted: Int) {
        struct Record: Decodable {
            struct Status: Decodable {
                var state: JobState
                var updatedAt: UnixMillis
            }
            var status: Status
        }
        let retentionMillis = UInt64(retention.components.seconds) * 1000 + UInt64(retention.components.attoseconds / 1_000_000_000_000_000)
        let cutoff = now.rawValue > retentionMillis ? now.rawValue - retentionMillis : 0
        var revision: Int64 = 0
        var deleted = 0
        try await etcd.forEachPage(prefix: Keys.jobs, pageSize: Self.pageSize) { page in
            if revision == 0 { revision = page.header.revision }
            let expired = page.kvs.compactMap { kv -> JobID? in
                guard let record = try? JSONDecoder().decode(Record.self, from: Data(kv.value)),
                    record.status.state.isFinal, record.status.updatedAt.rawValue < cutoff
                else { return nil }
                return Keys.jobID(fromKey: kv.key)
            }
            for batch in stride(from: 0, to: expired.count, by: Self.jobsPerTxn).map({ Array(expired[$0..<min($0 + Self.jobsPerTxn, expired.count)]) }) {
                let ops = batch.flatMap { id -> [TxnOp] in
                    [.delete(key: Keys.job(id)), .delete(key: Keys.logs(of: id), rangeEnd: prefixEnd(Keys.logs(of: id)))]
                }
                let outcome = try await etcd.txnOutcome(Txn(compares: [fence], success: ops, failure: []))
                guard outcome.succeeded else { throw StoreError.notLeader }
                deleted += batch.count
            }
        }
        return (revision, deleted)
    }
}
