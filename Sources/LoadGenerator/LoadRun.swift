import ClusterModel
import Synchronization
import TitanClient
import WireProtocol

/// A load run: subscribe to job events, submit the plan's jobs in batches over several
/// connections, follow every job through the pushed events (never by polling) until all are
/// final or the deadline passes, and report.
///
/// It follows the leader across a fail-over: the event subscription is made again on the next
/// leader, which is then asked for the state of every job of the run (each job is named
/// `titan-load/<run>/<n>`), so no transition is missed and none is counted twice; a batch whose
/// answer was lost with the old leader is looked up by those names, and only the jobs the
/// cluster does not have are submitted again.
public struct LoadRun: Sendable {
    let plan: LoadPlan
    let locator: LeaderLocator
    let token: [UInt8]
    let notice: @Sendable (String) -> Void

    /// Creates a run; `notice` hears about leader changes (one line each).
    public init(plan: LoadPlan, locator: LeaderLocator, token: [UInt8], notice: @escaping @Sendable (String) -> Void = { _ in }) {
        self.plan = plan
        self.locator = locator
        self.token = token
        self.notice = notice
    }

    /// Runs the plan; `progress` is called four times a second with where the run stands, and
    /// once more at the end.
    /// Returns the report, the first refusal messages, and every job's timeline.
    public func run(progress: @escaping @Sendable (LoadProgress) -> Void) async throws -> (LoadReport, [String], [JobTimeline]) {
        let tracker = LoadTracker(expected: plan.jobs, until: plan.until)
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let nodeID = NodeID("load-\(run)")
        let (subscribed, ready) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await follow(run: run, nodeID: nodeID, tracker: tracker, ready: ready)
            }
            group.addTask {
                // Events are followed before the first job is sent, so none is missed.
                var first = subscribed.makeAsyncIterator()
                _ = await first.next()
                try await submitAll(run: run, nodeID: nodeID, tracker: tracker)
                await tracker.waitUntilDone()
                return true
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(250))
                    progress(tracker.progress())
                }
                return false
            }
            group.addTask { [plan] in
                try await Task.sleep(for: .seconds(plan.deadlineSeconds))
                return true
            }
            defer { group.cancelAll() }
            // Done when all jobs are final, or at the deadline.
            _ = try await group.next()
        }
        // The display's last word is where the run ended.
        progress(tracker.progress())
        return (tracker.report(start: start), tracker.refusals, tracker.timelines(start: start))
    }

    /// Follows job events on the leader, subscribing again on each new one and catching up on
    /// what the subscription missed. Never returns normally.
    private func follow(run: String, nodeID: NodeID, tracker: LoadTracker, ready: AsyncStream<Void>.Continuation) async throws -> Bool {
        while true {
            try await locator.withLeader(token: token, nodeID: NodeID("\(nodeID.rawValue)-watch"), notice: notice) { connection in
                try await connection.watchJobs()
                ready.yield()
                for (id, state) in try await Self.jobsOfRun(run, on: connection) {
                    tracker.event(id, state)
                }
                for await push in connection.pushes {
                    if case let .jobEvent(event) = push { tracker.event(event.jobID, event.status.state) }
                }
                // The stream ended: the leader went away.
                throw TitanClientError.connectionClosed
            }
        }
    }

    /// Sends every batch: `connections` senders, each on its own connection, take batches in turn.
    private func submitAll(run: String, nodeID: NodeID, tracker: LoadTracker) async throws {
        let plan = plan
        let batches = stride(from: 0, to: plan.jobs, by: plan.batch).map { $0..<min($0 + plan.batch, plan.jobs) }
        let next = Counter()
        let pacer = Pacer(jobsPerSecond: plan.rate)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sender in 0..<min(plan.connections, batches.count) {
                group.addTask {
                    let senderID = NodeID("\(nodeID.rawValue)-\(sender)")
                    while true {
                        let index = next.take()
                        guard index < batches.count else { return }
                        try await pacer.wait(forBatch: index, of: plan.batch)
                        try await submit(batches[index], run: run, nodeID: senderID, tracker: tracker)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Submits the jobs numbered `seqs`; when the leader is lost with the answer, asks the next
    /// one which of them it has and submits only the others.
    private func submit(_ seqs: Range<Int>, run: String, nodeID: NodeID, tracker: LoadTracker) async throws {
        var missing = Array(seqs)
        while !missing.isEmpty {
            let specs = missing.map { plan.spec(named: Self.name(run: run, seq: $0)) }
            let sent = ContinuousClock.now
            do {
                let outcomes = try await locator.withLeader(token: token, nodeID: nodeID, retry: .untilSent, notice: notice) { connection in
                    try await connection.submit(specs)
                }
                tracker.acknowledged(sent: sent, outcomes: outcomes.map { outcome in
                    switch outcome {
                    case let .accepted(id): return .accepted(id)
                    case let .rejected(_, message): return .refused(message)
                    }
                })
                return
            } catch where LeaderLocator.meansNoLeader(error) {
                // The batch reached a leader that went away before answering: which jobs were recorded?
                let names = Set(missing.map { Self.name(run: run, seq: $0) })
                let recorded = try await locator.withLeader(token: token, nodeID: nodeID, notice: notice) { connection in
                    try await Self.jobsOfRun(run, on: connection, names: names)
                }
                tracker.adopted(recorded.map(\.id), sent: sent)
                let found = Set(recorded.map(\.name))
                missing.removeAll { found.contains(Self.name(run: run, seq: $0)) }
            }
        }
    }

    /// The name of job `seq` of run `run`.
    static func name(run: String, seq: Int) -> String {
        "titan-load/\(run)/\(seq)"
    }

    /// Every job of run `run` the leader knows (live and finished), with its state.
    private static func jobsOfRun(_ run: String, on connection: TitanConnection) async throws -> [(JobID, JobState)] {
        try await jobsOfRun(run, on: connection, names: nil).map { ($0.id, $0.state) }
    }

    /// The jobs of run `run` (only those named in `names`, when given): id, name and state.
    private static func jobsOfRun(
        _ run: String, on connection: TitanConnection, names: Set<String>?
    ) async throws -> [(id: JobID, name: String, state: JobState)] {
        let prefix = "titan-load/\(run)/"
        var found: [(id: JobID, name: String, state: JobState)] = []
        var after: JobID?
        repeat {
            let page = try await connection.listJobs(after: after, limit: 1000)
            for job in page.jobs {
                guard let name = job.name, name.hasPrefix(prefix), names?.contains(name) ?? true else { continue }
                found.append((job.id, name, job.status.state))
            }
            after = page.nextAfter
        } while after != nil
        return found
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
