import ClusterModel
import EtcdClient
import Foundation
import Logging

/// What the leader key holds: who leads and where clients and workers reach it.
public struct LeaderRecord: Codable, Sendable, Hashable {
    /// The master's id.
    public var id: String
    /// `host:port` of its listener.
    public var address: String
    /// Base URL of its web UI (`http://host:port`), if it serves one; a standby's UI redirects
    /// there.
    public var ui: String?

    /// Creates a record.
    public init(id: String, address: String, ui: String? = nil) {
        self.id = id
        self.address = address
        self.ui = ui
    }
}

/// One term of leadership: valid while the lease lives and the leader key is the one we made.
public struct LeaderTerm: Sendable {
    /// The lease the leader key lives under.
    public var leaseID: Int64
    /// The create revision of our leader key; unique to this term.
    public var revision: Int64
    /// The compare that holds exactly while this term lasts: every write of the leader carries
    /// it, so a deposed leader can never write.
    public var fence: Compare
}

/// etcd election on `/titan/v1/leader` (``Election``, the shape of etcd's
/// `concurrency.Election`): create the key if absent under our own lease; whoever created it
/// leads until the lease ends. A standby watches the key and campaigns again the moment it is
/// deleted.
public struct LeaderElection: Sendable {
    let etcd: EtcdClient
    let record: LeaderRecord
    let ttlSeconds: Int64
    let logger: Logger

    /// Creates an election for this master.
    public init(etcd: EtcdClient, record: LeaderRecord, ttlSeconds: Int64, logger: Logger) {
        self.etcd = etcd
        self.record = record
        self.ttlSeconds = ttlSeconds
        self.logger = logger
    }

    /// Campaigns until the task is cancelled. Each time it wins, it runs `lead` next to the
    /// lease's keep-alive: losing the lease cancels `lead`, and `lead` ending (for example with
    /// ``StoreError/notLeader``) gives the lease back so that another master can take over.
    public func run(lead: @escaping @Sendable (LeaderTerm) async throws -> Void) async throws {
        var backoff = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                try await campaignOnce(lead: lead)
                backoff = .milliseconds(200)
            } catch is CancellationError {
                return
            } catch {
                logger.warning("election round failed, retrying", metadata: ["error": "\(error)", "retry.in": "\(backoff)"])
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }

    /// One lease's worth of campaigning: keep the lease alive, wait to lead (etcd's election on
    /// the leader key), lead until something ends, then give the lease back.
    private func campaignOnce(lead: @escaping @Sendable (LeaderTerm) async throws -> Void) async throws {
        let lease = try await etcd.grantLease(ttl: ttlSeconds)
        let value = try JSONEncoder().encode(record)
        let election = Election(client: etcd, key: Keys.leader)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await etcd.keepAlive(id: lease.id) }
                group.addTask {
                    let leadership = try await election.campaign(value: Array(value), lease: lease.id)
                    let term = LeaderTerm(leaseID: lease.id, revision: leadership.createRevision, fence: leadership.stillLeads)
                    logger.info("elected leader", metadata: ["master.id": "\(record.id)", "term.revision": "\(term.revision)"])
                    defer { logger.info("leadership ended", metadata: ["term.revision": "\(term.revision)"]) }
                    try await lead(term)
                }
                // Whichever ends first (lease lost, leader work failed or finished) ends both.
                defer { group.cancelAll() }
                try await group.next()
            }
        } catch {
            // Give the lease back at once so a standby need not wait out the TTL.
            await etcd.revokeLeaseOnExit(id: lease.id)
            throw error
        }
        await etcd.revokeLeaseOnExit(id: lease.id)
    }
}
