import ClusterModel
import Logging
import TitanClient
import WireProtocol

/// One incarnation's jobs and its reports to the leader.
///
/// Jobs outlive sessions: a reconnect (to the same or a new leader) re-sends `Started` for every
/// running attempt and every `Exited` not yet acknowledged, so no outcome is lost when a leader
/// dies. Jobs do not outlive the incarnation: losing the lease ends them all.
///
/// Bounded by what the leader assigns: an entry per attempt that runs or whose outcome awaits its
/// acknowledgement, and the leader assigns no more than the node's declared capacity holds; a
/// repeated `Assign` replaces nothing.
actor WorkerState {
    enum Phase: Sendable {
        case starting
        case running
        /// Ended; `acked` once the leader said the outcome is durable.
        case exited(ExitStatus)
    }

    struct Entry {
        var epoch: Epoch
        var phase: Phase
        let kill: KillSignal
    }

    /// A job the supervisor must start, or (`resume`) take over from an earlier process.
    struct Launch: Sendable {
        let request: RunRequest
        let kill: KillSignal
        var resume = false
    }

    private let node: NodeID
    private let logger: Logger
    private let launches: AsyncStream<Launch>.Continuation
    private var jobs: [JobID: Entry] = [:]
    private var connection: TitanConnection?

    init(node: NodeID, logger: Logger, launches: AsyncStream<Launch>.Continuation) {
        self.node = node
        self.logger = logger
        self.launches = launches
    }

    // MARK: - Session

    /// A session is up: replay what the leader may not know, then say `Synced` (the leader
    /// runs again whatever it thinks runs here and was not replayed).
    func attach(_ connection: TitanConnection) async {
        self.connection = connection
        var held: UInt32 = 0
        for (job, entry) in jobs.sorted(by: { $0.key < $1.key }) {
            switch entry.phase {
            case .starting:
                continue
            case .running:
                await send(.started(Started(jobID: job, epoch: entry.epoch)))
            case let .exited(status):
                await send(.exited(Exited(jobID: job, epoch: entry.epoch, exitCode: status.code, oomKilled: status.oomKilled, reason: status.reason)))
            }
            held += 1
        }
        await send(.synced(Synced(held: held)))
    }

    /// Takes over an attempt an earlier process of this node left running (or stopped, not yet
    /// reported): it counts as running and is supervised to its end. Call before the first session.
    func adopt(_ request: RunRequest) {
        guard jobs[request.job] == nil else { return }
        let kill = KillSignal()
        jobs[request.job] = Entry(epoch: request.epoch, phase: .running, kill: kill)
        launches.yield(Launch(request: request, kill: kill, resume: true))
    }

    /// The session ended.
    func detach(_ connection: TitanConnection) {
        if self.connection === connection { self.connection = nil }
    }

    /// Handles one push from the leader.
    func handle(_ message: WireMessage) {
        switch message {
        case let .assign(assign):
            assignJob(assign)
        case let .cancel(cancel):
            guard let entry = jobs[cancel.jobID], entry.epoch <= cancel.epoch else { return }
            logger.info("killing on the leader's request", metadata: ["job.id": "\(cancel.jobID.rawValue)", "job.epoch": "\(cancel.epoch.rawValue)"])
            entry.kill.fire()
        case let .reportAck(ack):
            if let entry = jobs[ack.jobID], entry.epoch == ack.epoch, case .exited = entry.phase {
                jobs.removeValue(forKey: ack.jobID)
            }
        case let .error(error):
            logger.warning("the leader reported an error", metadata: ["code": "\(error.code.name)", "message": "\(error.message)"])
        default:
            break
        }
    }

    private func assignJob(_ assign: Assign) {
        if let existing = jobs[assign.jobID] {
            if existing.epoch >= assign.epoch { return }  // a repeat after reconnect
            existing.kill.fire()  // an older attempt of the same job: the leader moved on
        }
        let kill = KillSignal()
        jobs[assign.jobID] = Entry(epoch: assign.epoch, phase: .starting, kill: kill)
        let request = RunRequest(job: assign.jobID, attempt: assign.attempt, epoch: assign.epoch, node: node, spec: assign.spec)
        launches.yield(Launch(request: request, kill: kill))
    }

    // MARK: - Reports from runners

    /// An attempt's process runs.
    func started(_ job: JobID, epoch: Epoch) async {
        guard var entry = jobs[job], entry.epoch == epoch else { return }
        entry.phase = .running
        jobs[job] = entry
        await send(.started(Started(jobID: job, epoch: epoch)))
    }

    /// An attempt ended; kept until the leader acknowledges it.
    func exited(_ job: JobID, epoch: Epoch, status: ExitStatus) async {
        guard var entry = jobs[job], entry.epoch == epoch else { return }
        entry.phase = .exited(status)
        jobs[job] = entry
        await send(.exited(Exited(jobID: job, epoch: epoch, exitCode: status.code, oomKilled: status.oomKilled, reason: status.reason)))
    }

    /// Number of attempts this incarnation tracks.
    var count: Int { jobs.count }

    private func send(_ message: WireMessage) async {
        guard let connection else { return }
        do {
            try await connection.send(message)
        } catch {
            // The session is going down; the message is replayed on the next attach.
        }
    }
}
