import ClusterModel

/// One archived chunk of a job attempt's output: the `LogChunk` of the wire protocol as it is
/// stored in etcd.
public struct LogRecord: Sendable, Hashable {
    /// The chunk's sequence number within the attempt, across both streams, from 0.
    public var seq: UInt64
    /// The stream it belongs to (stored as ``LogStreamKind/code``).
    public var stream: LogStreamKind
    /// The size of `frame` once decompressed (at most ``LogArchive/maxChunkBytes``).
    public var uncompressedLength: UInt32
    /// One LZ4 frame.
    public var frame: [UInt8]

    /// Creates a record.
    public init(seq: UInt64, stream: LogStreamKind, uncompressedLength: UInt32, frame: [UInt8]) {
        self.seq = seq
        self.stream = stream
        self.uncompressedLength = uncompressedLength
        self.frame = frame
    }
}

/// The value format of one archive batch (`/titan/v1/logs/<job>/<attempt>/<first seq>`): records
/// back to back, each `seq u64 · stream u8 · uncompressedLength u32 · frameLength u32 · frame`,
/// big-endian, in seq order.
///
/// A batch is written once per job per archiver flush. Batches may overlap after a leader
/// fail-over (a chunk made durable by the old leader whose acknowledgement was lost is sent again
/// and archived again): a reader takes the batches in key order and skips any seq it has seen.
public enum LogArchive {
    /// The largest chunk before compression (the wire protocol's limit).
    public static let maxChunkBytes = 64 << 10
    /// The largest LZ4 frame of one chunk (the wire protocol's limit).
    public static let maxFrameBytes = (64 << 10) + 1024
    /// Bytes of a record before its frame.
    public static let recordHeaderBytes = 17

    /// A batch's bytes.
    public static func encode(_ records: [LogRecord]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(records.reduce(0) { $0 + recordHeaderBytes + $1.frame.count })
        for record in records {
            append(record.seq, to: &out)
            out.append(record.stream.code)
            append(UInt64(record.uncompressedLength), bytes: 4, to: &out)
            append(UInt64(record.frame.count), bytes: 4, to: &out)
            out.append(contentsOf: record.frame)
        }
        return out
    }

    /// The records of a batch; throws on a truncated record, one above the limits, or one of a
    /// stream other than stdout (1) and stderr (2).
    public static func decode(_ bytes: [UInt8]) throws(LogArchiveError) -> [LogRecord] {
        var records: [LogRecord] = []
        var index = 0
        while index < bytes.count {
            guard bytes.count - index >= recordHeaderBytes else {
                throw .truncated(offset: index)
            }
            let seq = read(bytes, at: index, count: 8)
            guard let stream = LogStreamKind(code: bytes[index + 8]) else {
                throw .unknownStream(offset: index)
            }
            let uncompressed = read(bytes, at: index + 9, count: 4)
            let length = Int(read(bytes, at: index + 13, count: 4))
            guard uncompressed <= maxChunkBytes, length <= maxFrameBytes else {
                throw .aboveLimit(offset: index)
            }
            let start = index + recordHeaderBytes
            guard bytes.count - start >= length else {
                throw .truncated(offset: index)
            }
            records.append(LogRecord(seq: seq, stream: stream, uncompressedLength: UInt32(uncompressed), frame: Array(bytes[start..<start + length])))
            index = start + length
        }
        return records
    }

    private static func append(_ value: UInt64, bytes: Int = 8, to out: inout [UInt8]) {
        for shift in stride(from: (bytes - 1) * 8, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    private static func read(_ bytes: [UInt8], at index: Int, count: Int) -> UInt64 {
        var value: UInt64 = 0
        for offset in 0..<count {
            value = value << 8 | UInt64(bytes[index + offset])
        }
        return value
    }
}

/// Why an archive batch could not be read.
public enum LogArchiveError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A record is cut short at this offset.
    case truncated(offset: Int)
    /// A record declares a chunk or frame above the protocol's limits.
    case aboveLimit(offset: Int)
    /// A record names a stream that is neither stdout nor stderr.
    case unknownStream(offset: Int)

    /// One sentence naming the problem.
    public var description: String {
        switch self {
        case .truncated(let offset): return "the log archive batch is truncated at byte \(offset)"
        case .aboveLimit(let offset): return "the log archive batch has a record above the chunk limits at byte \(offset)"
        case .unknownStream(let offset): return "the log archive batch has a record of an unknown stream at byte \(offset)"
        }
    }
}

/// Reads one attempt's archive batch by batch (in key order) and hands out each chunk once, in
/// seq order from `next`; notes the cap's marker.
public struct LogArchiveCursor: Sendable {
    /// The next seq wanted; chunks below it are skipped (seen already, or before the start).
    public private(set) var next: UInt64
    /// Output bytes the cap cut, once the marker was read.
    public private(set) var cutBytes: UInt64 = 0
    private let cutKey: String

    /// A cursor from seq `next` over the archive whose cut marker key is `cutKey`.
    public init(from next: UInt64 = 0, cutKey: String) {
        self.next = next
        self.cutKey = cutKey
    }

    /// The new chunks of one archive value (the marker gives none).
    public mutating func take(key: String, value: [UInt8]) throws(LogArchiveError) -> [LogRecord] {
        if key == cutKey {
            cutBytes = UInt64(String(decoding: value, as: UTF8.self)) ?? 0
            return []
        }
        var fresh: [LogRecord] = []
        for record in try LogArchive.decode(value) where record.seq >= next {
            fresh.append(record)
            next = record.seq + 1
        }
        return fresh
    }

    /// The new chunks of one archive value; a damaged value gives none (for a server, which
    /// serves what it can rather than fail every follower).
    public mutating func takeSkippingDamaged(key: String, value: [UInt8]) -> [LogRecord] {
        (try? take(key: key, value: value)) ?? []
    }
}
