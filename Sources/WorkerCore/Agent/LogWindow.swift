import ClusterModel
import LogStream
import NIOCore
import WireProtocol

/// The chunks of one attempt's output that the leader has not yet acknowledged as durable, kept
/// to be sent again after a reconnect, in seq order; and the output read since the last chunk
/// was cut.
///
/// **Cutting chunks.** Output is cut into a chunk at once while fewer than ``eagerChunks`` of the
/// attempt's chunks are in flight (a line printed by a quiet job reaches the leader without
/// waiting for a timer or an archive write), and otherwise held, per stream, until it reaches
/// 64 KiB or an acknowledgement arrives: under load many small writes (Docker frames are often
/// one line each) become one chunk.
///
/// **Compressing off the actor.** The window numbers each chunk when it is cut (a ``Cut``: raw
/// output and its seq) and keeps its place; the caller compresses it outside the worker's state
/// actor (``compress(_:job:attempt:)``) and hands it back (``fill(_:)``), which returns the
/// chunks that may go now: the cut chunks in seq order, each once per session, whichever
/// compression finishes first (stdout and stderr are read, cut and compressed concurrently).
///
/// Bounded by ``maxChunks`` and ``maxBytes`` (compressed bytes; raw ones while a chunk is being
/// compressed): when either is reached the attempt's output is not read further until an
/// acknowledgement makes room (backpressure: the job blocks on its full pipe, or the engine keeps
/// the rest in the container's log; nothing is dropped).
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

    /// Output cut into a chunk and numbered, not compressed yet.
    struct Cut: Sendable {
        /// The chunk's seq.
        let seq: UInt64
        /// Its stream.
        let stream: LogStreamKind
        /// The raw output (at most ``LogArchive/maxChunkBytes``).
        let output: ByteBuffer
    }

    /// One chunk in flight, by seq.
    private enum Slot {
        case compressing(rawBytes: Int)
        case ready(LogChunk)
    }

    /// The chunks not acknowledged yet, in seq order from `firstSeq`.
    private var slots: [Slot] = []
    private var firstSeq: UInt64 = 0
    /// Bytes in flight: compressed, or raw while compressing.
    private(set) var bytes = 0
    /// The seq of the next chunk.
    private(set) var nextSeq: UInt64 = 0
    /// The seq of the next chunk to send on the current session (those below it went).
    private var nextToSend: UInt64 = 0
    /// Output read but not yet cut, per stream (each under 64 KiB).
    private var held: [LogStreamKind: ByteBuffer] = [:]

    /// Numbers the chunks from `seq` on: an adopted attempt's output continues its archive.
    /// Only before the first chunk.
    mutating func resume(at seq: UInt64) {
        precondition(slots.isEmpty && held.isEmpty && nextSeq == 0, "an output window resumes before its first chunk")
        (nextSeq, firstSeq, nextToSend) = (seq, seq, seq)
    }

    /// How many chunks are in flight.
    var inFlight: Int { slots.count }

    /// Whether another chunk may be cut.
    var hasRoom: Bool { slots.count < Self.maxChunks && bytes < Self.maxBytes }

    /// Whether every byte read so far is cut, sent and durable.
    var isEmpty: Bool { slots.isEmpty && held.isEmpty }

    /// Takes output of `stream` (any size); returns the chunks to cut now (see "Cutting
    /// chunks"), to be compressed and handed to ``fill(_:)``. Full chunks are slices of
    /// `output`'s storage, without a copy.
    mutating func take(_ output: ByteBuffer, stream: LogStreamKind) -> [Cut] {
        var pending = output
        if var before = held.removeValue(forKey: stream) {
            before.writeImmutableBuffer(output)
            pending = before
        }
        var cut: [Cut] = []
        while pending.readableBytes >= LogArchive.maxChunkBytes, let slice = pending.readSlice(length: LogArchive.maxChunkBytes) {
            cut.append(append(slice, stream: stream))
        }
        if pending.readableBytes > 0 {
            if slots.count < Self.eagerChunks && cut.isEmpty {
                cut.append(append(pending, stream: stream))
            } else {
                held[stream] = pending
            }
        }
        return cut
    }

    /// Cuts whatever is held (after an acknowledgement, and when the attempt has ended).
    mutating func cutHeld() -> [Cut] {
        let streams = held.keys.sorted { $0.code < $1.code }
        defer { held.removeAll() }
        return streams.map { append(held[$0]!, stream: $0) }
    }

    /// Numbers a chunk and keeps its place until it is filled.
    private mutating func append(_ output: ByteBuffer, stream: LogStreamKind) -> Cut {
        let cut = Cut(seq: nextSeq, stream: stream, output: output)
        nextSeq += 1
        slots.append(.compressing(rawBytes: output.readableBytes))
        bytes += output.readableBytes
        return cut
    }

    /// The chunk of `cut`, compressed; pure, so that callers run it off the state actor.
    static func compress(_ cut: Cut, job: JobID, attempt: UInt32) -> LogChunk {
        let output = cut.output
        let bound = LZ4Frame.compressBound(output.readableBytes)
        var frame = allocator.buffer(capacity: bound)
        frame.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { destination in
            output.withUnsafeReadableBytes { source in LZ4Frame.compress(source, into: destination) }
        }
        if frame.readableBytes < bound / 2 {
            // Output that compressed well: keep the frame in a buffer of its own size, not the
            // bound's (the window counts compressed bytes; its memory should match).
            frame = allocator.buffer(buffer: frame)
        }
        return LogChunk(jobID: job, attempt: attempt, stream: cut.stream, seq: cut.seq, uncompressedLength: UInt32(output.readableBytes), data: frame)
    }

    private static let allocator = ByteBufferAllocator()

    /// Takes compressed chunks back; returns those that may be sent now, in seq order: every
    /// chunk from the next unsent one up to the first still compressing. A chunk that is not
    /// in the window (acknowledged, or of another window) is ignored.
    mutating func fill(_ chunks: [LogChunk]) -> [LogChunk] {
        for chunk in chunks where chunk.seq >= firstSeq && chunk.seq < firstSeq + UInt64(slots.count) {
            let index = Int(chunk.seq - firstSeq)
            guard case let .compressing(rawBytes) = slots[index] else { continue }
            slots[index] = .ready(chunk)
            bytes += chunk.data.readableBytes - rawBytes
        }
        var ready: [LogChunk] = []
        while nextToSend >= firstSeq, nextToSend < firstSeq + UInt64(slots.count), case let .ready(chunk) = slots[Int(nextToSend - firstSeq)] {
            ready.append(chunk)
            nextToSend += 1
        }
        return ready
    }

    /// A new session: every unacknowledged chunk is to be sent again. Returns those that may go
    /// now (up to the first still compressing; the rest go as ``fill(_:)`` returns them).
    mutating func replay() -> [LogChunk] {
        nextToSend = firstSeq
        return fill([])
    }

    /// Drops every chunk up to and including `seq`; returns whether anything was dropped.
    mutating func acknowledge(through seq: UInt64) -> Bool {
        guard seq >= firstSeq else { return false }
        let count = Int(min(seq - firstSeq + 1, UInt64(slots.count)))
        guard count > 0 else { return false }
        for slot in slots.prefix(count) {
            switch slot {
            case let .compressing(rawBytes): bytes -= rawBytes
            case let .ready(chunk): bytes -= chunk.data.readableBytes
            }
        }
        slots.removeFirst(count)
        firstSeq += UInt64(count)
        nextToSend = max(nextToSend, firstSeq)
        return true
    }
}
