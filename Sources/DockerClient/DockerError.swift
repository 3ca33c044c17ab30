/// What can go wrong when Titan talks to the Docker Engine.
///
/// Expected negative outcomes (a container already stopped, already removed, already running)
/// are *values* returned by the calls, never these errors. Each description is one sentence that
/// names the offending value and says what to do.
public enum DockerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing answers on the engine's unix socket (no socket file, connection refused, or no
    /// answer in time).
    case unreachable(socket: String)
    /// The engine does not know the named object; `what` says which one (`container 3f2a…`).
    case notFound(String)
    /// The engine refused the request because of the object's current state (a name in use,
    /// removing a running container without force); `message` is the engine's own text.
    case conflict(String)
    /// An image is not present locally and could not be pulled; `reason` is the engine's text.
    case imageUnavailable(image: String, reason: String)
    /// The engine answered something this client cannot understand; the text says what.
    case badResponse(String)
    /// The engine answered with an error status this client has no better name for.
    case engine(status: Int, message: String)
    /// The engine accepted the connection but did not answer `request` within `seconds`: it is
    /// overloaded or hung.
    case timedOut(request: String, seconds: Int)
    /// The engine's newest API version is older than the oldest this client speaks.
    case unsupportedVersion(server: String, minimum: String)

    /// One sentence: what happened, with the offending value, and what to do.
    public var description: String {
        switch self {
        case let .unreachable(socket):
            return "Docker is not answering at \(socket): start dockerd (Tools/start-services)"
        case let .notFound(what):
            return "Docker has no \(what): check the name or id, it may have been removed already"
        case let .conflict(message):
            return "Docker refused the request because of the object's state: \(message)"
        case let .imageUnavailable(image, reason):
            return "image \(image) is not present and could not be pulled: \(reason)"
        case let .badResponse(what):
            return "Docker sent a response this client cannot read (\(what)): check the engine's version and logs"
        case let .engine(status, message):
            return "Docker answered HTTP \(status): \(message)"
        case let .timedOut(request, seconds):
            return "Docker did not answer \(request) within \(seconds) s: the engine is overloaded or hung, check `docker info` and its log"
        case let .unsupportedVersion(server, minimum):
            return "Docker speaks API \(server) but Titan needs at least \(minimum): upgrade the engine"
        }
    }
}

/// What can be wrong in a multiplexed `stdout`/`stderr` stream (see ``DockerStreamDemuxer``).
public enum DockerStreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A frame header names a stream other than stdout (1), stderr (2) or the engine's error
    /// stream (3): the bytes are not a multiplexed stream (a `Tty` container?) or are corrupt.
    case unknownStream(UInt8)
    /// A frame header declares a payload longer than the demuxer's bound: the stream is corrupt.
    case frameTooLarge(length: UInt32, limit: Int)
    /// The stream ended inside a frame; `missing` bytes of it never arrived.
    case truncated(missing: Int)
    /// A followed stream could not be verified complete: re-read after the container stopped,
    /// the logs did not begin with what had been delivered (the log driver rotated its files).
    case incomplete(String)
    /// The engine reported an error in the stream itself (stream 3), e.g. it failed to read
    /// the container's log file.
    case engineError(String)

    /// One sentence: what was wrong with the stream, with the offending value.
    public var description: String {
        switch self {
        case let .unknownStream(byte):
            return "the log stream has a frame for unknown stream \(byte): the container may use a TTY, or the stream is corrupt"
        case let .frameTooLarge(length, limit):
            return "the log stream declares a \(length)-byte frame, above the \(limit)-byte bound: the stream is corrupt"
        case let .truncated(missing):
            return "the log stream ended \(missing) bytes short of the end of a frame: the engine closed the connection early"
        case let .incomplete(what):
            return "the followed logs could not be verified complete (\(what)): the log driver may have rotated them; raise its max-size"
        case let .engineError(message):
            return "Docker reported an error inside the log stream: \(message)"
        }
    }
}
