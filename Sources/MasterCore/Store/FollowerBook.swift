import ClusterModel
import WireProtocol

/// The clients following attempts' output (`titan-cli logs --follow`) and what each is sent.
/// Pure: ``LogArchiver`` feeds it events (a follower registers, has read the archive, a chunk is
/// taken, the job changes, the attempt exits, time passes) and carries out the actions.
///
/// ```
/// follow ─▶ catching up (live chunks buffered) ─caughtUp(next)─▶ live ─attempt over─▶ LogEnd, gone
/// ```
///
/// Each follower sees each seq once and in order: chunks below its `next` are skipped, so the
/// archive it was sent and the live chunks may overlap. A cancelled attempt that has not
/// reported its exit is **dying**: its followers get `LogEnd` when the exit is reported
/// (``attemptExited(_:)``) or ``dyingGrace`` passes, so they see its last words (a TERM trap's)
/// as the archive does.
struct FollowerBook {
    /// One follower: the attempt it follows and its number.
    struct FollowerID: Hashable {
        let key: AttemptKey
        let number: UInt64
    }

    /// What the archiver sends.
    enum Action {
        /// Send the chunk; if the outbox refuses it (too slow, closed), ``drop(_:)`` the
        /// follower: it reconnects and resumes by seq.
        case send(LogChunk, to: Outbox, follower: FollowerID)
        /// The follower's last message: it is gone from the book.
        case end(LogEnd, to: Outbox)
        /// The follower fell behind while reading the archive and is gone: tell it to follow again.
        case fellBehind(Outbox)
    }

    private struct Follower {
        /// Where the follower is.
        enum Phase {
            /// The client is being sent the archive: the chunks taken meanwhile wait here.
            case catchingUp(buffered: [LogChunk])
            /// Chunks are sent as they are taken.
            case live
        }

        let outbox: Outbox
        let streams: Set<LogStreamKind>
        /// The next seq to send.
        var next: UInt64
        var phase: Phase
        /// Set once the attempt is over; sent after everything else.
        var end: LogEnd?

        var isLive: Bool { bufferedCount == nil }

        /// How many chunks wait while it catches up; `nil` once it is live.
        var bufferedCount: Int? {
            guard case let .catchingUp(buffered) = phase else { return nil }
            return buffered.count
        }

        /// Keeps a chunk for after the catch-up (in place: the buffer is not copied).
        mutating func buffer(_ chunk: LogChunk) {
            guard case var .catchingUp(buffered) = phase else { return }
            phase = .live  // drops the enum's reference, so the append below does not copy
            buffered.append(chunk)
            phase = .catchingUp(buffered: buffered)
        }
    }

    /// How long the followers of a killed attempt wait for its exit before they get `LogEnd`
    /// anyway (its worker may be gone); output that comes later is still archived.
    var dyingGrace = Duration.seconds(10)
    /// The most live chunks held for a follower still reading the archive (at most 64 MiB):
    /// past them it ``Action/fellBehind(_:)``.
    var maxBufferedPerFollower = 1024

    private var followers: [AttemptKey: [UInt64: Follower]] = [:]
    private var lastNumber: UInt64 = 0
    /// Killed attempts whose followers wait for their exit, with the time they stop waiting.
    private var dying: [AttemptKey: ContinuousClock.Instant] = [:]

    /// How many followers there are (the metrics endpoint's `titan_log_followers`).
    var count: Int {
        followers.values.reduce(0) { $0 + $1.count }
    }

    /// Whether anyone follows `key`.
    func isFollowed(_ key: AttemptKey) -> Bool {
        followers[key] != nil
    }

    /// Registers a follower of `key` for `outbox`, starting at `seq`, holding `unwritten` (the
    /// chunks received but not durable, which the archive read will not see); nothing is sent
    /// before ``caughtUp(_:next:)``.
    mutating func follow(_ key: AttemptKey, streams: Set<LogStreamKind>, from seq: UInt64, outbox: Outbox, unwritten: [LogChunk]) -> FollowerID {
        lastNumber += 1
        let follower = Follower(outbox: outbox, streams: streams, next: seq, phase: .catchingUp(buffered: unwritten))
        followers[key, default: [:]][lastNumber] = follower
        return FollowerID(key: key, number: lastNumber)
    }

    /// The follower has been sent the archive up to (not including) seq `next`: it is sent
    /// what was buffered meanwhile, then live chunks, and `LogEnd` if the attempt is over.
    mutating func caughtUp(_ id: FollowerID, next: UInt64) -> [Action] {
        guard var follower = followers[id.key]?[id.number], case let .catchingUp(buffered) = follower.phase else { return [] }
        follower.next = max(follower.next, next)
        follower.phase = .live
        followers[id.key]?[id.number] = follower
        var actions = buffered.sorted { $0.seq < $1.seq }.compactMap { deliver($0, to: id) }
        if dying[id.key] == nil, let end = followers[id.key]?[id.number]?.end {
            actions += finish(id, end)
        }
        return actions
    }

