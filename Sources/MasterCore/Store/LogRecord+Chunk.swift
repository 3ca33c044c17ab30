import ClusterModel
import LogStream
import NIOCore
import WireProtocol

/// A chunk as the wire carries it and as the archive stores it hold the same fields; these are
/// the only conversions between the two.
extension LogRecord {
    /// The record that archives `chunk` (its frame copied out of the wire buffer).
    init(_ chunk: LogChunk) {
        self.init(seq: chunk.seq, stream: chunk.stream, uncompressedLength: chunk.uncompressedLength, frame: Array(chunk.data.readableBytesView))
    }
}

extension LogChunk {
    /// The chunk that sends `record` of `job`'s attempt `attempt` to a follower.
    init(_ record: LogRecord, job: JobID, attempt: UInt32) {
        self.init(
            jobID: job, attempt: attempt, stream: record.stream, seq: record.seq,
            uncompressedLength: record.uncompressedLength, data: ByteBuffer(bytes: record.frame))
    }
}
