import CCurl
import Foundation
import Synchronization

/// Runs every HTTP transfer of one client on a single dedicated thread that drives a libcurl
/// multi handle, so that no blocking libcurl call ever runs on a NIO event loop or on Swift's
/// cooperative pool.
///
/// Unary requests (``perform(_:)``) and long-lived streams (``stream(_:maxBufferedBytes:)``)
/// share the thread and its connection cache: a keep-alive connection to etcd or dockerd is
/// reused by the next request. Callers talk to the thread through a locked inbox and
/// `curl_multi_wakeup`, which libcurl documents as safe to call from any thread.
///
/// ```
///  async callers ──command──▶ inbox (Mutex) ──wakeup──▶ loop thread: multi_perform / multi_poll
///        ▲                                                   │
///        └──── continuation resumed / stream buffer fed ◀────┘
/// ```
public final class CurlLoop: Sendable {
    /// Commands from callers to the loop thread.
    enum Command: Sendable {
        case start(id: UInt64, request: CurlRequest, sink: TransferSink)
        case cancel(id: UInt64)
        case unpause(id: UInt64)
        /// Runs a closure on the loop thread between transfers (the tests use it to call
        /// ``CurlLoop/shutdown()`` from the loop's own thread).
        case call(@Sendable () -> Void)
    }

    /// The loop's life. Each step is taken under the inbox lock, and `curl_multi_wakeup` is
    /// only ever called under that lock while `running`: so once the loop thread has seen
    /// `stopping`, no wakeup is in progress or can start, and it may free the multi handle.
    ///
    /// ```
    /// running ──shutdown()──▶ stopping ──loop thread failed every transfer──▶ stopped (handle freed)
    /// ```
    enum Lifecycle: Equatable {
        /// Commands are accepted and wake the loop thread.
        case running
        /// ``CurlLoop/shutdown()`` was called: commands are refused; the loop thread has been
        /// woken for the last time and is failing what is in flight.
        case stopping
        /// The loop thread has freed the multi handle and ended.
        case stopped
    }

    struct Inbox {
        var commands: [Command] = []
        var nextID: UInt64 = 1
        var lifecycle = Lifecycle.running
        /// Ids handed out whose `.start` has not been sent yet.
        var unstarted: Set<UInt64> = []
        /// Ids cancelled before their `.start` was sent (a task cancelled before it called
        /// `perform` runs its cancellation handler first): their start fails at once.
        var cancelledEarly: Set<UInt64> = []
    }

    /// Internal, not private, so that the tests can check the bookkeeping is emptied.
    let inbox = Mutex(Inbox())
    private let multi: MultiHandle

    /// Starts the loop thread. `name` labels the thread in debuggers and `top -H` (Linux keeps
    /// its first 15 bytes).
    public init(name: String = "titan.curl") {
        CurlGlobal.initialise()
        guard let handle = curl_multi_init() else {
            fatalError("curl_multi_init returned NULL: libcurl could not allocate a multi handle")
        }
        multi = MultiHandle(raw: handle)
        // The thread keeps the loop alive until shutdown() ends it. It names itself: Foundation
        // on Linux drops a name set before start() (and one the thread sets before start() has
        // returned), which left the thread with its creator's name.
        let thread = Thread { [self] in
            Self.nameCurrentThread(name)
            run()
        }
        thread.start()
    }