    /// A newly taken chunk: sent to the attempt's live followers, buffered for the others.
    mutating func forward(_ chunk: LogChunk) -> [Action] {
        let key = AttemptKey(job: chunk.jobID, attempt: chunk.attempt)
        guard let numbers = followers[key]?.keys else { return [] }
        var actions: [Action] = []
        for number in numbers {
            let id = FollowerID(key: key, number: number)
            guard let (outbox, buffered) = followers[key]?[number].map({ ($0.outbox, $0.bufferedCount) }) else { continue }
            switch buffered {
            case nil:
                if let action = deliver(chunk, to: id) { actions.append(action) }
            case let count? where count < maxBufferedPerFollower:
                followers[key]?[number]?.buffer(chunk)
            case _?:
                // Still reading the archive while the job writes faster: it starts over from
                // where it is (the client resumes by seq).
                drop(id)
                actions.append(.fellBehind(outbox))
            }
        }
        return actions
    }

    /// The job changed to `status`: the followers of an attempt that is over (the job is final,
    /// or runs a later attempt) get `LogEnd` once they have been sent everything — a cancelled
    /// attempt whose exit `hasExited` does not know yet is dying until its exit or `now` plus
    /// ``dyingGrace``.
    mutating func jobChanged(_ job: JobID, status: JobStatus, now: ContinuousClock.Instant, hasExited: (AttemptKey) -> Bool) -> [Action] {
        var actions: [Action] = []
        for key in followers.keys where key.job == job && (key.attempt < status.attempt || status.state.isFinal) {
            let end = LogEnd(
                jobID: job, attempt: key.attempt, finalState: status.state,
                exitCode: key.attempt == status.attempt ? status.exitCode : nil)
            if status.state == .cancelled, key.attempt == status.attempt, !hasExited(key), dying[key] == nil {
                dying[key] = now + dyingGrace
            }
            for (number, follower) in followers[key] ?? [:] {
                let id = FollowerID(key: key, number: number)
                if follower.isLive && dying[key] == nil {
                    actions += finish(id, end)
                } else {
                    followers[key]?[number]?.end = end
                }
            }
        }
        return actions
    }

    /// The attempt's worker reported its exit: its followers get their `LogEnd` now, after
    /// everything it wrote.
    mutating func attemptExited(_ key: AttemptKey) -> [Action] {
        endDying(key)
    }

    /// Ends the followers of dying attempts whose grace has passed at `now`.
    mutating func expireDying(now: ContinuousClock.Instant) -> [Action] {
        dying.filter { $0.value <= now }.keys.flatMap { endDying($0) }
    }

    /// Drops every follower writing to `outbox` (its connection closed).
    mutating func unfollow(_ outbox: Outbox) {
        for key in followers.keys {
            followers[key] = followers[key]?.filter { $0.value.outbox !== outbox }
            if followers[key]?.isEmpty == true { followers.removeValue(forKey: key) }
        }
    }

    /// Forgets one follower (its outbox refused a chunk, or it fell behind).
    mutating func drop(_ id: FollowerID) {
        followers[id.key]?.removeValue(forKey: id.number)
        if followers[id.key]?.isEmpty == true { followers.removeValue(forKey: id.key) }
    }

    private mutating func endDying(_ key: AttemptKey) -> [Action] {
        guard dying.removeValue(forKey: key) != nil else { return [] }
        var actions: [Action] = []
        for (number, follower) in followers[key] ?? [:] where follower.isLive {
            if let end = follower.end {
                actions += finish(FollowerID(key: key, number: number), end)
            }
        }
        return actions
    }

    /// The send of `chunk` to the follower, if it wants it: not below its `next`, of a stream it
    /// asked for.
    private mutating func deliver(_ chunk: LogChunk, to id: FollowerID) -> Action? {
        guard var follower = followers[id.key]?[id.number], chunk.seq >= follower.next else { return nil }
        follower.next = chunk.seq + 1
        followers[id.key]?[id.number] = follower
        guard follower.streams.contains(chunk.stream) else { return nil }
        return .send(chunk, to: follower.outbox, follower: id)
    }

    private mutating func finish(_ id: FollowerID, _ end: LogEnd) -> [Action] {
        guard let follower = followers[id.key]?[id.number] else { return [] }
        drop(id)
        return [.end(end, to: follower.outbox)]
    }
}
