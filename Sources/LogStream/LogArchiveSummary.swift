/// What one attempt's archive holds, tallied value by value in key order: where its output
/// continues (the next seq, the bytes of each stream), how much of the cap it uses, and what
/// the cap cut. For a worker that takes an attempt over and for a leader that inherits one.
public struct LogArchiveSummary: Sendable {
    /// The seq after the last archived chunk (0 when none).
    public var nextSeq: UInt64 { cursor.next }
    /// Output bytes of stdout archived.
    public private(set) var stdoutBytes: UInt64 = 0
    /// Output bytes of stderr archived.
    public private(set) var stderrBytes: UInt64 = 0
    /// Compressed bytes archived (what the cap counts).
    public private(set) var storedBytes = 0
    /// Output bytes the cap cut, from the marker (0 when there is none).
    public var cutBytes: UInt64 { cursor.cutBytes }

    private var cursor: LogArchiveCursor

    /// An empty tally for the archive whose cut marker key is `cutKey`.
    public init(cutKey: String) {
        cursor = LogArchiveCursor(from: 0, cutKey: cutKey)
    }

    /// Counts one archive value (a batch, or the marker); a damaged value counts nothing, and
    /// a chunk already counted (batches overlap after a fail-over) counts once.
    public mutating func add(key: String, value: [UInt8]) {
        for record in cursor.takeSkippingDamaged(key: key, value: value) {
            storedBytes += record.frame.count
            if record.stream == .stderr {
                stderrBytes += UInt64(record.uncompressedLength)
            } else {
                stdoutBytes += UInt64(record.uncompressedLength)
            }
        }
    }
}
