import ClusterModel
import NIOCore

/// `FollowLogs` (0x0106): stream a job's log chunks to this connection.
///
/// Answered by `Subscribed` (or `Error(notFound)`), then `LogChunk`s with `seq >= fromSeq`
/// (archived ones first, then live ones), then one `LogEnd` once the attempt is final.
public struct FollowLogs: Hashable, Sendable, WirePayload {
    /// The request's correlation id.
    public var correlationID: UInt64
    /// The job.
    public var jobID: JobID
    /// The attempt to follow, from 1; `0` means the current (or last) attempt.
    public var attempt: UInt32
    /// The streams wanted; empty is invalid. A `u8` bit mask on the wire (1 stdout, 2 stderr).
    public var streams: Set<LogStreamKind>
    /// The first sequence number wanted; `0` is the beginning.
    public var fromSeq: UInt64

    /// Creates a request.
    public init(
        correlationID: UInt64,
        jobID: JobID,
        attempt: UInt32 = 0,
        streams: Set<LogStreamKind> = [.stdout, .stderr],
        fromSeq: UInt64 = 0
    ) {
        self.correlationID = correlationID
        self.jobID = jobID
        self.attempt = attempt
        self.streams = streams
        self.fromSeq = fromSeq
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
        try buffer.writeWireID(self.jobID.rawValue, field: "FollowLogs.jobID")
        buffer.writeInteger(self.attempt)
        buffer.writeWireEnumSet(self.streams, mask: UInt8.self)
        buffer.writeInteger(self.fromSeq)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("FollowLogs.correlationID")
        self.jobID = JobID(try reader.readID("FollowLogs.jobID"))
        self.attempt = try reader.readInteger("FollowLogs.attempt")
        self.streams = try reader.readEnumSet("FollowLogs.streams", mask: UInt8.self)
        self.fromSeq = try reader.readInteger("FollowLogs.fromSeq")
    }
}

/// `LogChunk` (0x0305): one LZ4 frame of a job's output.
///
/// Sent by a worker to the leader (acknowledged by `LogAck`) and forwarded unchanged by the
/// leader to followers. `seq` counts chunks per job and attempt, across both streams, from 0.
public struct LogChunk: Hashable, Sendable, WirePayload {
    /// The job.
    public var jobID: JobID
    /// The attempt that produced the output.
    public var attempt: UInt32
    /// Which stream the output came from.
    public var stream: LogStreamKind
    /// The chunk's sequence number within the job's attempt.
    public var seq: UInt64
    /// The size of `data` once decompressed: at most 64 KiB.
    public var uncompressedLength: UInt32
    /// One LZ4 frame (the LZ4 frame format, magic `04 22 4D 18`): at most 64 KiB + 1 KiB.
    public var data: ByteBuffer

    /// Creates a chunk.
    public init(jobID: JobID, attempt: UInt32, stream: LogStreamKind, seq: UInt64, uncompressedLength: UInt32, data: ByteBuffer) {
        self.jobID = jobID
        self.attempt = attempt
        self.stream = stream
        self.seq = seq
        self.uncompressedLength = uncompressedLength
        self.data = data
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        try buffer.writeWireID(self.jobID.rawValue, field: "LogChunk.jobID")
        buffer.writeInteger(self.attempt)
        buffer.writeWireEnum(self.stream)
        buffer.writeInteger(self.seq)
        guard self.uncompressedLength <= WireLimits.maxLogChunkUncompressedBytes else {
            throw WireError.lengthAboveLimit(
                field: "LogChunk.uncompressedLength",
                length: Int(self.uncompressedLength),
                limit: WireLimits.maxLogChunkUncompressedBytes
            )
        }
        buffer.writeInteger(self.uncompressedLength)
        try buffer.writeWireBytes(self.data, field: "LogChunk.data", limit: WireLimits.maxLogChunkDataBytes)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.jobID = JobID(try reader.readID("LogChunk.jobID"))
        self.attempt = try reader.readInteger("LogChunk.attempt")
        self.stream = try reader.readEnum("LogChunk.stream")
        self.seq = try reader.readInteger("LogChunk.seq")
        self.uncompressedLength = try reader.readInteger("LogChunk.uncompressedLength")
        guard self.uncompressedLength <= WireLimits.maxLogChunkUncompressedBytes else {
            throw WireError.lengthAboveLimit(
                field: "LogChunk.uncompressedLength",
                length: Int(self.uncompressedLength),
                limit: WireLimits.maxLogChunkUncompressedBytes
            )
        }
        self.data = try reader.readBytes("LogChunk.data", limit: WireLimits.maxLogChunkDataBytes)
    }
}

/// `LogAck` (0x0306, server to worker): every chunk of the job's attempt with a sequence number
/// up to and including `seq` is durable in etcd; the worker may drop them from its window.
public struct LogAck: Hashable, Sendable, WirePayload {
    /// The job.
    public var jobID: JobID
    /// The attempt.
    public var attempt: UInt32
    /// The highest durable sequence number (cumulative).
    public var seq: UInt64

    /// Creates an acknowledgement.
    public init(jobID: JobID, attempt: UInt32, seq: UInt64) {
        self.jobID = jobID
        self.attempt = attempt
        self.seq = seq
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        try buffer.writeWireID(self.jobID.rawValue, field: "LogAck.jobID")
        buffer.writeInteger(self.attempt)
        buffer.writeInteger(self.seq)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.jobID = JobID(try reader.readID("LogAck.jobID"))
        self.attempt = try reader.readInteger("LogAck.attempt")
        self.seq = try reader.readInteger("LogAck.seq")
    }
}

/// `LogEnd` (0x0307, server to follower): the followed attempt is final and every chunk of it
/// has been sent; the follow is over.
public struct LogEnd: Hashable, Sendable, WirePayload {
    /// The job.
    public var jobID: JobID
    /// The attempt.
    public var attempt: UInt32
    /// The job's final state.
    public var finalState: JobState
    /// The attempt's exit code, if it exited (a job cancelled while pending has none).
    public var exitCode: Int32?

    /// Creates an end marker.
    public init(jobID: JobID, attempt: UInt32, finalState: JobState, exitCode: Int32?) {
        self.jobID = jobID
        self.attempt = attempt
        self.finalState = finalState
        self.exitCode = exitCode
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        try buffer.writeWireID(self.jobID.rawValue, field: "LogEnd.jobID")
        buffer.writeInteger(self.attempt)
        buffer.writeWireEnum(self.finalState)
        try buffer.writeWireOptional(self.exitCode) { (b: inout ByteBuffer, code: Int32) throws(WireError) in
            b.writeInteger(code)
        }
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.jobID = JobID(try reader.readID("LogEnd.jobID"))
        self.attempt = try reader.readInteger("LogEnd.attempt")
        self.finalState = try reader.readEnum("LogEnd.finalState")
        self.exitCode = try reader.readOptional("LogEnd.exitCode") { (r: inout WireReader) throws(WireError) in
            try r.readInteger("LogEnd.exitCode", as: Int32.self)
        }
    }
}
