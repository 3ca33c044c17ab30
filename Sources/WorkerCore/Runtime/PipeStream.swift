import CProcessSupport
import Glibc
import NIOCore
import NIOPosix

/// The read end of one output pipe of a job, as an asynchronous source of chunks.
///
/// The descriptor is owned by a NIO pipe channel on one event loop of the runtime's group; the
/// `PipeReader` handler there does every read without blocking. The consumer awaits futures of
/// that loop, so it never blocks a thread either, and it is not cancellable on purpose: a
/// cancelled job's output is read until the job is dead.
struct PipeStream: Sendable {
    private let channel: any Channel
    private let reader: NIOLoopBound<PipeReader>

    private init(channel: any Channel, reader: NIOLoopBound<PipeReader>) {
        self.channel = channel
        self.reader = reader
    }

    /// Takes ownership of `descriptor` (the read end of a pipe). On success the channel closes it;
    /// on failure it is closed here.
    static func open(
        descriptor: Int32,
        group: any EventLoopGroup,
        maxBuffered: Int,
        drainWindow: TimeAmount
    ) async throws(ExecRuntimeError) -> PipeStream {
        let bootstrap = NIOPipeBootstrap(group: group)
            .channelOption(.autoRead, value: false)
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 4096, maximum: PipeDescriptors.maxRead))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        PipeReader(maxBuffered: maxBuffered, drainWindow: drainWindow)
                    )
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.takingOwnershipOfDescriptor(input: descriptor).get()
        } catch {
            Glibc.close(descriptor)
            throw .descriptors(what: "an event loop channel for a pipe (\(error))", errno: 0)
        }
        do {
            let reader = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: PipeReader.self), eventLoop: channel.eventLoop)
            }.get()
            return PipeStream(channel: channel, reader: reader)
        } catch {
            // The channel closed before we could look at it: it owns (and closed) the descriptor.
            try? await channel.close()
            throw .descriptors(what: "an event loop channel for a pipe (\(error))", errno: 0)
        }
    }

    /// The next chunk of output, or `nil` once the pipe has ended or was closed.
    func next() async -> ByteBuffer? {
        let reader = self.reader
        let eventLoop = self.channel.eventLoop
        let future = eventLoop.flatSubmit { reader.value.next(on: eventLoop) }
        // The future never fails: the end of the pipe, and any read error, is `nil`.
        return (try? await future.get()) ?? nil
    }

    /// Starts the drain window: the job's main process has exited.
    func mainProcessExited() {
        let reader = self.reader
        self.channel.eventLoop.execute { reader.value.markMainProcessExited() }
    }

    /// Closes the pipe, if it is not closed already. Chunks already read are still delivered.
    func close() async {
        try? await self.channel.close()
    }
}

/// A pipe created with both ends close-on-exec, holding up to ``capacity`` bytes.
struct PipeDescriptors: Sendable {
    /// The kernel buffer asked for each output pipe: a job writing fast keeps writing while the
    /// worker is busy elsewhere, and each read takes up to ``maxRead`` at once (Linux's default
    /// is 64 KiB; when the user's pipe quota refuses more, the pipe keeps the default).
    static let capacity: Int32 = 1 << 20
    /// The most bytes one read of a pipe takes (the reader's allocator grows to it under load).
    static let maxRead = 256 << 10

    /// The end the runtime reads.
    let read: Int32
    /// The end the job writes; closed by the runtime once the job was spawned.
    let write: Int32

    /// Creates a pipe.
    static func make() throws(ExecRuntimeError) -> PipeDescriptors {
        var fds: [Int32] = [-1, -1]
        guard cps_pipe_cloexec(&fds) == 0 else {
            throw .descriptors(what: "a pipe", errno: errno)
        }
        _ = cps_pipe_set_capacity(fds[0], capacity)
        return PipeDescriptors(read: fds[0], write: fds[1])
    }
}
