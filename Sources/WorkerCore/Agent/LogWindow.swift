import ClusterModel
import LogStream
import NIOCore
import WireProtocol

/// The chunks of one attempt's output that the leader has not yet acknowledged as durable
///: kept to be sent again after a reconnect, in seq order; and the output read since
/// the last chunk was cut.
///
/// **Cutting chunks.** Output is cut into a chunk at once while fewer than ``eagerChunks`` of the
/// attempt's chunks are in flight (a line printed by a quiet job reaches the leader without
/// waiting for a timer or an archive write), and otherwise held, per stream, until it reaches
/// 64 KiB or an acknowledgement arrives: under load many small writes (Docker frames are often
/// one line each) become one chunk.
///
/// Bounded by ``maxChunks`` and ``maxBytes`` (compressed): when either is reached the attempt's
/// output is not read further until an acknowledgement makes room (backpressure: the job blocks
/// on its full pipe, or the engine keeps the rest in the container's log; nothing is dropped).
struct LogWindow {
    /// The most chunks in flight per attempt.
    static let maxChunks = 256
    /// Below this many chunks in flight, output is sent as soon as it is read: enough that a
    /// job printing a line every few milliseconds never waits for an archive write (one etcd
    /// txn can take 100 ms when it syncs), few enough that a flood of tiny writes is gathered.
    static let eagerChunks = 64
    /// The most compressed bytes in flight per attempt: enough for 200 MiB/s over a 20 ms
    /// archiver round trip, and the bound of a worker's memory per running job.
    static let maxBytes = 8 << 20

    private(set) var unacked: [LogChunk] = []
    private(set) var bytes = 0
    /// The seq of the next chunk.
    private(set) var nextSeq: UInt64 = 0
    /// Output read but not yet cut, per stream (each under 64 KiB).
    private var held: [LogStreamKind: ByteBuffer] = [:]

    /// Numbers the chunks from `seq` on: an adopted attempt's output continues its archive.
    /// Only before the first chunk.
    mutating func resume(at seq: UInt64) {
        precondition(unacked.isEmpty && held.isEmpty && nextSeq == 0, "an output window resumes before its first chunk")
        nextSeq = seq
    }

    /// Whether another chunk may be sent.
    var hasRoom: Bool { unacked.count < Self.maxChunks && bytes < Self.maxBytes }

    /// Whether every byte read so far is cut and durable.
    var isEmpty: Bool { unacked.isEmpty && held.isEmpty }

    /// Takes output of `stream` (any size); returns the chunks to send now (see "Cutting
    /// chunks"). Full chunks are compressed straight from `output`'s storage, without a copy.
    mutating func take(_ output: ByteBuffer, stream: LogStreamKind, job: JobID, attempt: UInt32) -> [LogChunk] {
        var pending = output
        if var before = held.removeValue(forKey: stream) {
            before.writeImmutableBuffer(output)
            pending = before
        }
        var cut: [LogChunk] = []
        while pending.readableBytes >= LogArchive.maxChunkBytes, let slice = pending.readSlice(length: LogArchive.maxChunkBytes) {
            cut.append(append(slice, stream: stream, job: job, attempt: attempt))
        }
        if pending.readableBytes > 0 {
            if unacked.count < Self.eagerChunks && cut.isEmpty {
                cut.append(append(pending, stream: stream, job: job, attempt: attempt))
            } else {
                held[stream] = pending
            }
        }
        return cut
    }

    /// Cuts whatever is held (after an acknowledgement, and when the attempt has ended).
    mutating func cutHeld(job: JobID, attempt: UInt32) -> [LogChunk] {
        let streams = held.keys.sorted { $0.rawValue < $1.rawValue }
        defer { held.removeAll() }
        return streams.map { append(held[$0]!, stream: $0, job: job, attempt: attempt) }
    }

    /// Compresses, numbers and keeps a chunk; returns it to send.
    private mutating func append(_ output: ByteBuffer, stream: LogStreamKind, job: JobID, attempt: UInt32) -> LogChunk {
        let bound = LZ4Frame.compressBound(output.readableBytes)
        var frame = Self.allocator.buffer(capacity: bound)
        frame.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { destination in
            output.withUnsafeReadableBytes { source in LZ4Frame.compress(source, into: destination) }
        }
        if frame.readableBytes < bound / 2 {
            // Output that compressed well: keep the frame in a buffer of its own size, not the
            // bound's (the window counts compressed bytes; its memory should match).
            frame = Self.allocator.buffer(buffer: frame)
        }
        let chunk = LogChunk(
            jobID: job, attempt: attempt, stream: stream, seq: nextSeq,
            uncompressedLength: UInt32(output.readableBytes), data: frame)
        nextSeq += 1
        unacked.append(chunk)
        bytes += frame.readableBytes
        return chunk
    }

    private static let allocator = ByteBufferAllocator()

    /// Drops every chunk up to and including `seq`; returns whether anything was dropped.
    mutating func acknowledge(through seq: UInt64) -> Bool {
        let count = unacked.prefix { $0.seq <= seq }.count
        guard count > 0 else { return false }
        for chunk in unacked.prefix(count) {
            bytes -= chunk.data.readableBytes
        }
        unacked.removeFirst(count)
        return true
    }
}
