import Foundation
import TitanTestSupport

/// A plain blocking TCP client for hostile-peer tests: bytes in, bytes out, no Titan code in
/// between. Every read has a timeout, so a silent server fails the test instead of hanging it.
final class RawSocket {
    private let fd: Int32

    /// Connects to `127.0.0.1:port`; reads give up after `timeout`.
    init(port: Int, timeout: Duration = .seconds(5)) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessFailure("socket() failed: errno \(errno)") }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw HarnessFailure("connect to 127.0.0.1:\(port) failed: errno \(code)")
        }
    }

    deinit {
        close(fd)
    }

    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw HarnessFailure("send failed: errno \(errno)") }
            sent += count
        }
    }

    /// Exactly `count` bytes; fails on end of stream or timeout.
    func read(exactly count: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        while result.count < count {
            let chunk = try readSome(max: count - result.count)
            guard !chunk.isEmpty else { throw HarnessFailure("the peer closed after \(result.count) of \(count) bytes") }
            result += chunk
        }
        return result
    }

    /// Everything until the peer closes; fails on timeout.
    func readToEnd() throws -> [UInt8] {
        var result: [UInt8] = []
        while true {
            let chunk = try readSome(max: 65_536)
            if chunk.isEmpty { return result }
            result += chunk
        }
    }

    private func readSome(max: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
        if count < 0 {
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK { throw HarnessFailure("no answer within the read timeout") }
            throw HarnessFailure("recv failed: errno \(code)")
        }
        return Array(buffer.prefix(count))
    }
}

/// One decoded frame: `u32 length | u16 type | payload` (Protocol/README §1).
struct RawFrame: Equatable {
    var type: UInt16
    var payload: [UInt8]

    /// Splits `bytes` into whole frames; trailing bytes of a partial frame are an error.
    static func split(_ bytes: [UInt8]) throws -> [RawFrame] {
        var frames: [RawFrame] = []
        var index = 0
        while index < bytes.count {
            guard bytes.count - index >= 6 else { throw HarnessFailure("a partial frame header at byte \(index)") }
            let length = Int(bytes[index..<index + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            guard length >= 2, bytes.count - index - 4 >= length else { throw HarnessFailure("a frame of length \(length) at byte \(index) is cut short") }
            let type = UInt16(bytes[index + 4]) << 8 | UInt16(bytes[index + 5])
            frames.append(RawFrame(type: type, payload: Array(bytes[index + 6..<index + 4 + length])))
            index += 4 + length
        }
        return frames
    }

    /// For an `Error` frame (type 1): `corr u64 · code u16 · message str16`.
    var errorFields: (correlationID: UInt64, code: UInt16, message: String)? {
        guard type == 0x0001, payload.count >= 12 else { return nil }
        let correlationID = payload[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let code = UInt16(payload[8]) << 8 | UInt16(payload[9])
        let length = Int(UInt16(payload[10]) << 8 | UInt16(payload[11]))
        guard payload.count >= 12 + length else { return nil }
        return (correlationID, code, String(decoding: payload[12..<12 + length], as: UTF8.self))
    }
}
