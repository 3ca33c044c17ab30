import ClusterModel
import Histogram
import StageTrace
import Synchronization

/// What the load tool knows of every job it submitted: when it was sent, acknowledged,
/// durably scheduled, seen running, and final. Thread-safe; bounded by the plan's job count
/// (events for ids not yet acknowledged wait in a map no larger than the run).
final class LoadTracker: Sendable {
    struct Job {
        var sent: ContinuousClock.Instant
        var acked: ContinuousClock.Instant?
        var scheduled: ContinuousClock.Instant?
        var running: ContinuousClock.Instant?
        var final: ContinuousClock.Instant?
        var finalState: JobState?
    }

    private struct State {
        var jobs: [Job] = []
        var index: [JobID: Int] = [:]
        var early: [JobID: [(JobState, ContinuousClock.Instant)]] = [:]
        var refused = 0
        var refusals: [String] = []
        var finals = 0
        var runningOrBeyond = 0
        var lastAck: ContinuousClock.Instant?
        var lastScheduled: ContinuousClock.Instant?
        var lastRunning: ContinuousClock.Instant?
        var lastFinal: ContinuousClock.Instant?
        var done: CheckedContinuation<Void, Never>?
        var expected: Int
        var scheduledCount = 0
        let until: LoadPlan.Milestone
    }

    private let state: Mutex<State>

    init(expected: Int, until: LoadPlan.Milestone) {
        state = Mutex(State(expected: expected, until: until))
    }

