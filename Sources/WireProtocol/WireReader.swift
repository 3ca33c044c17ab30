import NIOCore

/// One field read by a tracing `WireReader`: where it is in the payload and what it held.
///
/// Used by the test-vector generator to annotate every byte of a frame; decoding in production
/// does not trace.
struct WireTraceEntry: Hashable, Sendable {
    /// The field's name, e.g. `JobSpec.name`, with the part read (` length`, ` count`, ` present`).
    var field: String
    /// The field's first byte, counted from the start of the payload.
    var offset: Int
    /// The field's size in bytes (for a string: its length prefix only; the bytes follow as
    /// their own entry).
    var length: Int
    /// The value, for a person.
    var value: String
}

/// A cursor over one payload that reads the primitives of protocol v1.
///
/// Every read checks that its bytes are there and throws `WireError.truncatedPayload` when they
/// are not; every length or count is checked against its limit before anything is reserved.
/// Trailing bytes after the last field read are left alone (the compatibility rule).
struct WireReader {
    private var buffer: ByteBuffer
    /// The payload offset of the buffer's first readable byte at creation.
    private let origin: Int
    private let start: Int
    /// The fields read so far, when tracing; `nil` (the default) when not.
    var trace: [WireTraceEntry]?

    /// Creates a reader over `payload`, tracing the fields it reads if `tracing` is set.
    init(_ payload: ByteBuffer, tracing: Bool = false) {
        self.init(payload, origin: 0, trace: tracing ? [] : nil)
    }

    private init(_ buffer: ByteBuffer, origin: Int, trace: [WireTraceEntry]?) {
        self.buffer = buffer
        self.origin = origin
        self.start = buffer.readerIndex
        self.trace = trace
    }

    /// The number of payload bytes consumed so far.
    var offset: Int {
        self.origin + self.buffer.readerIndex - self.start
    }

    /// The number of bytes not yet read.
    var remainingBytes: Int {
        self.buffer.readableBytes
    }

    private mutating func note(_ field: String, _ part: String, from offset: Int, _ value: @autoclosure () -> String) {
        if self.trace != nil {
            self.trace!.append(
                WireTraceEntry(field: field + part, offset: offset, length: self.offset - offset, value: value())
            )
        }
    }

    /// Appends ` (note)` to the value of the last trace entry, when tracing.
    mutating func annotateLastTraceEntry(_ note: @autoclosure () -> String) {
        if let last = self.trace?.indices.last {
            self.trace![last].value += " (\(note()))"
        }
    }

    /// Reads a big-endian integer.
    mutating func readInteger<Value: FixedWidthInteger>(_ field: String, as: Value.Type = Value.self) throws(WireError) -> Value {
        try self.readInteger(field, part: "", as: Value.self)
    }

    /// Reads a big-endian integer that is one part (`part`: " length", " count", " present")
    /// of `field`; the part only shows in the trace.
    private mutating func readInteger<Value: FixedWidthInteger>(_ field: String, part: String, as: Value.Type) throws(WireError) -> Value {
        let offset = self.offset
        guard let value = self.buffer.readInteger(as: Value.self) else {
            throw WireError.truncatedPayload(field: field)
        }
        self.note(field, part, from: offset, String(value))
        return value
    }

    /// Reads a boolean: one byte, 0 or 1.
    mutating func readBool(_ field: String) throws(WireError) -> Bool {
        try self.readBool(field, part: "")
    }

    private mutating func readBool(_ field: String, part: String) throws(WireError) -> Bool {
        switch try self.readInteger(field, part: part, as: UInt8.self) {
        case 0: return false
        case 1: return true
        case let other: throw WireError.invalidValue(field: field, detail: "boolean byte \(other) is neither 0 nor 1")
        }
    }

    /// Reads the presence byte of an optional field and, if it is 1, the value.
    mutating func readOptional<Value>(
        _ field: String,
        _ body: (inout WireReader) throws(WireError) -> Value
    ) throws(WireError) -> Value? {
        try self.readBool(field, part: " present") ? try body(&self) : nil
    }

    /// Reads a `u16` count and checks it against `limit`, then against the bytes left: `count`
    /// items of at least `minimumItemBytes` each must fit in the payload. After both checks a
    /// caller may reserve `count` items, since the payload itself proves they exist.
    mutating func readCount(_ field: String, limit: Int, minimumItemBytes: Int) throws(WireError) -> Int {
        let count = Int(try self.readInteger(field, part: " count", as: UInt16.self))
        guard count <= limit else {
            throw WireError.countAboveLimit(field: field, count: count, limit: limit)
        }
        guard count * minimumItemBytes <= self.buffer.readableBytes else {
            throw WireError.truncatedPayload(field: field)
        }
        return count
    }

