import CProcessSupport
import Glibc
import Synchronization

/// How a child process ended, as `waitpid` described it.
enum ProcessEnd: Sendable, Hashable {
    /// The process called `exit` with this code.
    case exited(Int32)
    /// This signal killed the process.
    case signaled(Int32)
    /// The status could not be collected (`waitpid` failed with this errno, e.g. `ECHILD` when
    /// something else in this process reaped the child).
    case lost(Int32)
}

/// A child process that the reaper watches. Only the reaper's token identifies it: its pid may be
/// reused by the kernel once it has been reaped.
struct WatchedProcess: Sendable, Hashable {
    /// The reaper's key for the process.
    let token: UInt64
    /// The process id, which is also the id of the job's process group.
    let pid: pid_t
}

/// The one place where the worker collects the exit of the jobs it spawned.
///
/// One dedicated thread (not one per job, and never a thread of the cooperative pool or of an
/// event loop) sleeps in `epoll_wait` on a pidfd per watched process. A pidfd becomes readable when
/// its process exits (it is then a zombie); the thread then
///   1. SIGKILLs whatever the process left in its process group (as Docker does when a container's
///      init exits): the zombie still holds its pid, so the group id cannot have been reused;
///   2. reaps it with `waitpid(pid)` — only that pid, never `-1`, so children spawned by other
///      parts of the worker are left alone;
///   3. resumes the task waiting for it, or keeps the status until one asks.
/// Nothing polls: the thread wakes once per exit. Signals sent through `signalGroup` take the same
/// lock as reaping, so a signal can never reach a process group whose leader was already reaped
/// (and whose id the kernel could have given to someone else).
final class ProcessReaper: Sendable {
    private enum Phase {
        /// The process runs; a task may be waiting for its end.
        case running(waiter: CheckedContinuation<ProcessEnd, Never>?)
        /// The process was reaped before anyone asked for its end.
        case ended(ProcessEnd)
    }

    private struct Entry {
        let pid: pid_t
        let pidfd: Int32
        var phase: Phase
    }

    private struct State {
        var nextToken: UInt64 = 1
        var entries: [UInt64: Entry] = [:]
    }

    /// The reaper of this process, started on first use; `nil` where the kernel lacks pidfds or
    /// epoll (Linux older than 5.3), with the errno that said so.
    static let shared: Result<ProcessReaper, ExecRuntimeError> = Result { () throws(ExecRuntimeError) in try ProcessReaper() }

    private let epoll: Int32
    private let state = Mutex(State())
    private let helperStarted = Atomic<Bool>(false)

    private init() throws(ExecRuntimeError) {
        // Probe pidfd support once, on ourselves, so that a kernel without it fails here, clearly.
        let probe = cps_pidfd_open(getpid())
        guard probe >= 0 else {
            throw .unsupportedKernel(errno: errno)
        }
        close(probe)
        let epoll = cps_epoll_create()
        guard epoll >= 0 else {
            throw .unsupportedKernel(errno: errno)
        }
        self.epoll = epoll
        var thread = pthread_t()
        // The thread holds a strong reference for its whole life: the reaper lives as long as the
        // process, like the kernel's own bookkeeping of our children.
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(
            &thread,
            nil,
            { context in
                Unmanaged<ProcessReaper>.fromOpaque(context!).takeUnretainedValue().loop()
            },
            context
        )
        guard rc == 0 else {
            Unmanaged<ProcessReaper>.fromOpaque(context).release()
            close(epoll)
            throw .threadUnavailable(errno: rc)
        }
        pthread_detach(thread)
        // The reaper thread starts the spawn helper first thing (it lives as long as the process,
        // which the helper's parent-death signal requires); wait until it has.
        while !self.helperStarted.load(ordering: .acquiring) {
            usleep(100)
        }
    }

