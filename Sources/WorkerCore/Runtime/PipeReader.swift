import NIOCore
import NIOPosix

/// Reads one output pipe of a job on an event loop, on demand.
///
/// The channel runs with `autoRead` off and one message per read, so the handler decides when the
/// pipe is read: it keeps at most `maxBuffered` chunks (each one read, at most
/// `PipeDescriptors.maxRead`) that the consumer has not taken, and reads no more until the
/// consumer takes one. When it stops reading, the pipe fills (its kernel buffer, 1 MiB when the
/// kernel grants it: `PipeDescriptors.capacity`) and the job
/// blocks in `write`: that is the backpressure, and no byte is ever dropped.
///
/// After the job's main process exited, a read that waits for data longer than `drainWindow`
/// closes the pipe: only a process that escaped the job's group can still hold its write end, and
/// the job must not wait for it forever. A slow consumer never triggers it — no read is waiting
/// while chunks are buffered — so output that was written before the exit is never cut.
///
/// Every member runs on the channel's event loop.
final class PipeReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private enum Phase {
        /// The pipe is open; `readPending` tells whether a read was asked of the channel.
        case open(readPending: Bool)
        /// The pipe reached its end or was closed.
        case ended
    }

    private let maxBuffered: Int
    private let drainWindow: TimeAmount
    private var phase: Phase = .open(readPending: false)
    private var buffered = CircularBuffer<ByteBuffer>(initialCapacity: 4)
    private var waiter: EventLoopPromise<ByteBuffer?>?
    private var mainProcessExited = false
    private var drainTimer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(maxBuffered: Int, drainWindow: TimeAmount) {
        precondition(maxBuffered >= 1, "a pipe reader buffers at least one chunk")
        self.maxBuffered = maxBuffered
        self.drainWindow = drainWindow
    }

    // MARK: The consumer's side (called on the event loop through `PipeStream`)

    /// The next chunk, or `nil` at the end of the pipe. `eventLoop` is the channel's.
    func next(on eventLoop: any EventLoop) -> EventLoopFuture<ByteBuffer?> {
        if let chunk = self.buffered.popFirst() {
            self.readIfWanted()
            return eventLoop.makeSucceededFuture(chunk)
        }
        if case .ended = self.phase {
            return eventLoop.makeSucceededFuture(nil)
        }
        precondition(self.waiter == nil, "two consumers read one pipe")
        let promise = eventLoop.makePromise(of: ByteBuffer?.self)
        self.waiter = promise
        self.readIfWanted()
        return promise.futureResult
    }

    /// Tells the reader that the job's main process exited, which starts the drain window.
    func markMainProcessExited() {
        self.mainProcessExited = true
        if case .open(readPending: true) = self.phase {
            self.armDrainTimer()
        }
    }

    // MARK: ChannelInboundHandler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.end()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.readIfWanted()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.drainTimer?.cancel()
        self.drainTimer = nil
        let chunk = Self.unwrapInboundIn(data)
        if let waiter = self.waiter {
            self.waiter = nil
            waiter.succeed(chunk)
        } else {
            self.buffered.append(chunk)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .open = self.phase {
            self.phase = .open(readPending: false)
        }
        self.readIfWanted()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent {
            // End of file with half-closure allowed: nothing else will come, release the descriptor.
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.end()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A read error on a pipe ends the stream like its end of file would; the job's exit status
        // still tells how it ended.
        context.close(promise: nil)
    }

    // MARK: Internals

    private func readIfWanted() {
        guard case .open(readPending: false) = self.phase, self.buffered.count < self.maxBuffered,
            let context = self.context
        else {
            return
        }
        self.phase = .open(readPending: true)
        if self.mainProcessExited {
            self.armDrainTimer()
        }
        context.read()
    }

    private func armDrainTimer() {
        guard let context = self.context else {
            return
        }
        self.drainTimer?.cancel()
        let channel = context.channel
        self.drainTimer = context.eventLoop.scheduleTask(in: self.drainWindow) {
            channel.close(promise: nil)
        }
    }

    private func end() {
        self.phase = .ended
        self.drainTimer?.cancel()
        self.drainTimer = nil
        if let waiter = self.waiter {
            // A waiter exists only while nothing is buffered.
            self.waiter = nil
            waiter.succeed(nil)
        }
    }
}
