import NIOCore

// The writing half of the primitives of protocol v1 (the reading half is `WireReader`).
// Each writer checks the same bound the reader checks, so this side never produces a frame the
// other side must reject: a value out of bounds throws before anything is written for it, and
// `writeWireFrame` rolls the whole frame back.

extension ByteBuffer {
    /// Writes a boolean as one byte, 0 or 1.
    mutating func writeWireBool(_ value: Bool) {
        self.writeInteger(value ? UInt8(1) : UInt8(0))
    }

    /// Writes the presence byte of an optional field and, if present, the value.
    mutating func writeWireOptional<Value>(
        _ value: Value?,
        _ body: (inout ByteBuffer, Value) throws(WireError) -> Void
    ) throws(WireError) {
        guard let value else {
            self.writeWireBool(false)
            return
        }
        self.writeWireBool(true)
        try body(&self, value)
    }

    /// Writes a `u16` count after checking it against `limit`.
    mutating func writeWireCount(_ count: Int, field: String, limit: Int) throws(WireError) {
        guard count <= limit else {
            throw WireError.countAboveLimit(field: field, count: count, limit: limit)
        }
        self.writeInteger(UInt16(count))
    }

    /// Writes a string as a `u16` (or, if `wideLength`, `u32`) byte length and its UTF-8 bytes.
    mutating func writeWireString(_ string: String, field: String, limit: Int, wideLength: Bool = false) throws(WireError) {
        let length = string.utf8.count
        guard length <= limit else {
            throw WireError.lengthAboveLimit(field: field, length: length, limit: limit)
        }
        if wideLength {
            self.writeInteger(UInt32(length))
        } else {
            self.writeInteger(UInt16(length))
        }
        self.writeString(string)
    }

    /// Writes an identifier: a string of 1 to `WireLimits.maxIDBytes` bytes.
    mutating func writeWireID(_ id: String, field: String) throws(WireError) {
        guard !id.isEmpty else {
            throw WireError.invalidValue(field: field, detail: "identifier is empty")
        }
        try self.writeWireString(id, field: field, limit: WireLimits.maxIDBytes)
    }

    /// Writes bytes with a `u32` length prefix.
    mutating func writeWireBytes(_ bytes: ByteBuffer, field: String, limit: Int) throws(WireError) {
        guard bytes.readableBytes <= limit else {
            throw WireError.lengthAboveLimit(field: field, length: bytes.readableBytes, limit: limit)
        }
        self.writeInteger(UInt32(bytes.readableBytes))
        self.writeImmutableBuffer(bytes)
    }

    /// Writes exactly `count` bytes (a nonce, a MAC).
    mutating func writeWireFixedBytes(_ bytes: [UInt8], field: String, count: Int) throws(WireError) {
        guard bytes.count == count else {
            throw WireError.invalidValue(field: field, detail: "\(bytes.count) bytes instead of \(count)")
        }
        self.writeBytes(bytes)
    }

    /// Writes a string map: a `u16` count, then keys and values, keys ascending by UTF-8 bytes.
    mutating func writeWireMap(
        _ map: [String: String],
        field: String,
        limit: Int,
        keyLimit: Int,
        valueLimit: Int
    ) throws(WireError) {
        try self.writeWireCount(map.count, field: field, limit: limit)
        let keyField = field + ".key"
        let valueField = field + ".value"
        for key in map.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            try self.writeWireString(key, field: keyField, limit: keyLimit)
            try self.writeWireString(map[key]!, field: valueField, limit: valueLimit)
        }
    }

    /// Writes a record: a `u32` length, then what `body` writes, checked against `limit`.
    mutating func writeWireRecord(
        field: String,
        limit: Int,
        _ body: (inout ByteBuffer) throws(WireError) -> Void
    ) throws(WireError) {
        let lengthIndex = self.writerIndex
        self.writeInteger(UInt32(0))  // patched below
        try body(&self)
        let length = self.writerIndex - lengthIndex - 4
        guard length <= limit else {
            throw WireError.lengthAboveLimit(field: field, length: length, limit: limit)
        }
        self.setInteger(UInt32(length), at: lengthIndex)
    }
}