    /// Starts watching `pid`, a child of this process that nobody has reaped yet.
    ///
    /// Blocking-free (two syscalls). On failure the process is not watched: the caller must kill
    /// and reap it itself.
    func watch(pid: pid_t) throws(ExecRuntimeError) -> WatchedProcess {
        let pidfd = cps_pidfd_open(pid)
        guard pidfd >= 0 else {
            throw .descriptors(what: "a pidfd", errno: errno)
        }
        let token = self.state.withLock { state in
            let token = state.nextToken
            state.nextToken += 1
            state.entries[token] = Entry(pid: pid, pidfd: pidfd, phase: .running(waiter: nil))
            return token
        }
        // Registered after the entry exists: the thread may see the exit at once.
        guard cps_epoll_add(self.epoll, pidfd, token) == 0 else {
            let error = errno
            self.state.withLock { _ = $0.entries.removeValue(forKey: token) }
            close(pidfd)
            throw .descriptors(what: "an epoll registration", errno: error)
        }
        return WatchedProcess(token: token, pid: pid)
    }

    /// Waits for the process to end and returns how it ended. Not cancellable: a cancelled caller
    /// kills the process (see `signalGroup`) and keeps waiting. Call it once per process.
    func end(of process: WatchedProcess) async -> ProcessEnd {
        await withCheckedContinuation { (continuation: CheckedContinuation<ProcessEnd, Never>) in
            let ended: ProcessEnd? = self.state.withLock { state in
                guard var entry = state.entries[process.token] else {
                    preconditionFailure("pid \(process.pid) is not watched, or its end was already taken")
                }
                switch entry.phase {
                case .ended(let end):
                    state.entries.removeValue(forKey: process.token)
                    return end
                case .running(waiter: nil):
                    entry.phase = .running(waiter: continuation)
                    state.entries[process.token] = entry
                    return nil
                case .running(waiter: .some):
                    preconditionFailure("two tasks wait for the end of pid \(process.pid)")
                }
            }
            if let ended {
                continuation.resume(returning: ended)
            }
        }
    }

    /// Sends `signal` to the process group of `process` if its leader has not been reaped yet.
    /// Returns whether the signal was sent.
    @discardableResult
    func signalGroup(_ process: WatchedProcess, _ signal: Int32) -> Bool {
        self.state.withLock { state in
            guard case .running = state.entries[process.token]?.phase else {
                return false
            }
            return kill(-process.pid, signal) == 0
        }
    }

    private func loop() -> Never {
        cps_name_this_thread("titan-reaper")
        // Best effort: without the helper, jobs are spawned directly (correct, but a spawn then
        // costs time proportional to the descriptors the worker holds).
        _ = cps_zygote_start()
        self.helperStarted.store(true, ordering: .releasing)
        var tokens = [UInt64](repeating: 0, count: 64)
        while true {
            let count = tokens.withUnsafeMutableBufferPointer {
                cps_epoll_wait(self.epoll, $0.baseAddress, Int32($0.count), -1)
            }
            guard count >= 0 else {
                precondition(errno == EINTR, "epoll_wait of the process reaper failed: errno \(errno)")
                continue
            }
            for index in 0..<Int(count) {
                self.reap(token: tokens[index])
            }
        }
    }

    private func reap(token: UInt64) {
        let resume: (CheckedContinuation<ProcessEnd, Never>, ProcessEnd)? = self.state.withLock { state in
            guard var entry = state.entries[token], case .running(let waiter) = entry.phase else {
                return nil
            }
            _ = kill(-entry.pid, SIGKILL)
            let end = Self.collect(pid: entry.pid)
            _ = cps_epoll_remove(self.epoll, entry.pidfd)
            close(entry.pidfd)
            if let waiter {
                state.entries.removeValue(forKey: token)
                return (waiter, end)
            }
            entry.phase = .ended(end)
            state.entries[token] = entry
            return nil
        }
        if let (waiter, end) = resume {
            waiter.resume(returning: end)
        }
    }

    /// Reaps a process that has exited: `waitpid` returns at once for a zombie.
    private static func collect(pid: pid_t) -> ProcessEnd {
        var status: Int32 = 0
        var rc: pid_t
        repeat {
            rc = waitpid(pid, &status, 0)
        } while rc < 0 && errno == EINTR
        guard rc == pid else {
            return .lost(errno)
        }
        var value: Int32 = 0
        switch cps_decode_wait_status(status, &value) {
        case 1:
            return .exited(value)
        case 2:
            return .signaled(value)
        default:
            return .lost(0)
        }
    }
}
