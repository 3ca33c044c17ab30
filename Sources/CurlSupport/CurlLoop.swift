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
    }

    struct Inbox {
        var commands: [Command] = []
        var nextID: UInt64 = 1
        var shuttingDown = false
        /// Ids handed out whose `.start` has not been sent yet.
        var unstarted: Set<UInt64> = []
        /// Ids cancelled before their `.start` was sent (a task cancelled before it called
        /// `perform` runs its cancellation handler first): their start fails at once.
        var cancelledEarly: Set<UInt64> = []
    }

    private let inbox = Mutex(Inbox())
    private let multi: MultiHandle

    /// Starts the loop thread. `name` labels the thread in debuggers and `top -H`.
    public init(name: String = "titan.curl") {
        CurlGlobal.initialise()
        guard let handle = curl_multi_init() else {
            fatalError("curl_multi_init returned NULL: libcurl could not allocate a multi handle")
        }
        multi = MultiHandle(raw: handle)
        // The thread keeps the loop alive until shutdown() ends it.
        let thread = Thread { [self] in
            run()
        }
        thread.name = name
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
                // A task cancelled before this call runs `onCancel` first, while the transfer
                // does not exist yet; without this check it would run to its end regardless.
                guard !Task.isCancelled else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
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

    /// Aborts every transfer (unary callers get ``CurlError/shutDown``) and ends the thread.
    public func shutdown() {
        inbox.withLock { $0.shuttingDown = true }
        curl_multi_wakeup(multi.raw)
    }

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
            case .cancel, .unpause:
                break
            }
            guard !state.shuttingDown else { return .shutDown }
            state.commands.append(command)
            return .accepted
        }
        switch (outcome, command) {
        case (.accepted, _):
            curl_multi_wakeup(multi.raw)
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
    /// `curl_multi_poll` until a socket is ready, a wakeup arrives, or a second passes.
    private func run() {
        var transfers = TransferTable(multi: multi.raw)
        while true {
            let (commands, stopping) = inbox.withLock { state -> ([Command], Bool) in
                defer { state.commands.removeAll(keepingCapacity: true) }
                return (state.commands, state.shuttingDown)
            }
            for command in commands {
                transfers.apply(command)
            }
            if stopping {
                transfers.failAll(CurlError.shutDown)
                break
            }
            var running: Int32 = 0
            curl_multi_perform(multi.raw, &running)
            transfers.collectFinished()
            curl_multi_poll(multi.raw, nil, 0, 1000, nil)
        }
        curl_multi_cleanup(multi.raw)
    }
}

/// The multi handle, shared between the loop thread and callers.
///
/// `@unchecked Sendable` is sound because callers only ever call `curl_multi_wakeup` on it,
/// which libcurl documents as callable from any thread; every other use is on the loop thread.
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
