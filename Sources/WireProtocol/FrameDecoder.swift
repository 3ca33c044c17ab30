import NIOCore

/// Cuts a byte stream into `Frame`s, refusing a bad length as soon as the header arrives.
///
/// ```
///   bytes ──▶ [ FrameDecoder ] ──▶ Frame(type, payload) ──▶ WireMessage(frame:)
/// ```
///
/// Unlike `LengthFieldBasedFrameDecoder`, the length is checked when its 4 bytes are readable:
/// a length above `maximumFrameLength` throws `WireError.frameTooLarge`, a length below 2 (no
/// room for the message type) throws `WireError.frameTooShort`. In both cases nothing more is
/// awaited or buffered, so a peer announcing 4 GiB costs at most the bytes it actually sent.
/// At end of stream, leftover bytes throw `WireError.truncatedFrame`.
///
/// Use it in a `ByteToMessageHandler` in a channel, or in a `NIOSingleStepByteToMessageProcessor`
/// anywhere else. The payload is a slice of the received bytes, not a copy.
public struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
    /// Frames, in stream order.
    public typealias InboundOut = Frame

    /// The largest accepted value of a frame's length field.
    public let maximumFrameLength: Int

    /// Creates a decoder. `maximumFrameLength` defaults to the protocol's 4 MiB and may only be
    /// lowered: a receiver may be stricter than the protocol, never laxer.
    public init(maximumFrameLength: Int = WireLimits.maxFrameLength) {
        precondition(
            (WireLimits.minFrameLength...WireLimits.maxFrameLength).contains(maximumFrameLength),
            "maximumFrameLength \(maximumFrameLength) is outside 2...\(WireLimits.maxFrameLength)"
        )
        self.maximumFrameLength = maximumFrameLength
    }

    /// Returns the next whole frame, or `nil` if more bytes are needed.
    ///
    /// - Throws: `WireError.frameTooLarge` or `WireError.frameTooShort` as soon as a bad length
    ///   is readable.
    public mutating func decode(buffer: inout ByteBuffer) throws -> Frame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else {
            return nil
        }
        guard length >= WireLimits.minFrameLength else {
            throw WireError.frameTooShort(length: length)
        }
        guard length <= self.maximumFrameLength else {
            throw WireError.frameTooLarge(length: length, limit: self.maximumFrameLength)
        }
        guard buffer.readableBytes >= 4 + Int(length) else {
            return nil
        }
        buffer.moveReaderIndex(forwardBy: 4)
        // Both reads are within the `4 + length` readable bytes checked above.
        let type = buffer.readInteger(as: UInt16.self)!
        let payload = buffer.readSlice(length: Int(length) - 2)!
        return Frame(type: WireMessageType(rawValue: type), payload: payload)
    }

    /// Returns the remaining whole frames at the end of the stream, one per call.
    ///
    /// - Throws: `WireError.truncatedFrame` if the stream ended (`seenEOF`) inside a frame.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Frame? {
        if let frame = try self.decode(buffer: &buffer) {
            return frame
        }
        if seenEOF && buffer.readableBytes > 0 {
            throw WireError.truncatedFrame(bufferedBytes: buffer.readableBytes)
        }
        return nil
    }
}

/// Encodes `WireMessage`s into frames, for a `MessageToByteHandler`.
///
/// A message that breaks a bound of the protocol (a string above its limit, a frame above
/// 4 MiB) is not written: the write fails with the `WireError` saying which field, and nothing
/// reaches the socket, so the peer never sees a frame it would have to reject.
public struct WireMessageEncoder: MessageToByteEncoder {
    /// The messages this encoder accepts.
    public typealias OutboundIn = WireMessage

    /// Creates an encoder.
    public init() {}

    /// Appends `data` as one frame to `out`.
    public func encode(data: WireMessage, out: inout ByteBuffer) throws {
        try out.writeWireFrame(data)
    }
}

extension ByteBuffer {
    /// Appends `message` as one whole frame (header and payload) and returns its size in bytes.
    ///
    /// On error the buffer is left as it was.
    ///
    /// - Throws: `WireError` if a field breaks its bound or the frame would exceed
    ///   `WireLimits.maxFrameLength`.
    @discardableResult
    public mutating func writeWireFrame(_ message: WireMessage) throws(WireError) -> Int {
        let start = self.writerIndex
        self.writeInteger(UInt32(0))  // patched below, once the payload's size is known
        self.writeInteger(message.type.rawValue)
        do throws(WireError) {
            try message.encodePayload(into: &self)
        } catch {
            self.moveWriterIndex(to: start)
            throw error
        }
        let length = self.writerIndex - start - 4
        guard length <= WireLimits.maxFrameLength else {
            self.moveWriterIndex(to: start)
            throw WireError.frameTooLarge(length: UInt32(clamping: length), limit: WireLimits.maxFrameLength)
        }
        self.setInteger(UInt32(length), at: start)
        return length + 4
    }
}

extension WireMessage {
    /// Decodes the message carried by `frame`.
    ///
    /// Bytes after the last field this version knows are ignored (`Protocol/README.md`,
    /// § Compatibility).
    ///
    /// - Throws: `WireError.unknownMessageType` for a type this version does not know (the
    ///   connection stays usable), or a `badFrame` error for a malformed payload.
    public init(frame: Frame) throws(WireError) {
        var reader = WireReader(frame.payload)
        try self.init(type: frame.type, reader: &reader)
    }
}
