import CurlSupport
import Foundation

extension DockerClient {
    /// How many undelivered bytes a log stream holds for a slow reader before it pauses the
    /// transfer (the engine then waits; nothing is dropped).
    public static let logBufferBytes = 256 << 10

    /// The output of container `id` as ``LogFrame``s, stdout and stderr kept apart and byte-exact.
    ///
    /// Starts at the container's first byte (the `json-file` driver replays everything), or at
    /// `since` when given. With `follow` the stream stays open until the container stops, then
    /// ends; without it, it ends with what has been written so far. The container must have
    /// been created with `Tty: false` (``ContainerSpec`` always does).
    ///
    /// The stream is bounded (``logBufferBytes``) and aborted when its iterator is dropped or
    /// its task cancelled. Iterating throws ``DockerError/notFound(_:)`` for an unknown
    /// container and ``DockerStreamError`` for a corrupt stream.
    public func logs(
        _ id: String,
        follow: Bool = true,
        stdout: Bool = true,
        stderr: Bool = true,
        since: Date? = nil
    ) async throws -> DockerLogStream {
        precondition(stdout || stderr, "logs needs at least one of stdout and stderr")
        var query = [
            ("follow", follow ? "1" : "0"),
            ("stdout", stdout ? "1" : "0"),
            ("stderr", stderr ? "1" : "0"),
            ("timestamps", "0"),
        ]
        if let since {
            // Seconds and nanoseconds since the epoch, the engine's most precise form.
            let seconds = since.timeIntervalSince1970.rounded(.down)
            let nanos = Int(((since.timeIntervalSince1970 - seconds) * 1e9).rounded())
            query.append(("since", String(format: "%d.%09d", Int(seconds), min(nanos, 999_999_999))))
        }
        let path = "/containers/\(Self.pathEncoded(id))/logs"
        let request = makeRequest("GET", path, query: query, version: try await apiVersion(), timeoutMilliseconds: nil)
        return DockerLogStream(
            bytes: loop.stream(request, maxBufferedBytes: Self.logBufferBytes),
            client: self,
            container: id
        )
    }
}

/// The output of one container, demultiplexed: an `AsyncSequence` of ``LogFrame``s.
///
/// Iterate it once. Consecutive bytes of the same stream may arrive merged or split in any way;
/// only their order and content are guaranteed. It ends (`nil`) when the engine closes the
/// stream: for a followed container, when it stops.
public struct DockerLogStream: AsyncSequence, Sendable {
    /// One piece of stdout or stderr.
    public typealias Element = LogFrame

    let bytes: CurlByteStream
    /// Keeps the client (and so its loop) alive while the stream is read.
    let client: DockerClient
    let container: String

    /// Aborts the transfer; the iterator then throws `CancellationError`.
    public func cancel() {
        bytes.cancel()
    }

    /// Makes the (single) iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(bytes: bytes.makeAsyncIterator(), client: client, container: container)
    }

    /// Feeds chunks from the transfer through a ``DockerStreamDemuxer``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var bytes: CurlByteStream.AsyncIterator
        let client: DockerClient
        let container: String
        var demuxer = DockerStreamDemuxer()
        /// Frames demultiplexed but not yet handed out, oldest first, from one chunk at most.
        var ready: [LogFrame] = []
        var nextReady = 0
        /// An error found after frames that must be handed out first.
        var pendingError: (any Error)?
        var finished = false

        init(bytes: CurlByteStream.AsyncIterator, client: DockerClient, container: String) {
            self.bytes = bytes
            self.client = client
            self.container = container
        }

        /// The next piece of output, `nil` at the end of the stream.
        public mutating func next() async throws -> LogFrame? {
            while true {
                if nextReady < ready.count {
                    defer { nextReady += 1 }
                    return ready[nextReady]
                }
                ready.removeAll(keepingCapacity: true)
                nextReady = 0
                if let error = pendingError {
                    pendingError = nil
                    finished = true
                    throw error
                }
                if finished {
                    return nil
                }
                let chunk: [UInt8]?
                do {
                    chunk = try await bytes.next()
                } catch let error as CurlError {
                    finished = true
                    throw translate(error)
                }
                guard let chunk else {
                    finished = true
                    try demuxer.finish()
                    return nil
                }
                do {
                    try demuxer.feed(chunk, into: &ready)
                } catch {
                    pendingError = error
                }
            }
        }

        private func translate(_ error: CurlError) -> any Error {
            if case .httpStatus(_, 404, _) = error {
                return DockerError.notFound("container \(container)")
            }
            return client.translate(error, request: "GET /containers/\(container)/logs", timeoutMilliseconds: nil)
        }
    }
}
