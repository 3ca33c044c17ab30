import CurlSupport
import Foundation

extension DockerClient {
    /// How many undelivered bytes a log stream holds for a slow reader before it pauses the
    /// transfer (the engine then waits; nothing is dropped).
    public static let logBufferBytes = 256 << 10

    /// The output of container `id` as ``LogFrame``s, stdout and stderr kept apart and byte-exact.
    ///
    /// A followed stream is checked at its end: Docker 20.10 can close `follow=1` when the
    /// container exits before it has sent the last output (measured: about half of the
    /// containers that print 100 KB and exit at once lost their last few hundred bytes, with
    /// both the `local` and the `json-file` driver). So when the engine ends the stream, the
    /// client waits for the container to stop, reads the logs once more without `follow`, checks
    /// that they begin with what was delivered, and delivers the rest (see ``DockerLogStream``).
    ///
    /// Starts at the container's first byte (the log driver replays all it has kept), or at the
    /// first output written at or after `since`. With `follow` the stream stays open until the container stops, then
    /// ends; without it, it ends with what has been written so far. The container must have
    /// been created with `Tty: false` (``ContainerSpec`` always does).
    ///
    /// The stream is bounded (``logBufferBytes``) and aborted when its iterator is dropped or
    /// its task cancelled. Iterating throws ``DockerError/notFound(_:)`` for an unknown
    /// container, ``DockerError/engine(status:message:)`` (400) when neither `stdout` nor
    /// `stderr` is asked for, and ``DockerStreamError`` for a corrupt or incomplete stream.
    public func logs(
        _ id: String,
        follow: Bool = true,
        stdout: Bool = true,
        stderr: Bool = true,
        since: Date? = nil
    ) async throws -> DockerLogStream {
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
        let version = try await apiVersion()
        let request = makeRequest("GET", path, query: query, version: version, timeoutMilliseconds: nil)
        var catchUp: CurlRequest?
        if follow {
            query[0].1 = "0"
            catchUp = makeRequest("GET", path, query: query, version: version, timeoutMilliseconds: nil)
        }
        return DockerLogStream(
            bytes: loop.stream(request, maxBufferedBytes: Self.logBufferBytes),
            catchUp: catchUp,
            client: self,
            container: id
        )
    }
}

extension DockerClient {
    /// Attaches to the stdout and stderr of container `id` (created, not yet started) and
    /// returns once the engine listens: everything the container writes from its start on comes
    /// through the returned stream, demultiplexed and byte-exact, until its output ends.
    ///
    /// Unlike ``logs(_:follow:stdout:stderr:since:)``, this reads the container's output as the
    /// engine copies it, not the log driver's files: nothing is lost to rotation, and a slow
    /// reader holds the container back (the engine's attach pipe blocks once about 1 MB is
    /// unread, the stream pauses its transfer at ``logBufferBytes``). The engine attaches the
    /// pipes before it answers, so starting the container after this returns loses nothing.
    ///
    /// Throws ``DockerError/notFound(_:)`` for an unknown container. The stream is bounded and
    /// aborted when its iterator is dropped or its task cancelled; iterating throws
    /// ``DockerStreamError`` for a corrupt stream.
    public func attach(_ id: String) async throws -> DockerLogStream {
        let version = try await apiVersion()
        let request = makeRequest(
            "POST", "/containers/\(Self.pathEncoded(id))/attach",
            query: [("stream", "1"), ("stdout", "1"), ("stderr", "1"), ("logs", "0")],
            version: version, timeoutMilliseconds: nil)
        let bytes = loop.stream(request, maxBufferedBytes: Self.logBufferBytes)
        do {
            try await bytes.response()
        } catch let error as CurlError {
            bytes.cancel()
            if case .httpStatus(_, 404, _) = error {
                throw DockerError.notFound("container \(id)")
            }
            throw translate(error, request: "POST /containers/\(id)/attach", timeoutMilliseconds: nil)
        }
        return DockerLogStream(bytes: bytes, catchUp: nil, client: self, container: id, isAttach: true)
    }
}
