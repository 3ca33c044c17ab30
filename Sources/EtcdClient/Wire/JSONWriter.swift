/// A minimal JSON writer: objects, arrays, strings (escaped per RFC 8259), integers, booleans
/// and proto3's base64 bytes and int64 strings. Calls must nest properly (`beginObject` …
/// `endObject`). Used where `JSONEncoder` cost too much: the etcd gateway's request bodies and
/// the leader's job records (`JSONEncoder` was a third of the leader's CPU, then an eighth).
public struct JSONWriter: Sendable {
    /// The JSON written so far.
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    /// An empty writer.
    public init() {
        bytes.reserveCapacity(512)
    }

    /// Opens an object (`{`).
    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    /// Closes the open object (`}`).
    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// Opens an array (`[`).
    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    /// Closes the open array (`]`).
    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// An array of strings.
    public mutating func strings(_ items: [String]) {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        for item in items { string(item) }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// An object of string values, keys sorted.
    public mutating func map(_ pairs: [String: String]) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        for (key, value) in pairs.sorted(by: { $0.key < $1.key }) {
            self.key(key)
            string(value)
        }
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// A member name; the value written next is its value.
    public mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A signed integer as a JSON number.
    public mutating func number(_ value: Int64) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    /// An unsigned integer as a JSON number.
    public mutating func unsigned(_ value: UInt64) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    /// A string, escaped per RFC 8259.
    public mutating func string(_ text: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        // Most strings (member names, ids, states) need no escape: one copy of their bytes.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: text.utf8)
            bytes.append(UInt8(ascii: "\""))
            needsComma = true
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// A boolean.
    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
        needsComma = true
    }

    /// An int64 as proto3 JSON carries it: a decimal *string* (`"42"`).
    public mutating func int64String(_ value: Int64) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: String(value).utf8)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Bytes as proto3 JSON carries them: a string of standard base64 with padding.
    public mutating func base64(_ data: some Collection<UInt8>) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        Base64.append(data, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }
}

/// Standard base64 (RFC 4648 §4) with padding, written straight into a byte array.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func append(_ data: some Collection<UInt8>, to out: inout [UInt8]) {
        let start = out.count
        let length = (data.count + 2) / 3 * 4
        out.append(contentsOf: repeatElement(UInt8(ascii: "="), count: length))
        // Written through pointers: appending byte by byte checked capacity four times a triple.
        alphabet.withUnsafeBufferPointer { alphabet in
            out.withUnsafeMutableBufferPointer { output in
                var at = start
                var iterator = data.makeIterator()
                while let first = iterator.next() {
                    let second = iterator.next()
                    let third = iterator.next()
                    let word = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
                    output[at] = alphabet[Int(word >> 18 & 0x3F)]
                    output[at + 1] = alphabet[Int(word >> 12 & 0x3F)]
                    if second != nil { output[at + 2] = alphabet[Int(word >> 6 & 0x3F)] }
                    if third != nil { output[at + 3] = alphabet[Int(word & 0x3F)] }
                    at += 4
                }
            }
        }
    }
}