    /// Reads a UTF-8 string with a `u16` length prefix (or `u32` if `wideLength`).
    mutating func readString(_ field: String, limit: Int, wideLength: Bool = false) throws(WireError) -> String {
        let length = try self.readLength(field, limit: limit, wideLength: wideLength)
        let offset = self.offset
        guard let bytes = self.buffer.readSlice(length: length) else {
            throw WireError.truncatedPayload(field: field)
        }
        guard let string = String(validating: bytes.readableBytesView, as: UTF8.self) else {
            throw WireError.invalidUTF8(field: field)
        }
        self.note(field, "", from: offset, string.debugDescription)
        return string
    }

    /// Reads an identifier: a string of 1 to `WireLimits.maxIDBytes` bytes.
    mutating func readID(_ field: String) throws(WireError) -> String {
        let id = try self.readString(field, limit: WireLimits.maxIDBytes)
        guard !id.isEmpty else {
            throw WireError.invalidValue(field: field, detail: "identifier is empty")
        }
        return id
    }

    /// Reads bytes with a `u32` length prefix, as a slice of the payload (no copy).
    mutating func readBytes(_ field: String, limit: Int) throws(WireError) -> ByteBuffer {
        let length = try self.readLength(field, limit: limit, wideLength: true)
        let offset = self.offset
        guard let bytes = self.buffer.readSlice(length: length) else {
            throw WireError.truncatedPayload(field: field)
        }
        self.note(field, "", from: offset, "\(length) bytes")
        return bytes
    }

    /// Reads exactly `count` bytes (a nonce, a MAC).
    mutating func readFixedBytes(_ field: String, count: Int) throws(WireError) -> [UInt8] {
        let offset = self.offset
        guard let bytes = self.buffer.readBytes(length: count) else {
            throw WireError.truncatedPayload(field: field)
        }
        self.note(field, "", from: offset, "\(count) bytes")
        return bytes
    }

    /// Reads a string map: a `u16` count, then key and value strings, keys strictly ascending
    /// by their UTF-8 bytes (so a map has exactly one encoding and no duplicate keys).
    mutating func readMap(
        _ field: String,
        limit: Int,
        keyLimit: Int,
        valueLimit: Int
    ) throws(WireError) -> [String: String] {
        let count = try self.readCount(field, limit: limit, minimumItemBytes: 4)
        var map = [String: String](minimumCapacity: count)
        var previousKey: String?
        let keyField = field + ".key"
        let valueField = field + ".value"
        for _ in 0..<count {
            let key = try self.readString(keyField, limit: keyLimit)
            if let previousKey, !previousKey.utf8.lexicographicallyPrecedes(key.utf8) {
                throw WireError.invalidValue(field: field, detail: "key \"\(key)\" is not after \"\(previousKey)\"")
            }
            map[key] = try self.readString(valueField, limit: valueLimit)
            previousKey = key
        }
        return map
    }

    /// Reads a record: a `u32` length, checked against `limit`, then `body` over exactly those
    /// bytes. Bytes of the record that `body` does not read are skipped (a newer peer's fields).
    mutating func readRecord<Value>(
        _ field: String,
        limit: Int,
        _ body: (inout WireReader) throws(WireError) -> Value
    ) throws(WireError) -> Value {
        let length = try self.readLength(field, limit: limit, wideLength: true)
        guard let bytes = self.buffer.readSlice(length: length) else {
            throw WireError.truncatedPayload(field: field)
        }
        var inner = WireReader(bytes, origin: self.offset - length, trace: self.trace)
        self.trace = nil
        defer { self.trace = inner.trace }
        return try body(&inner)
    }

    private mutating func readLength(_ field: String, limit: Int, wideLength: Bool) throws(WireError) -> Int {
        let length =
            wideLength
            ? Int(try self.readInteger(field, part: " length", as: UInt32.self))
            : Int(try self.readInteger(field, part: " length", as: UInt16.self))
        guard length <= limit else {
            throw WireError.lengthAboveLimit(field: field, length: length, limit: limit)
        }
        return length
    }
}
