/// A piece of a container's output: bytes it wrote to stdout or to stderr, in order.
public struct LogFrame: Sendable, Equatable {
    /// The output a ``LogFrame`` came from.
    public enum Stream: UInt8, Sendable, Equatable {
        /// The container's standard output (stream byte 1).
        case stdout = 1
        /// The container's standard error (stream byte 2).
        case stderr = 2
    }

    /// Which output the bytes were written to.
    public var stream: Stream
    /// The bytes, exactly as written (binary-safe; never decoded or re-encoded).
    public var bytes: [UInt8]

    /// Creates a frame.
    public init(stream: Stream, bytes: [UInt8]) {
        self.stream = stream
        self.bytes = bytes
    }
}

/// Splits Docker's multiplexed stdout/stderr stream (a container created with `Tty: false`)
/// back into the two outputs. Pure: no I/O, fed arbitrary chunks, deterministic.
///
/// ```
///  ┌────────┬───────┬─────────────────┬──────────────────┐
///  │ stream │ 0 0 0 │ length u32 (BE) │ payload (length) │  stream: 1 stdout, 2 stderr, 3 engine error
///  └────────┴───────┴─────────────────┴──────────────────┘
/// ```
///
/// Memory stays bounded whatever the peer declares: a header is 8 bytes kept in an integer, and
/// a payload is never buffered: each chunk's share of it is emitted at once as a ``LogFrame``, so
/// one frame may come out in several pieces. Consecutive pieces of the same stream are merged
/// into one ``LogFrame`` (the engine's frame boundaries are one per process write and carry no
/// meaning), while the order between stdout and stderr is kept. Only the engine's own error
/// frames (stream 3) are collected, up to ``maxEngineErrorBytes``, to become the error message.
///
/// A header declaring more than `maxFrameLength` bytes, or naming an unknown stream, means the
/// bytes are not a multiplexed stream (a TTY container) or are corrupt: the demuxer throws a
/// ``DockerStreamError`` and keeps throwing it for any later input.
public struct DockerStreamDemuxer: Sendable {
    /// The default bound on a declared frame length: 16 MiB. The engine writes one frame per
    /// process write, and `json-file` logs replay at most 16 KiB per frame, so a real frame is
    /// far smaller; payloads are streamed, not buffered, so the bound costs no memory. It is only
    /// there to recognise garbage (a TTY stream's text read as a header declares gigabytes).
    public static let defaultMaxFrameLength = 16 << 20
    /// How much of an engine error frame (stream 3) is kept for the error message; the rest is
    /// read and dropped.
    public static let maxEngineErrorBytes = 4096

    /// The largest payload length a header may declare.
    public let maxFrameLength: Int

    private enum State: Sendable {
        /// Reading a header: `collected` of its 8 bytes are in `value`, most significant first.
        case header(collected: Int, value: UInt64)
        /// Inside a stdout or stderr payload with `remaining` bytes still to come.
        case payload(LogFrame.Stream, remaining: Int)
        /// Inside an engine error payload, collecting its first bytes as the message.
        case engineError(message: [UInt8], remaining: Int)
        /// A corrupt stream was found; every later call throws the same error.
        case failed(DockerStreamError)
    }

    private var state: State = .header(collected: 0, value: 0)

    /// Creates a demuxer that rejects frames longer than `maxFrameLength` bytes.
    public init(maxFrameLength: Int = DockerStreamDemuxer.defaultMaxFrameLength) {
        self.maxFrameLength = maxFrameLength
    }

    /// Consumes `chunk` and appends the output it completes to `output`, merging into the last
    /// element of `output` when it has the same stream.
    ///
    /// Throws a ``DockerStreamError`` for a corrupt stream or an engine error frame; everything
    /// before the bad header is in `output` by then.
    public mutating func feed(_ chunk: [UInt8], into output: inout [LogFrame]) throws {
        var index = 0
        let end = chunk.count
        while index < end {
            switch state {
            case let .failed(error):
                throw error
            case .header(var collected, var value):
                while collected < 8, index < end {
                    value = value << 8 | UInt64(chunk[index])
                    collected += 1
                    index += 1
                }
                if collected < 8 {
                    state = .header(collected: collected, value: value)
                } else {
                    try beginFrame(header: value)
                }
            case let .payload(stream, remaining):
                let take = min(remaining, end - index)
                Self.append(stream, chunk[index ..< index + take], to: &output)
                index += take
                state = take == remaining ? .header(collected: 0, value: 0) : .payload(stream, remaining: remaining - take)
            case .engineError(var message, let remaining):
                let take = min(remaining, end - index)
                let room = max(0, Self.maxEngineErrorBytes - message.count)
                message.append(contentsOf: chunk[index ..< index + min(take, room)])
                index += take
                if take == remaining {
                    try fail(.engineError(String(decoding: message, as: UTF8.self)))
                }
                state = .engineError(message: message, remaining: remaining - take)
            }
        }
        if case let .failed(error) = state {
            throw error
        }
    }

    /// Consumes `chunk` and returns the output it completes (see ``feed(_:into:)``).
    public mutating func feed(_ chunk: [UInt8]) throws -> [LogFrame] {
        var output: [LogFrame] = []
        try feed(chunk, into: &output)
        return output
    }

    /// Checks that the stream ended on a frame boundary; throws
    /// ``DockerStreamError/truncated(missing:)`` if it stopped inside a header or a payload.
    public func finish() throws {
        switch state {
        case let .failed(error):
            throw error
        case let .header(collected, _):
            if collected > 0 { throw DockerStreamError.truncated(missing: 8 - collected) }
        case let .payload(_, remaining):
            throw DockerStreamError.truncated(missing: remaining)
        case let .engineError(message, _):
            throw DockerStreamError.engineError(String(decoding: message, as: UTF8.self))
        }
    }

    /// Validates a complete header and moves into its payload.
    private mutating func beginFrame(header: UInt64) throws {
        let streamByte = UInt8(truncatingIfNeeded: header >> 56)
        let length = UInt32(truncatingIfNeeded: header)
        // The stream byte is checked first: text read as a header (a TTY stream) names an
        // unknown stream, which says more than the huge length its other bytes spell.
        guard (1...3).contains(streamByte) else {
            try fail(.unknownStream(streamByte))
        }
        guard Int(length) <= maxFrameLength else {
            try fail(.frameTooLarge(length: length, limit: maxFrameLength))
        }
        switch streamByte {
        case 1, 2:
            let stream = LogFrame.Stream(rawValue: streamByte)!
            state = length == 0 ? .header(collected: 0, value: 0) : .payload(stream, remaining: Int(length))
        case 3:
            if length == 0 { try fail(.engineError("")) }
            state = .engineError(message: [], remaining: Int(length))
        default:
            try fail(.unknownStream(streamByte))
        }
    }

    private mutating func fail(_ error: DockerStreamError) throws -> Never {
        state = .failed(error)
        throw error
    }

    private static func append(_ stream: LogFrame.Stream, _ bytes: ArraySlice<UInt8>, to output: inout [LogFrame]) {
        guard !bytes.isEmpty else { return }
        if let last = output.indices.last, output[last].stream == stream {
            output[last].bytes.append(contentsOf: bytes)
        } else {
            output.append(LogFrame(stream: stream, bytes: Array(bytes)))
        }
    }
}
