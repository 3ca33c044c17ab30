import ClusterModel
import EtcdClient
import Foundation
import LogStream
import WireProtocol

/// Reads of job records that only etcd holds: the leader keeps live jobs in memory and
/// finished ones in etcd alone, so `status` and `list` of old jobs read from here.
public struct JobQueries: Sendable {
    let etcd: EtcdClient

    /// The most records one `list` reads from etcd before it returns a partial page.
    static let maxScan = 10_000
    /// The page size when the client asks for none.
    static let defaultLimit = 100

    /// Creates the queries over `etcd`.
    public init(etcd: EtcdClient) {
        self.etcd = etcd
    }

    /// The stored record of a job, or nil if there is none.
    public func job(_ id: JobID) async throws -> JobDetails? {
        guard let kv = try await etcd.get(Keys.job(id)) else { return nil }
        return try JSONDecoder().decode(JobDetails.self, from: Data(kv.value))
    }

    /// Calls `body` with each archived chunk of an attempt from seq `from`, in seq order, a few
    /// batches per read; returns the next seq after the last one handed out.
    public func archivedLogs(
        of job: JobID, attempt: UInt32, from: UInt64, _ body: (LogRecord) -> Void
    ) async throws -> UInt64 {
        var cursor = LogArchiveCursor(from: from, cutKey: Keys.logCut(of: job, attempt: attempt))
        try await etcd.forEachPage(prefix: Keys.logs(of: job, attempt: attempt), pageSize: 4) { page in
            for kv in page.kvs {
                cursor.takeSkippingDamaged(key: kv.keyString, value: kv.value).forEach(body)
            }
        }
        return cursor.next
    }

    /// One page of jobs in id order after `request.after`, filtered by state, node and labels, with
    /// live jobs shown as the leader knows them now.
    public func list(_ request: ListJobs, live: Scheduler) async throws -> (jobs: [JobSummary], nextAfter: JobID?) {
        let limit = request.limit == 0 ? Self.defaultLimit : min(Int(request.limit), WireLimits.maxListJobs)
        var start = Array((request.after.map { Keys.job($0) } ?? Keys.jobs).utf8)
        if request.after != nil { start.append(0) }
        let end = prefixEnd(Keys.jobs)
        var page: [JobSummary] = []
        var scanned = 0
        let decoder = JSONDecoder()
        while page.count < limit, scanned < Self.maxScan {
            let batch = min(1000, Self.maxScan - scanned)
            let response = try await etcd.range(RangeRequest(key: start, rangeEnd: end, limit: Int64(batch)))
            for kv in response.kvs {
                scanned += 1
                start = kv.key + [0]
                guard var info = try? decoder.decode(JobDetails.self, from: Data(kv.value)) else { continue }
                if !info.status.state.isFinal, let current = await live.job(info.id) {
                    info = current
                }
                if !request.states.isEmpty, !request.states.contains(info.status.state) { continue }
                if let node = request.node, info.status.node != node { continue }
                if !request.labels.isEmpty, !request.labels.allSatisfy({ info.spec.labels[$0.key] == $0.value }) { continue }
                page.append(info.summary)
                if page.count == limit {
                    return (page, response.more || kv != response.kvs.last ? info.id : nil)
                }
            }
            if !response.more { return (page, nil) }
        }
        return (page, Keys.jobID(fromKey: Array(start.dropLast())))
    }
}
