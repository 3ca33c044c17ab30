import ClusterModel
import EtcdClient
import Foundation
import Logging
import NIOCore
import WireProtocol

/// The work of one leadership term: load the cluster from etcd, follow node registrations,
/// serve connections, and group-commit every change. Whichever part ends first ends the term.
struct Term {
    let term: LeaderTerm
    let etcd: EtcdClient
    let configuration: MasterConfiguration
    let router: ConnectionRouter
    let logger: Logger
    let metrics: MasterMetrics

    func run() async throws {
        let committer = GroupCommitter(etcd: etcd, fence: term.fence, batchSizes: metrics.commitBatchSize)
        let archiver = LogArchiver(etcd: etcd, fence: term.fence, maxArchiveBytes: configuration.maxLogArchiveBytes, metrics: metrics)
        let scheduler = Scheduler(
            committer: committer,
            archiver: archiver,
            strategy: configuration.strategy,
            idPrefix: String(term.revision, radix: 36),
            logger: logger,
            metrics: metrics
        )
        metrics.termBegan(revision: term.revision, scheduler: scheduler, archiver: archiver)
        defer { metrics.termEnded() }
        let context = ConnectionContext(
            scheduler: scheduler,
            archiver: archiver,
            queries: JobQueries(etcd: etcd),
            token: configuration.token,
            serverID: configuration.id,
            logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            defer { group.cancelAll() }
            group.addTask {
                try await committer.run()
                throw StoreError.stopped
            }
            group.addTask {
                await scheduler.runBackground()
                throw StoreError.stopped
            }
            group.addTask {
                await scheduler.runRetries()
                throw StoreError.stopped
            }
            group.addTask {
                try await archiver.run()
                throw StoreError.stopped
            }
            if let retention = configuration.retention {
                let sweeper = RetentionSweeper(etcd: etcd, fence: term.fence, retention: retention, logger: logger)
                group.addTask {
                    try await sweeper.run()
                    throw StoreError.stopped
                }
            }
            try await loadDrains(into: scheduler)
            let nodesRevision = try await loadNodes(into: scheduler)
            try await loadJobs(into: scheduler, archiver: archiver)
            try await scheduler.restoreFinished()
            group.addTask { try await watchNodes(scheduler, from: nodesRevision + 1) }
            group.addTask { try await router.serveTerm(context) }
            let nodeCount = await scheduler.nodes().count
            logger.info("leading", metadata: ["nodes.loaded": "\(nodeCount)"])
            try await group.next()
        }
    }

    /// Applies every drain a user asked for (before the nodes register, so none is placed on
    /// meanwhile); an unreadable record is skipped with a warning.
    private func loadDrains(into scheduler: Scheduler) async throws {
        let response = try await etcd.range(prefix: Keys.drains)
        var drains: [(node: NodeID, drain: NodeDrain, revision: Int64)] = []
        for kv in response.kvs {
            guard let node = Keys.drainedNodeID(fromKey: kv.key), let drain = try? DrainRecord.decode(kv.value) else {
                logger.warning("skipping an unreadable drain record", metadata: ["key": "\(String(decoding: kv.key, as: UTF8.self))"])
                continue
            }
            drains.append((node, drain, kv.modRevision))
        }
        await scheduler.restoreDrains(drains)
    }

    /// Registers every node record; returns the revision the read was made at.
    private func loadNodes(into scheduler: Scheduler) async throws -> Int64 {
        let response = try await etcd.range(prefix: Keys.nodes)
        for kv in response.kvs {
            guard let descriptor = readableNode(kv) else { continue }
            try await scheduler.nodeRegistered(descriptor, leaseID: kv.lease)
        }
        return response.header.revision
    }

    /// Restores every live job, reading the job records a page at a time.
    private func loadJobs(into scheduler: Scheduler, archiver: LogArchiver) async throws {
        try await etcd.forEachPage(prefix: Keys.jobs, pageSize: 1000) { page in
            var live: [(job: JobDetails, nodeLease: Int64?, revision: Int64)] = []
            for kv in page.kvs {
                guard let (job, nodeLease) = try? JobRecord.decodeWithLease(kv.value) else {
                    logger.warning("skipping an unreadable job record", metadata: ["key": "\(String(decoding: kv.key, as: UTF8.self))"])
                    continue
                }
                if !job.status.state.isFinal { live.append((job, nodeLease, kv.modRevision)) }
            }
            try await scheduler.restore(live)
            // What earlier terms archived of the attempts that run is read at their first chunk.
            await archiver.inherit(live.filter { $0.job.status.state.holdsCapacity }.map { ($0.job.id, $0.job.status.attempt) })
        }
    }

    /// Follows node registrations: a new or changed record registers, a deleted one (the lease
    /// ended) loses the node.
    private func watchNodes(_ scheduler: Scheduler, from revision: Int64) async throws {
        for try await response in etcd.watch(prefix: Keys.nodes, startRevision: revision) {
            for event in response.events {
                guard let id = Keys.nodeID(fromKey: event.kv.key) else { continue }
                switch event.kind {
                case .put:
                    guard let descriptor = readableNode(event.kv) else { continue }
                    try await scheduler.nodeRegistered(descriptor, leaseID: event.kv.lease)
                case .delete:
                    try await scheduler.nodeGone(id)
                }
            }
        }
    }

    /// The node a record describes, or nil — with a warning naming the key and why — when it is
    /// unreadable or declares what no node may (``NodeDescriptor/validate()``): such a node is
    /// never scheduled on, and everything else goes on.
    private func readableNode(_ kv: KeyValue) -> NodeDescriptor? {
        let key = String(decoding: kv.key, as: UTF8.self)
        guard let descriptor = try? JSONDecoder().decode(NodeDescriptor.self, from: Data(kv.value)) else {
            logger.warning("skipping an unreadable node record", metadata: ["key": "\(key)"])
            return nil
        }
        do {
            try descriptor.validate()
        } catch {
            logger.warning("skipping a node record out of bounds", metadata: ["key": "\(key)", "reason": "\(error)"])
            return nil
        }
        return descriptor
    }
}
