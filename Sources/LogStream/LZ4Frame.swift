import CLZ4

/// One chunk of job output as a self-describing LZ4 frame (magic, content size, checksum).
///
/// Each log chunk is compressed on its own with the one-shot frame API: a frame decodes without
/// any other, frames written back to back form a valid `.lz4` file, and the declared content size
/// lets a reader refuse an oversize chunk before it allocates anything.
public enum LZ4Frame {
    /// Compresses `bytes` into one frame that records its content size and a content checksum.
    public static func compress(_ bytes: [UInt8]) -> [UInt8] {
        let bound = compressBound(bytes.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = output.withUnsafeMutableBytes { destination in
            bytes.withUnsafeBytes { source in compress(source, into: destination) }
        }
        output.removeSubrange(written...)
        return output
    }

    /// The most bytes a frame of `count` input bytes can take (the destination size
    /// ``compress(_:into:)`` needs).
    public static func compressBound(_ count: Int) -> Int {
        var preferences = self.preferences(count)
        return LZ4F_compressFrameBound(count, &preferences)
    }

    /// Compresses `source` into one frame written at the start of `destination`, which must hold
    /// ``compressBound(_:)`` bytes; returns the frame's length. No allocation, no copy of the input.
    public static func compress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> Int {
        var preferences = self.preferences(source.count)
        precondition(destination.count >= LZ4F_compressFrameBound(source.count, &preferences), "the destination is smaller than compressBound")
        let written = LZ4F_compressFrame(destination.baseAddress, destination.count, source.baseAddress, source.count, &preferences)
        // With a destination of LZ4F_compressFrameBound bytes, compression cannot fail short of a
        // bug in liblz4 or memory corruption; either way continuing would write a bad archive.
        precondition(LZ4F_isError(written) == 0, "LZ4F_compressFrame failed: \(errorName(written))")
        return written
    }

    private static func preferences(_ count: Int) -> LZ4F_preferences_t {
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.contentSize = UInt64(count)
        preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        preferences.frameInfo.blockSizeID = LZ4F_max64KB
        return preferences
    }

    /// Decompresses exactly one frame, refusing to produce more than `maxDecompressedSize` bytes.
    ///
    /// A frame that declares a larger content size is refused before anything is allocated; a
    /// frame without a declared size is cut off as soon as its output passes the bound. Garbage,
    /// truncated input, bytes after the frame, and checksum mismatches are errors, never traps.
    public static func decompress(_ frame: [UInt8], maxDecompressedSize: Int) throws(LZ4FrameError) -> [UInt8] {
        var context: OpaquePointer?
        let created = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(created) == 0, let context else {
            throw .corrupt(reason: "could not create a decompression context: \(errorName(created))")
        }
        defer { LZ4F_freeDecompressionContext(context) }

        let result = frame.withUnsafeBytes { input in
            decode(input, context: context, limit: maxDecompressedSize)
        }
        return try result.get()
    }

    private static func decode(
        _ input: UnsafeRawBufferPointer,
        context: OpaquePointer,
        limit: Int
    ) -> Result<[UInt8], LZ4FrameError> {
        guard let base = input.baseAddress, !input.isEmpty else { return .failure(.truncated) }
        var info = LZ4F_frameInfo_t()
        var position = input.count
        let header = LZ4F_getFrameInfo(context, &info, base, &position)
        if LZ4F_isError(header) != 0 {
            let name = errorName(header)
            return .failure(name.contains("srcSize_wrong") ? .truncated : .corrupt(reason: name))
        }
        if info.contentSize > UInt64(limit) {
            return .failure(.tooLarge(declared: info.contentSize, limit: limit))
        }
        // Trust a declared size (already checked against the limit); otherwise start small and
        // double, so a frame that lies by omission still cannot make us allocate past the limit.
        var capacity = info.contentSize > 0 ? Int(info.contentSize) : min(limit, max(64 << 10, input.count * 4))
        var output = [UInt8](repeating: 0, count: max(capacity, 1))
        var produced = 0
        while true {
            var outSize = capacity - produced
            var inSize = input.count - position
            let hint = output.withUnsafeMutableBytes { destination in
                LZ4F_decompress(context, destination.baseAddress! + produced, &outSize, base + position, &inSize, nil)
            }
            if LZ4F_isError(hint) != 0 {
                return .failure(.corrupt(reason: errorName(hint)))
            }
            produced += outSize
            position += inSize
            if hint == 0 {
                break
            }
            if produced == capacity {
                guard capacity < limit else { return .failure(.tooLarge(declared: info.contentSize, limit: limit)) }
                capacity = min(limit, max(1, capacity * 2))
                output.append(contentsOf: repeatElement(0, count: max(0, capacity - output.count)))
            } else if position == input.count {
                // liblz4 wants more input, has room to write, and there is no more: cut short.
                return .failure(.truncated)
            }
        }
        guard position == input.count else { return .failure(.trailingBytes(count: input.count - position)) }
        output.removeSubrange(produced...)
        return .success(output)
    }

    static func errorName(_ code: Int) -> String {
        String(cString: LZ4F_getErrorName(code))
    }
}

/// Why an LZ4 frame could not be decoded.
public enum LZ4FrameError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended before the frame did.
    case truncated
    /// The input is not a valid LZ4 frame, or its checksum does not match; `reason` is liblz4's.
    case corrupt(reason: String)
    /// The frame declares (or produced) more than the caller's bound; `declared` is 0 when the
    /// frame does not state its size.
    case tooLarge(declared: UInt64, limit: Int)
    /// Bytes follow the end of the frame; a log chunk is exactly one frame.
    case trailingBytes(count: Int)

    /// One sentence naming the problem.
    public var description: String {
        switch self {
        case .truncated:
            return "the LZ4 frame is truncated"
        case let .corrupt(reason):
            return "the LZ4 frame is corrupt (\(reason))"
        case let .tooLarge(declared, limit):
            let what = declared > 0 ? "declares \(declared) bytes" : "decompresses to more"
            return "the LZ4 frame \(what), over the \(limit)-byte limit"
        case let .trailingBytes(count):
            return "\(count) bytes follow the end of the LZ4 frame"
        }
    }
}
