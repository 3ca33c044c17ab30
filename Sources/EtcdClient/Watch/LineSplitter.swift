/// Cuts a byte stream into `\n`-terminated lines, keeping a partial line for the next chunk.
///
/// Bounded: a line (or an unfinished one) longer than `maxLineBytes` is an error, so a peer
/// that never sends a newline cannot make the buffer grow without limit. The buffer holds at
/// most `maxLineBytes` plus the last chunk appended.
struct LineSplitter {
    /// A line grew past the bound.
    struct LineTooLong: Error, Equatable {
        var limit: Int
    }

    let maxLineBytes: Int
    private var buffer: [UInt8] = []
    /// Where the first unread byte is.
    private var head = 0
    /// Up to here (from `head`) there is no newline: the next search starts here.
    private var scanned = 0

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// Adds the next chunk of the stream.
    mutating func append(_ chunk: [UInt8]) {
        if head > 0, head * 2 >= buffer.count {
            // Drop consumed bytes once they are at least half the buffer: amortised O(1) a byte.
            buffer.removeFirst(head)
            scanned -= head
            head = 0
        }
        buffer.append(contentsOf: chunk)
    }

    /// The next complete line without its `\n` (and without a `\r` before it), or `nil` when
    /// no complete line is buffered. Empty lines are skipped.
    mutating func nextLine() throws(LineTooLong) -> [UInt8]? {
        while true {
            let from = max(head, scanned)
            guard let newline = buffer[from...].firstIndex(of: UInt8(ascii: "\n")) else {
                scanned = buffer.count
                if buffer.count - head > maxLineBytes {
                    throw LineTooLong(limit: maxLineBytes)
                }
                return nil
            }
            var end = newline
            if end > head, buffer[end - 1] == UInt8(ascii: "\r") {
                end -= 1
            }
            let line = Array(buffer[head..<end])
            head = newline + 1
            scanned = head
            if line.count > maxLineBytes {
                throw LineTooLong(limit: maxLineBytes)
            }
            if !line.isEmpty {
                return line
            }
        }
    }

    /// Forgets everything buffered (the stream it came from is gone).
    mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        head = 0
        scanned = 0
    }

    /// The bytes buffered and not yet returned as a line.
    var pendingBytes: Int {
        buffer.count - head
    }
}
