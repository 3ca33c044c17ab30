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