    /// A batch was sent at `sent` and answered now with `outcomes`.
    func acknowledged(sent: ContinuousClock.Instant, outcomes: [JobOutcomeLike]) {
        let now = ContinuousClock.now
        if StageTrace.isOn {
            let traceNow = StageTrace.now()
            let sentAt = traceNow - UInt64(max(0, (now - sent) / .nanoseconds(1)))
            for case let .accepted(id) in outcomes {
                StageTrace.mark(.submitSent, id.rawValue, at: sentAt)
                StageTrace.mark(.submitAcked, id.rawValue, at: traceNow)
            }
        }
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            for outcome in outcomes {
                switch outcome {
                case let .accepted(id):
                    let position = state.jobs.count
                    state.jobs.append(Job(sent: sent, acked: now))
                    state.index[id] = position
                    state.lastAck = now
                    for (jobState, at) in state.early.removeValue(forKey: id) ?? [] {
                        apply(jobState, at: at, to: position, in: &state)
                    }
                case let .refused(message):
                    state.refused += 1
                    if state.refusals.count < 5 { state.refusals.append(message) }
                    state.expected -= 1
                }
            }
            return takeWaiterIfDone(&state)
        }
        waiter?.resume()
    }

    /// Jobs whose submission (sent at `sent`) reached a leader that went away before answering,
    /// found recorded on the next one: accepted, without an acknowledgement time.
    func adopted(_ ids: [JobID], sent: ContinuousClock.Instant) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            for id in ids where state.index[id] == nil {
                let position = state.jobs.count
                state.jobs.append(Job(sent: sent, acked: nil))
                state.index[id] = position
                for (jobState, at) in state.early.removeValue(forKey: id) ?? [] {
                    apply(jobState, at: at, to: position, in: &state)
                }
            }
            return takeWaiterIfDone(&state)
        }
        waiter?.resume()
    }

    /// A job event arrived.
    func event(_ id: JobID, _ jobState: JobState) {
        let now = ContinuousClock.now
        switch jobState {
        case .scheduled: StageTrace.mark(.scheduledEvent, id.rawValue)
        case .running: StageTrace.mark(.runningEvent, id.rawValue)
        case let final where final.isFinal: StageTrace.mark(.finalEvent, id.rawValue)
        default: break
        }
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let position = state.index[id] else {
                // An event can overtake the acknowledgement of its own submission.
                state.early[id, default: []].append((jobState, now))
                return nil
            }
            apply(jobState, at: now, to: position, in: &state)
            return takeWaiterIfDone(&state)
        }
        waiter?.resume()
    }

    /// Returns when every accepted job is final (or the task is cancelled).
    func waitUntilDone() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    if isDone(state) || Task.isCancelled { return true }
                    state.done = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.done = nil }
                return state.done
            }?.resume()
        }
    }

    /// Where the run stands, for the progress display.
    func progress() -> LoadProgress {
        state.withLock { state in
            LoadProgress(expected: state.expected, submitted: state.jobs.count, runningOrBeyond: state.runningOrBeyond, final: state.finals, until: state.until)
        }
    }

    /// When each job passed each step, in seconds from `start` (nil: not seen).
    func timelines(start: ContinuousClock.Instant) -> [JobTimeline] {
        func seconds(_ instant: ContinuousClock.Instant?) -> Double? {
            guard let instant else { return nil }
            let duration = instant - start
            return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        return state.withLock { state in
            state.jobs.map { job in
                JobTimeline(
                    sent: seconds(job.sent) ?? 0, acked: seconds(job.acked), scheduled: seconds(job.scheduled),
                    running: seconds(job.running), final: seconds(job.final))
            }
        }
    }

    /// The first refusal messages, for the error output.
    var refusals: [String] { state.withLock { $0.refusals } }

    /// The report, measured from `start`.
    func report(start: ContinuousClock.Instant) -> LoadReport {
        state.withLock { state in
            var submitAck = Histogram<UInt64>(highestTrackableValue: 3_600_000_000)
            var dispatch = Histogram<UInt64>(highestTrackableValue: 3_600_000_000)
            var endToEnd = Histogram<UInt64>(highestTrackableValue: 3_600_000_000)
            var counts: [JobState: Int] = [:]
            for job in state.jobs {
                if let acked = job.acked { _ = submitAck.record(micros(acked - job.sent)) }
                if let scheduled = job.scheduled, let running = job.running, running >= scheduled {
                    _ = dispatch.record(micros(running - scheduled))
                }
                if let final = job.final { _ = endToEnd.record(micros(final - job.sent)) }
                if let finalState = job.finalState { counts[finalState, default: 0] += 1 }
            }
            func seconds(_ instant: ContinuousClock.Instant?) -> Double {
                guard let instant else { return 0 }
                let duration = instant - start
                return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            }
            let accepted = state.jobs.count
            let allScheduled = state.jobs.allSatisfy { $0.scheduled != nil }
            let allRunning = state.jobs.allSatisfy { $0.running != nil }
            return LoadReport(
                jobs: accepted,
                refused: state.refused,
                succeeded: counts[.succeeded, default: 0],
                failed: counts[.failed, default: 0],
                lost: counts[.lost, default: 0],
                cancelled: counts[.cancelled, default: 0],
                unfinished: accepted - state.finals,
                submitRate: rate(accepted, seconds(state.lastAck)),
                placementRate: allScheduled ? rate(accepted, seconds(state.lastScheduled)) : 0,
                timeToAllRunningS: allRunning ? seconds(state.lastRunning) : 0,
                wallS: seconds(state.lastFinal),
                latencyMs: [
                    "submit_ack": LatencySummary(submitAck),
                    "dispatch": LatencySummary(dispatch),
                    "end_to_end": LatencySummary(endToEnd),
                ]
            )
        }
    }

    private func apply(_ jobState: JobState, at instant: ContinuousClock.Instant, to position: Int, in state: inout State) {
        var job = state.jobs[position]
        if jobState != .pending, job.scheduled == nil {
            job.scheduled = instant
            state.scheduledCount += 1
            state.lastScheduled = max(state.lastScheduled ?? instant, instant)
        }
        if jobState == .running || jobState.isFinal, job.running == nil, jobState != .cancelled {
            job.running = instant
            state.runningOrBeyond += 1
            state.lastRunning = max(state.lastRunning ?? instant, instant)
        }
        if jobState.isFinal, job.final == nil {
            job.final = instant
            job.finalState = jobState
            state.finals += 1
            state.lastFinal = max(state.lastFinal ?? instant, instant)
        }
        state.jobs[position] = job
    }

    private func isDone(_ state: State) -> Bool {
        guard state.jobs.count == state.expected else { return false }
        switch state.until {
        case .placed: return state.scheduledCount == state.expected
        case .running: return state.runningOrBeyond == state.expected
        case .final: return state.finals == state.expected
        }
    }

    private func takeWaiterIfDone(_ state: inout State) -> CheckedContinuation<Void, Never>? {
        guard isDone(state) else { return nil }
        defer { state.done = nil }
        return state.done
    }
}

/// A submission outcome as the tracker needs it.
enum JobOutcomeLike {
    case accepted(JobID)
    case refused(String)
}

private func micros(_ duration: Duration) -> UInt64 {
    let (seconds, attoseconds) = duration.components
    return UInt64(max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
}

private func rate(_ count: Int, _ seconds: Double) -> Double {
    seconds > 0 ? (Double(count) / seconds * 10).rounded() / 10 : 0
}