    /// Carries out one request and returns the whole response, whatever its HTTP status.
    ///
    /// Throws ``CurlError`` when the transfer itself fails, and `CancellationError` when the
    /// calling task is cancelled (the transfer is then aborted).
    public func perform(_ request: CurlRequest) async throws -> CurlResponse {
        let id = allocateID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // A task cancelled before this call has run `onCancel` already, which marked the
                // id cancelled early: `send` then fails the start at once. The start is sent
                // either way, so that the id leaves the inbox's bookkeeping.
                send(.start(id: id, request: request, sink: .unary(continuation)))
            }
        } onCancel: {
            send(.cancel(id: id))
        }
    }

    /// Opens a long-lived response stream (an etcd watch, `docker logs --follow`).
    ///
    /// At most about `maxBufferedBytes` (plus one libcurl write of up to 16 KiB) are held for a
    /// slow reader; past that the transfer is paused until the reader catches up, so a stream
    /// never drops data and never grows without bound. An HTTP error status ends the stream
    /// with ``CurlError/httpStatus(url:status:body:)``.
    public func stream(_ request: CurlRequest, maxBufferedBytes: Int = 1 << 20) -> CurlByteStream {
        let id = allocateID()
        let buffer = StreamBuffer(limit: maxBufferedBytes)
        let owner = StreamOwner(id: id, loop: self, buffer: buffer)
        send(.start(id: id, request: request, sink: .stream(buffer)))
        return CurlByteStream(owner: owner)
    }

    /// Aborts every transfer (unary callers and streams get ``CurlError/shutDown``) and ends
    /// the thread; later requests fail with ``CurlError/shutDown`` at once.
    ///
    /// Returns without waiting for the thread, so it may be called from any thread, the loop's
    /// own included, any number of times: only the first call does anything.
    public func shutdown() {
        inbox.withLock { state in
            guard state.lifecycle == .running else { return }
            state.lifecycle = .stopping
            // Under the lock: the loop thread frees the handle only after it has seen
            // `stopping`, so this wakeup cannot reach a freed handle.
            curl_multi_wakeup(multi.raw)
        }
    }

    /// Gives the calling thread the name `top -H` and debuggers show (its first 15 bytes), by
    /// writing it to `/proc/thread-self/comm`, as glibc's `pthread_setname_np` does for another
    /// thread (which Swift does not import); a failure leaves the old name.
    private static func nameCurrentThread(_ name: String) {
        let descriptor = open("/proc/thread-self/comm", O_WRONLY)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// Whether the loop thread has failed every transfer, freed its libcurl handle and ended.
    var isStopped: Bool {
        inbox.withLock { $0.lifecycle == .stopped }
    }

    /// Hands `command` to the loop thread, or fails a start that cannot run (the loop is shut
    /// down, or the caller was cancelled first).
    func send(_ command: Command) {
        enum Outcome { case accepted, shutDown, cancelled, dropped }
        let outcome = inbox.withLock { state -> Outcome in
            switch command {
            case let .start(id, _, _):
                state.unstarted.remove(id)
                if state.cancelledEarly.remove(id) != nil { return .cancelled }
            case let .cancel(id) where state.unstarted.contains(id):
                state.cancelledEarly.insert(id)
                return .dropped
            case .cancel, .unpause, .call:
                break
            }
            guard state.lifecycle == .running else { return .shutDown }
            state.commands.append(command)
            // Under the lock, for the reason given in shutdown().
            curl_multi_wakeup(multi.raw)
            return .accepted
        }
        switch (outcome, command) {
        case let (.shutDown, .start(_, _, sink)):
            sink.fail(CurlError.shutDown)
        case let (.cancelled, .start(_, _, sink)):
            sink.fail(CancellationError())
        default:
            break
        }
    }

    private func allocateID() -> UInt64 {
        inbox.withLock { state in
            defer { state.nextID += 1 }
            state.unstarted.insert(state.nextID)
            return state.nextID
        }
    }

    /// The loop thread's body: take commands, drive transfers, hand out finished ones, sleep in
    /// `curl_multi_poll` until a socket is ready, a wakeup arrives, or a second passes. Once
    /// shut down, it fails what is in flight and frees the multi handle itself, after it has
    /// left `curl_multi_poll` for the last time.
    private func run() {
        var transfers = TransferTable(multi: multi.raw)
        while true {
            let (commands, lifecycle) = inbox.withLock { state -> ([Command], Lifecycle) in
                defer { state.commands.removeAll(keepingCapacity: true) }
                return (state.commands, state.lifecycle)
            }
            switch lifecycle {
            case .running:
                for command in commands {
                    transfers.apply(command)
                }
                var running: Int32 = 0
                curl_multi_perform(multi.raw, &running)
                transfers.collectFinished()
                curl_multi_poll(multi.raw, nil, 0, 1000, nil)
            case .stopping:
                // The commands sent before shutdown(): starts fail without a handle being made.
                for case let .start(_, _, sink) in commands {
                    sink.fail(CurlError.shutDown)
                }
                transfers.failAll(CurlError.shutDown)
                // No wakeup can be under way or begin now (they happen under the lock while
                // running), so nothing but this thread can touch the handle any more.
                curl_multi_cleanup(multi.raw)
                inbox.withLock { $0.lifecycle = .stopped }
                return
            case .stopped:
                preconditionFailure("only the loop thread stops the loop, and it has returned")
            }
        }
    }
}

/// The multi handle, shared between the loop thread and callers.
///
/// `@unchecked Sendable` is sound because callers only ever call `curl_multi_wakeup` on it,
/// which libcurl documents as callable from any thread, and only under the inbox lock while
/// the loop runs (see ``CurlLoop/Lifecycle``); every other use, `curl_multi_cleanup` included,
/// is on the loop thread.
struct MultiHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
}

/// `curl_global_init` exactly once per process, before the first handle is made.
enum CurlGlobal {
    private static let done: Void = {
        curl_global_init(Int(CURL_GLOBAL_ALL))
    }()

    static func initialise() {
        _ = done
    }
}
