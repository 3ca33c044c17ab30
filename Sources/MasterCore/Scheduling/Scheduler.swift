import ClusterModel
import EtcdClient
import Foundation
import Logging
import Placement
import StageTrace
import WireProtocol

/// The leader's scheduler for one term: owns the ``ClusterState``, turns its actions into
/// group-committed etcd writes, and only after a write is durable pushes `Assign`s to workers
/// and events to subscribers.
///
/// An actor: every request and report is applied in turn. State is changed before the write is
/// awaited (so the next submission sees the capacity already taken); after each `await` the
/// actor re-checks what it is about to send, since other calls may have run meanwhile.
public actor Scheduler {
    let committer: GroupCommitter
    /// The term's log archiver, told when jobs change so that log followers see their end.
    let archiver: LogArchiver?
    let logger: Logger
    let idPrefix: String
    /// The process's metrics (no-ops unless the executable bootstrapped a backend).
    let metrics: MasterMetrics
    var state: ClusterState
    var nextJobNumber: UInt64 = 0
    var workers: [NodeID: Outbox] = [:]
    var subscribers: [ObjectIdentifier: Subscription] = [:]

    /// Changes whose writes run in the background (``runBackground()``), in the order queued.
    /// Unbounded as a stream, bounded in effect: each change holds writes that the committer's
    /// bounded queue admits, and reports arrive no faster than workers' sessions deliver them.
    let backgroundWork: AsyncStream<PreparedChange>
    let background: AsyncStream<PreparedChange>.Continuation

    /// Which attempts may send output (kept in step with ``state``; read by worker sessions
    /// without a hop to this actor).
    public nonisolated let currentAttempts = CurrentAttempts()

    /// Acknowledgements of repeated `Exited` reports, sent once the first report's write is
    /// durable (at most one entry per live final job).
    var acksAfterWrite: [JobID: [(NodeID, ReportAck)]] = [:]

    /// Wakes ``runRetries()`` when a retry is due earlier than the one it sleeps for.
    let retryAlarm = RetryAlarm()
    /// The retry time ``runRetries()`` sleeps until (nil: none).
    var armedRetryAt: UnixMillis?

    struct Subscription {
        let outbox: Outbox
        let jobs: Set<JobID>?
    }

    /// Creates the scheduler of a term whose writes go through `committer`. Job ids start with
    /// `idPrefix`, which must be unique to the term (the term's revision, in base 36).
    public init(
        committer: GroupCommitter, archiver: LogArchiver? = nil, strategy: PlacementStrategy, idPrefix: String, logger: Logger,
        metrics: MasterMetrics = MasterMetrics()
    ) {
        self.committer = committer
        self.archiver = archiver
        self.metrics = metrics
        self.state = ClusterState(strategy: strategy)
        self.idPrefix = idPrefix
        self.logger = logger
        (backgroundWork, background) = AsyncStream.makeStream(of: PreparedChange.self)
    }

    static func now() -> UnixMillis {
        UnixMillis(UInt64(Date().timeIntervalSince1970 * 1000))
    }

    // MARK: - Client requests

    /// Validates, places and durably records a batch of jobs; the outcome of each, in order.
    public func submit(_ specs: [JobSpec]) async -> [SubmitOutcome] {
        // Backpressure before any state changes: a full commit queue slows submitters down.
        do {
            try await committer.waitForRoom()
        } catch {
            return specs.map { _ in .rejected(code: .unavailable, message: "the job was not recorded: \(error)") }
        }
        let now = Self.now()
        var outcomes: [SubmitOutcome] = []
        var accepted: [JobID] = []
        var actions: [SchedulerAction] = []
        for spec in specs {
            do {
                try spec.validate()
            } catch {
                outcomes.append(.rejected(code: .invalidRequest, message: error.description))
                continue
            }
            nextJobNumber += 1
            let id = JobID("\(idPrefix)-\(String(nextJobNumber, radix: 36))")
            let placing = ContinuousClock.now
            let placed = state.submit(id: id, spec: spec, now: now)
            metrics.placementTried(scheduled: placed.contains { if case .assign = $0 { true } else { false } }, duration: .now - placing)
            actions += placed
            StageTrace.mark(.placed, id.rawValue)
            accepted.append(id)
            outcomes.append(.accepted(id))
        }
        let created = Set(accepted)
        do {
            try await carryOut(actions, created: created)
        } catch {
            for id in accepted { state.rollBackSubmission(id) }
            let code: WireErrorCode = (error as? StoreError) == .notLeader ? .notLeader : .unavailable
            let message = "the job may not have been recorded (\(error)): check titan-cli list before submitting it again"
            return outcomes.map { outcome in
                if case .accepted = outcome { return .rejected(code: code, message: message) }
                return outcome
            }
        }
        metrics.submitted.increment(by: accepted.count)
        return outcomes
    }

    /// Cancels a job; `nil` when no live job has this id (the caller looks in etcd).
    public func cancel(_ id: JobID) async throws -> CancelOutcome? {
        switch state.cancel(id, now: Self.now()) {
        case .unknown:
            return nil
        case .alreadyFinal:
            return .alreadyFinal
        case let .cancelled(actions):
            try await carryOut(actions)
            return .cancelled
        }
    }

    /// A live job's spec and status (with, when pending, why it waits); `nil` if not live.
    public func job(_ id: JobID) -> JobDetails? {
        guard let tracked = state.jobs[id], let status = state.status(of: id) else { return nil }
        return JobDetails(id: id, spec: tracked.spec, status: status, attempts: tracked.attempts)
    }

    /// Every registered node, sorted by id.
    public func nodes() -> [NodeStatus] {
        state.nodes.values.map(\.status).sorted { $0.id < $1.id }
    }

    /// Starts pushing job events to `outbox`: every change of the given jobs (all jobs if nil).
    public func subscribe(_ outbox: Outbox, jobs: Set<JobID>?) {
        subscribers[ObjectIdentifier(outbox)] = Subscription(outbox: outbox, jobs: jobs)
    }

    /// Stops pushing events to `outbox`.
    public func unsubscribe(_ outbox: Outbox) {
        subscribers.removeValue(forKey: ObjectIdentifier(outbox))
    }
}
