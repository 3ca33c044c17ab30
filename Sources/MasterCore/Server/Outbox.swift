import Synchronization
import WireProtocol

/// Messages the leader pushes to one connection (assignments to a worker, job events to a
/// subscriber), drained by that connection's writer task.
///
/// Bounded: a peer that lets `limit` messages pile up is too slow to keep; the outbox then
/// closes, the connection ends, and the peer reconnects and catches up (a worker is sent its
/// assignments again, a subscriber re-reads job states). Nothing waits on a slow peer.
public final class Outbox: Sendable {
    /// The messages, in order, for the connection's writer.
    public let messages: AsyncStream<WireMessage>
    private let continuation: AsyncStream<WireMessage>.Continuation
    private let overflowed = Atomic<Bool>(false)

    /// The most messages one connection may have waiting.
    public static let defaultLimit = 65_536

    /// Creates an outbox holding at most `limit` unsent messages.
    public init(limit: Int = Outbox.defaultLimit) {
        (messages, continuation) = AsyncStream.makeStream(of: WireMessage.self, bufferingPolicy: .bufferingOldest(limit))
    }

    /// Queues a message; false when the outbox is closed or just overflowed (and closed).
    @discardableResult
    public func send(_ message: WireMessage) -> Bool {
        switch continuation.yield(message) {
        case .enqueued:
            return true
        case .dropped:
            overflowed.store(true, ordering: .relaxed)
            continuation.finish()
            return false
        case .terminated:
            return false
        @unknown default:
            return false
        }
    }

    /// Ends the stream; the writer stops after what is queued.
    public func close() {
        continuation.finish()
    }

    /// True if the outbox closed because its peer fell too far behind.
    public var didOverflow: Bool {
        overflowed.load(ordering: .relaxed)
    }
}
