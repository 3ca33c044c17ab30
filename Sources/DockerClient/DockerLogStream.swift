import CurlSupport

/// The output of one container, demultiplexed: an `AsyncSequence` of ``LogFrame``s.
///
/// Iterate it once. Consecutive bytes of the same stream may arrive merged or split in any way;
/// only their order within a stream and their content are guaranteed (the engine itself does not
/// order stdout against stderr exactly). It ends (`nil`) when the engine closes the stream: for
/// a followed container, once it has stopped and its output has been verified complete:
///
/// ```
///  follow=1 ──EOF──▶ wait(not-running) ──▶ follow=0 re-read: skip what was delivered
///                                           (checked by length and FNV-1a hash), deliver the rest
/// ```
///
/// If the re-read does not begin with the delivered bytes (the log driver rotated its files away
/// during the follow), iteration throws ``DockerStreamError/incomplete(_:)``.
public struct DockerLogStream: AsyncSequence, Sendable {
    /// One piece of stdout or stderr.
    public typealias Element = LogFrame

    let bytes: CurlByteStream
    /// The same logs without `follow`, read after the followed stream ends; `nil` when not following.
    let catchUp: CurlRequest?
    /// Keeps the client (and so its loop) alive while the stream is read.
    let client: DockerClient
    let container: String
    /// The request, as errors name it (`GET /containers/x/logs`, `POST /containers/x/attach`).
    var request: String { isAttach ? "POST /containers/\(container)/attach" : "GET /containers/\(container)/logs" }
    /// Whether the bytes come from `attach` rather than `logs`.
    var isAttach = false

    /// Aborts the transfer; the iterator then throws `CancellationError`.
    public func cancel() {
        bytes.cancel()
    }

    /// Makes the (single) iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(stream: self)
    }

    /// Feeds chunks from the transfer through a ``DockerStreamDemuxer``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private enum Phase {
            case following
            /// Re-reading after the follow: `skip` bytes per stream are already delivered.
            case catchingUp(skip: [Int])
            case done
        }

        private let stream: DockerLogStream
        private var bytes: CurlByteStream.AsyncIterator
        private var phase = Phase.following
        private var demuxer = DockerStreamDemuxer()
        /// Frames demultiplexed but not yet handed out, from one chunk at most.
        private var ready: [LogFrame] = []
        private var nextReady = 0
        /// An error found after frames that must be handed out first.
        private var pendingError: (any Error)?
        /// Per stream (index = raw value): bytes delivered, their hash, and the re-read's hash.
        private var delivered = [0, 0, 0]
        private var deliveredHash = [FNV1a(), FNV1a(), FNV1a()]
        private var rereadHash = [FNV1a(), FNV1a(), FNV1a()]

        init(stream: DockerLogStream) {
            self.stream = stream
            self.bytes = stream.bytes.makeAsyncIterator()
        }

        /// The next piece of output, `nil` at the end of the stream.
        public mutating func next() async throws -> LogFrame? {
            while true {
                while nextReady < ready.count {
                    let frame = ready[nextReady]
                    nextReady += 1
                    if let frame = try take(frame) {
                        return frame
                    }
                }
                ready.removeAll(keepingCapacity: true)
                nextReady = 0
                if let error = pendingError {
                    pendingError = nil
                    phase = .done
                    throw error
                }
                if case .done = phase {
                    return nil
                }
                let chunk: [UInt8]?
                do {
                    chunk = try await bytes.next()
                } catch let error as CurlError {
                    if case .catchingUp = phase, case .httpStatus(_, 404, _) = error {
                        phase = .done  // Removed meanwhile: there is nothing left to check against.
                        return nil
                    }
                    phase = .done
                    throw translate(error)
                }
                if let chunk {
                    do {
                        try demuxer.feed(chunk, into: &ready)
                    } catch {
                        pendingError = error
                    }
                } else {
                    do {
                        try demuxer.finish()
                        try await endOfTransfer()
                    } catch {
                        phase = .done
                        throw error
                    }
                }
            }
        }

        /// Counts a frame as delivered, or during the catch-up drops its already-delivered prefix.
        private mutating func take(_ frame: LogFrame) throws -> LogFrame? {
            let index = Int(frame.stream.rawValue)
            var frame = frame
            if case var .catchingUp(skip) = phase, skip[index] > 0 {
                let dropped = Swift.min(skip[index], frame.bytes.count)
                rereadHash[index].add(frame.bytes[..<dropped])
                skip[index] -= dropped
                phase = .catchingUp(skip: skip)
                if skip[index] == 0, rereadHash[index] != deliveredHash[index] {
                    phase = .done
                    throw DockerStreamError.incomplete("the re-read \(frame.stream) differs from what was followed")
                }
                frame.bytes.removeFirst(dropped)
                if frame.bytes.isEmpty { return nil }
            }
            delivered[index] += frame.bytes.count
            if stream.catchUp != nil, case .following = phase {
                deliveredHash[index].add(frame.bytes[...])
            }
            return frame
        }

        /// The transfer ended cleanly: finish, or start the catch-up read after a follow.
        private mutating func endOfTransfer() async throws {
            switch phase {
            case .following:
                guard let catchUp = stream.catchUp else {
                    phase = .done
                    return
                }
                do {
                    // The follow ends as the container stops; its log is complete once it has.
                    _ = try await stream.client.waitContainer(stream.container)
                } catch DockerError.notFound {
                    phase = .done
                    return
                }
                phase = .catchingUp(skip: delivered)
                demuxer = DockerStreamDemuxer()
                bytes = stream.client.loop.stream(catchUp, maxBufferedBytes: DockerClient.logBufferBytes).makeAsyncIterator()
            case let .catchingUp(skip):
                phase = .done
                if let short = skip.firstIndex(where: { $0 > 0 }) {
                    throw DockerStreamError.incomplete("the re-read is \(skip[short]) bytes shorter than what was followed on stream \(short)")
                }
            case .done:
                break
            }
        }

        private func translate(_ error: CurlError) -> any Error {
            if case .httpStatus(_, 404, _) = error {
                return DockerError.notFound("container \(stream.container)")
            }
            return stream.client.translate(error, request: stream.request, timeoutMilliseconds: nil)
        }
    }
}

/// 64-bit FNV-1a: a cheap check that two byte sequences read at different times are the same.
struct FNV1a: Equatable, Sendable {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: ArraySlice<UInt8>) {
        for byte in bytes {
            value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
    }
}
