import ClusterModel
import Logging
import NIOCore
import WireProtocol

/// One incarnation's jobs, their output windows and their reports to the leader.
///
/// Jobs outlive sessions: a reconnect (to the same or a new leader) re-sends every unacknowledged
/// log chunk, a `Started` for every running attempt and every `Exited` not yet acknowledged, then
/// `Synced`; so no outcome and no output is lost when a leader dies. Jobs do not outlive the
/// incarnation: losing the lease ends them all.
///
/// An attempt's `Exited` is sent only once all its output is durable (its ``LogWindow`` is
/// empty): a job the leader records as ended has its whole log in the archive.
///
/// Output is compressed outside the actor: ``log(_:epoch:stream:output:)``, the acknowledgement
/// path of ``handle(_:)`` and ``exited(_:epoch:status:)`` reserve chunks in the window here,
/// compress them in the calling task, and hand them back to be sent in seq order — so one job's
/// compression never holds up another job's bookkeeping. A chunk under
/// ``inlineCompressionBytes`` (a line or two, as Docker frames often are) is compressed here at
/// once: that costs less than the second hop onto the actor would.
///
/// Bounded by what the leader assigns: an entry per attempt that runs or whose outcome awaits its
/// acknowledgement (the leader assigns no more than the node's declared capacity holds), each
/// with a window of at most ``LogWindow/maxBytes``; a repeated `Assign` replaces nothing.
actor WorkerState {
    enum Phase: Sendable {
        case starting
        case running
        /// Ended; the entry goes once the leader says the outcome is durable.
        case exited(ExitStatus)
    }

    struct Entry {
        var epoch: Epoch
        var attempt: UInt32
        var phase: Phase
        let kill: KillSignal
        var log = LogWindow()
        /// Killed because the worker stops: a failed end is reported as lost to the
        /// infrastructure, so the job runs again elsewhere without using its attempts.
        var evicted = false
    }

    /// A job the supervisor must start, or (`resume`) take over from an earlier process.
    struct Launch: Sendable {
        let request: RunRequest
        let kill: KillSignal
        var resume = false
        /// How long an adopted attempt has run already (its timeout counts it).
        var alreadyRan = Duration.zero
    }

    let node: NodeID
    /// The node lease of this incarnation, given to every attempt it starts.
    private let lease: Int64?
    private let logger: Logger
    private let launches: AsyncStream<Launch>.Continuation
    /// Every attempt this incarnation holds, by job (the output path in WorkerState+Output.swift).
    var jobs: [JobID: Entry] = [:]
    /// The current session's outgoing messages, written to the connection in exactly the order
    /// queued here: an attempt's chunks reach the leader in seq order, even while a replay runs.
    private var session: (id: UInt64, outgoing: Outbox)?
    private var nextSessionID: UInt64 = 0
    /// Whether a session has been welcomed yet (the leader forgets a node's unwritten output
    /// before it welcomes the node: ``firstSessionWelcomed()``).
    private var welcomed = false
    /// Set once the incarnation's lease is gone: nothing more is reported (``fence()``).
    private var fenced = false
    /// Set once the worker shuts down (``beginStopping(until:)``): when it stops the jobs still
    /// running. Every session says `Stopping` first, and no new assignment is taken.
    var stopDeadline: ContinuousClock.Instant?
    /// Woken, per job, whenever its window shrinks or its entry goes or is replaced; all at once
    /// when the first session is welcomed.
    let windowChanged = WakeList()

    init(node: NodeID, lease: Int64? = nil, logger: Logger, launches: AsyncStream<Launch>.Continuation) {
        self.node = node
        self.lease = lease
        self.logger = logger
        self.launches = launches
    }

    // MARK: - Session

    /// A session is up, writing what is queued on `outgoing` to its connection in order: replay
    /// what the leader may not know, then say `Synced` (the leader runs again whatever it thinks
    /// runs here and was not replayed). Returns the session's id, for ``detach(_:)``.
    func attach(_ outgoing: Outbox) -> UInt64 {
        nextSessionID += 1
        guard !fenced else {
            outgoing.close()
            return nextSessionID
        }
        session = (nextSessionID, outgoing)
        if !welcomed {
            welcomed = true
            windowChanged.wakeAll()
        }
        sayStopping()
        var held: UInt32 = 0
        for job in jobs.keys.sorted() {
            guard var entry = jobs[job] else { continue }
            for chunk in entry.log.replay() {
                send(.logChunk(chunk))
            }
            jobs[job] = entry
            switch entry.phase {
            case .starting:
                continue
            case .exited(let status) where entry.log.isEmpty:
                send(.exited(report(job, entry, status)))
            case .running, .exited:
                // An attempt that ended with output still in flight is reported as running
                // until that output is durable.
                send(.started(Started(jobID: job, epoch: entry.epoch)))
            }
            held += 1
        }
        send(.synced(Synced(held: held)))
        return nextSessionID
    }

    /// Returns once a session of this incarnation has been welcomed by a leader (or the task is
    /// cancelled).
    func firstSessionWelcomed() async {
        while !welcomed, !Task.isCancelled {
            await windowChanged.wait(for: nil, since: windowChanged.generation)
        }
    }

    /// An adopted attempt's output resumes at chunk `seq` (what the archive holds ends before it).
    func resumeOutput(_ job: JobID, epoch: Epoch, at seq: UInt64) {
        guard var entry = jobs[job], entry.epoch == epoch else { return }
        entry.log.resume(at: seq)
        jobs[job] = entry
    }

    /// The session ended: nothing more is queued for it.
    func detach(_ id: UInt64) {
        guard let session, session.id == id else { return }
        session.outgoing.close()
        self.session = nil
    }

    /// Handles one push from the leader. An acknowledgement may let held output go: it is
    /// compressed here, in the session's task, not on the actor.
    nonisolated func handle(_ message: WireMessage) async {
        guard case let .logAck(ack) = message else { return await handleControl(message) }
        guard let (epoch, attempt, cuts) = await acknowledge(ack) else { return }
        await compressAndSend(cuts, job: ack.jobID, epoch: epoch, attempt: attempt)
    }

    private func handleControl(_ message: WireMessage) {
        switch message {
        case let .assign(assign):
            assignJob(assign)
        case let .cancel(cancel):
            guard let entry = jobs[cancel.jobID], entry.epoch <= cancel.epoch else { return }
            logger.info("killing on the leader's request", metadata: ["job.id": "\(cancel.jobID.rawValue)", "job.attempt": "\(entry.attempt)", "job.epoch": "\(cancel.epoch.rawValue)"])
            entry.kill.fire()
        case let .reportAck(ack):
            if let entry = jobs[ack.jobID], entry.epoch == ack.epoch, case .exited = entry.phase {
                jobs.removeValue(forKey: ack.jobID)
                windowChanged.wake(ack.jobID)
                // A stopping worker waits for this (``waitUntilIdle(until:)``).
                if jobs.isEmpty { windowChanged.wakeAll() }
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
        guard stopDeadline == nil else { return refuseWhileStopping(assign) }
        let kill = KillSignal()
        jobs[assign.jobID] = Entry(epoch: assign.epoch, attempt: assign.attempt, phase: .starting, kill: kill)
        windowChanged.wake(assign.jobID)
        let request = RunRequest(job: assign.jobID, attempt: assign.attempt, epoch: assign.epoch, node: node, spec: assign.spec, lease: lease)
        launches.yield(Launch(request: request, kill: kill))
    }

    /// Takes over an attempt an earlier process of this node left running (or stopped, not yet
    /// reported): it counts as running and is supervised to its end. Call before the first session.
    func adopt(_ request: RunRequest, alreadyRan: Duration) {
        guard jobs[request.job] == nil else { return }
        let kill = KillSignal()
        jobs[request.job] = Entry(epoch: request.epoch, attempt: request.attempt, phase: .running, kill: kill)
        launches.yield(Launch(request: request, kill: kill, resume: true, alreadyRan: alreadyRan))
    }

    // MARK: - Reports from runners

    /// An attempt's process runs.
    func started(_ job: JobID, epoch: Epoch) {
        guard var entry = jobs[job], entry.epoch == epoch else { return }
        entry.phase = .running
        jobs[job] = entry
        send(.started(Started(jobID: job, epoch: epoch)))
    }

    /// An attempt ended; kept until the leader acknowledges it. Reported at once if its output
    /// is durable, otherwise when the last `LogAck` arrives; output it held is cut and sent first.
    nonisolated func exited(_ job: JobID, epoch: Epoch, status: ExitStatus) async {
        guard let (attempt, cuts) = await markExited(job, epoch: epoch, status: status) else { return }
        await compressAndSend(cuts, job: job, epoch: epoch, attempt: attempt)
    }

    private func markExited(_ job: JobID, epoch: Epoch, status: ExitStatus) -> (UInt32, [LogWindow.Cut])? {
        guard var entry = jobs[job], entry.epoch == epoch else { return nil }
        var status = status
        if entry.evicted, status.code != 0 {
            status.lostByInfrastructure = true
            status.reason = "worker \(node.rawValue) stopped before the attempt ended"
        }
        entry.phase = .exited(status)
        let held = entry.log.cutHeld()
        jobs[job] = entry
        if entry.log.isEmpty {
            send(.exited(report(job, entry, status)))
        }
        return (entry.attempt, compressSmall(held, job: job, epoch: epoch, attempt: entry.attempt))
    }

    /// The `Exited` report of an attempt that ended with `status`.
    func report(_ job: JobID, _ entry: Entry, _ status: ExitStatus) -> Exited {
        Exited(jobID: job, epoch: entry.epoch, exitCode: status.code, oomKilled: status.oomKilled, reason: status.reason, lostByInfrastructure: status.lostByInfrastructure)
    }

    /// Number of attempts this incarnation tracks.
    var count: Int { jobs.count }

    /// The incarnation's lease ran out (or could not be renewed for its TTL): from now on it
    /// reports nothing — the jobs about to be killed must not look as if they failed on their own,
    /// and the leader has moved them anyway. The session's queue is closed.
    func fence() {
        fenced = true
        session?.outgoing.close()
        session = nil
    }

    /// Queues a message for the session, if one is up; otherwise (or if the connection breaks
    /// before it is written) the replay of the next session carries what matters. Nothing after
    /// ``fence()``.
    func send(_ message: WireMessage) {
        guard !fenced else { return }
        session?.outgoing.send(message)
    }
}
