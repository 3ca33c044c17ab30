import ClusterModel
import Metrics

/// What the scrape reads from (the term being led) and what it exported last.
struct ScrapeState {
    var scheduler: Scheduler?
    var archiver: LogArchiver?
    /// Placement attempts of the current term already added to the counters.
    var exportedPlacements = PlacementCounts()
    /// Nodes whose gauges exist, so that a node that left loses its series.
    var exportedNodes: Set<NodeID> = []
}

/// The term's log pipeline at scrape time.
public struct LogSummary: Sendable, Equatable {
    /// Chunks received, not yet durable.
    public var lagChunks = 0
    /// Their compressed bytes.
    public var lagBytes = 0
    /// `logs --follow` clients.
    public var followers = 0
}

extension MasterMetrics {
    /// This master began leading the term whose leader key has create revision `revision`.
    func termBegan(revision: Int64, scheduler: Scheduler, archiver: LogArchiver) {
        scrape.withLock { state in
            state.scheduler = scheduler
            state.archiver = archiver
            state.exportedPlacements = PlacementCounts()
        }
        termsLed.increment()
        term.record(revision)
        leader.record(1)
    }

    /// The term ended: this master shows no jobs until it leads again.
    func termEnded() {
        scrape.withLock { state in
            state.scheduler = nil
            state.archiver = nil
        }
        leader.record(0)
        term.record(0)
    }

    /// Brings the gauges counted at scrape time up to date (live jobs by state, pending jobs by
    /// reason, nodes, the log pipeline) and adds the placement attempts made since the last
    /// scrape. Call before each export; a standby exports zeros and no nodes.
    public func refresh() async {
        let (scheduler, archiver) = scrape.withLock { ($0.scheduler, $0.archiver) }
        let summary = await scheduler?.summary() ?? ClusterSummary()
        let logs = await archiver?.summary() ?? LogSummary()
        for state in JobState.allCases where !state.isFinal {
            gauge(Names.jobs, [("state", state.rawValue)]).record(summary.jobs[state] ?? 0)
        }
        for reason in PendingReason.allCases {
            gauge(Names.pendingJobs, [("reason", reason.rawValue)]).record(summary.pending[reason] ?? 0)
        }
        gauge(Names.archiveLagChunks).record(logs.lagChunks)
        gauge(Names.archiveLagBytes).record(logs.lagBytes)
        gauge(Names.followers).record(logs.followers)
        exportNodes(summary.nodes)
        let added = scrape.withLock { state -> PlacementCounts? in
            // A term that ended meanwhile has been replaced: its counts start again from zero.
            // Of two scrapes at once, the one whose summary is older adds nothing.
            let counts = summary.placements
            guard let scheduler, state.scheduler === scheduler, counts.scheduled >= state.exportedPlacements.scheduled,
                counts.unschedulable >= state.exportedPlacements.unschedulable
            else { return nil }
            defer { state.exportedPlacements = counts }
            return PlacementCounts(
                scheduled: counts.scheduled - state.exportedPlacements.scheduled,
                unschedulable: counts.unschedulable - state.exportedPlacements.unschedulable)
        }
        if let added {
            scheduleAttempts.scheduled.increment(by: added.scheduled)
            scheduleAttempts.unschedulable.increment(by: added.unschedulable)
        }
    }

    private func exportNodes(_ nodes: [NodeStatus]) {
        for node in nodes {
            let id = node.id.rawValue
            for (name, resources) in [(Names.nodeCapacity, node.descriptor.capacity), (Names.nodeAllocated, node.allocated)] {
                gauge(name, [("node", id), ("resource", "cpu"), ("unit", "core")]).record(Double(resources.cpuMillis) / 1000)
                gauge(name, [("node", id), ("resource", "memory"), ("unit", "byte")]).record(resources.memoryBytes)
            }
            gauge(Names.nodeJobs, [("node", id)]).record(Int(node.jobCount))
            gauge(Names.nodeConnected, [("node", id)]).record(node.connected ? 1 : 0)
        }
        let present = Set(nodes.map(\.id))
        let gone = scrape.withLock { state -> Set<NodeID> in
            defer { state.exportedNodes = present }
            return state.exportedNodes.subtracting(present)
        }
        for node in gone {
            let id = node.rawValue
            for name in [Names.nodeCapacity, Names.nodeAllocated] {
                gauge(name, [("node", id), ("resource", "cpu"), ("unit", "core")]).destroy()
                gauge(name, [("node", id), ("resource", "memory"), ("unit", "byte")]).destroy()
            }
            gauge(Names.nodeJobs, [("node", id)]).destroy()
            gauge(Names.nodeConnected, [("node", id)]).destroy()
        }
    }

    /// The gauge of that name and labels (the backend hands back the same series each time).
    private func gauge(_ name: String, _ dimensions: [(String, String)] = []) -> Gauge {
        Gauge(label: name, dimensions: dimensions, factory: factory)
    }
}
