import Glibc
import NIOCore
import Synchronization

/// Kills one running job when its task is cancelled: SIGTERM to its process group at once,
/// SIGKILL after the grace period unless the main process was reaped before.
///
/// `fire` runs in a cancellation handler (any thread, synchronous), so it only sends a signal
/// and schedules the second one on an event loop; it never waits.
final class KillSwitch: Sendable {
    private enum Phase {
        /// The job runs; nobody asked to kill it.
        case armed
        /// SIGTERM was sent; SIGKILL is scheduled.
        case terminating(Scheduled<Void>)
        /// The job was killed on request and its main process has been reaped.
        case killed
        /// The main process ended before anyone asked to kill it.
        case disarmed
    }

    private let process: WatchedProcess
    private let reaper: ProcessReaper
    private let eventLoop: any EventLoop
    private let grace: TimeAmount
    private let phase = Mutex(Phase.armed)

    init(process: WatchedProcess, reaper: ProcessReaper, eventLoop: any EventLoop, grace: TimeAmount) {
        self.process = process
        self.reaper = reaper
        self.eventLoop = eventLoop
        self.grace = grace
    }

    /// Starts killing the job (idempotent; a no-op once its main process has ended).
    func fire() {
        self.phase.withLock { phase in
            guard case .armed = phase else {
                return
            }
            // Under the reaper's lock: false if the leader was already reaped.
            guard self.reaper.signalGroup(self.process, SIGTERM) else {
                return
            }
            let process = self.process
            let reaper = self.reaper
            let escalation = self.eventLoop.scheduleTask(in: self.grace) {
                _ = reaper.signalGroup(process, SIGKILL)
            }
            phase = .terminating(escalation)
        }
    }

    /// Records that the main process was reaped; returns whether it was killed on request.
    func mainProcessEnded() -> Bool {
        self.phase.withLock { phase in
            switch phase {
            case .armed:
                phase = .disarmed
                return false
            case .terminating(let escalation):
                escalation.cancel()
                phase = .killed
                return true
            case .killed, .disarmed:
                preconditionFailure("the end of a job's main process was reported twice")
            }
        }
    }
}
