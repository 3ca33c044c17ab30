import ClusterModel
import Synchronization
import TitanClient
import WireProtocol

/// A load run: subscribe to job events, submit the plan's jobs in batches over several
/// connections, follow every job through the pushed events (never by polling) until all are
/// final or the deadline passes, and report.
public struct LoadRun: Sendable {
    let plan: LoadPlan
    let locator: LeaderLocator
    let token: [UInt8]

    /// Creates a run.
    public init(plan: LoadPlan, locator: LeaderLocator, token: [UInt8]) {
        self.plan = plan
        self.locator = locator
        self.token = token
    }

    /// Runs the plan; `progress` is called about once a second with a status line.
    public func run(progress: @escaping @Sendable (String) -> Void) async throws -> (LoadReport, [String]) {
        let address = try await locator.leaderAddress()
        let tracker = LoadTracker(expected: plan.jobs, until: plan.until)
        let plan = plan
        let token = token
        let nodeID = NodeID("load-\(UInt32.random(in: 0...UInt32.max))")
        let start = try await TitanConnection.withConnection(to: address, role: .client, nodeID: nodeID, token: token) { watcher in
            try await watcher.watchJobs()
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    for await push in watcher.pushes {
                        if case let .jobEvent(event) = push { tracker.event(event.jobID, event.status.state) }
                    }
                    return false
                }
                group.addTask {
                    try await submitAll(plan: plan, address: address, token: token, nodeID: nodeID, tracker: tracker)
                    await tracker.waitUntilDone()
                    return true
                }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: .seconds(1))
                        progress(tracker.progress())
                    }
                    return false
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(plan.deadlineSeconds))
                    return true
                }
                defer { group.cancelAll() }
                // Done when all jobs are final, at the deadline, or when the event stream ends.
                _ = try await group.next()
            }
            return start
        }
        return (tracker.report(start: start), tracker.refusals)
    }
}

/// Sends every batch: `connections` senders, each on its own connection, take batches in turn.
private func submitAll(plan: LoadPlan, address: String, token: [UInt8], nodeID: NodeID, tracker: LoadTracker) async throws {
    let batches = stride(from: 0, to: plan.jobs, by: plan.batch).map { min(plan.batch, plan.jobs - $0) }
    let next = Counter()
    let spec = plan.spec
    let pacer = Pacer(jobsPerSecond: plan.rate)
    try await withThrowingTaskGroup(of: Void.self) { group in
        for sender in 0..<min(plan.connections, batches.count) {
            group.addTask {
                let senderID = NodeID("\(nodeID.rawValue)-\(sender)")
                try await TitanConnection.withConnection(to: address, role: .client, nodeID: senderID, token: token) { connection in
                    while true {
                        let index = next.take()
                        guard index < batches.count else { return }
                        try await pacer.wait(forBatch: index, of: plan.batch)
                        let sent = ContinuousClock.now
                        let outcomes = try await connection.submit(Array(repeating: spec, count: batches[index]))
                        tracker.acknowledged(sent: sent, outcomes: outcomes.map { outcome in
                            switch outcome {
                            case let .accepted(id): return .accepted(id)
                            case let .rejected(_, message): return .refused(message)
                            }
                        })
                    }
                }
            }
        }
        try await group.waitForAll()
    }
}

/// Hands out batch numbers to the senders, each exactly once.
private final class Counter: Sendable {
    private let value = Atomic<Int>(0)

    func take() -> Int {
        value.add(1, ordering: .relaxed).oldValue
    }
}

/// Offers batches at a steady rate: batch `k` leaves no earlier than `k × batch ÷ rate` after
/// the first. A rate of 0 sends as fast as the connections allow.
private struct Pacer: Sendable {
    let jobsPerSecond: Double
    let start = ContinuousClock.now

    func wait(forBatch index: Int, of size: Int) async throws {
        guard jobsPerSecond > 0 else { return }
        let offset = Double(index * size) / jobsPerSecond
        try await Task.sleep(until: start.advanced(by: .nanoseconds(Int64(offset * 1e9))), clock: .continuous)
    }
}
