import Foundation

/// A loopback TCP port that takes connections and never answers: the kernel completes them into
/// the listen backlog and nobody accepts, so a request sent there stays in flight until it is
/// cancelled, times out, or its client shuts down. Stops listening when released.
public final class SilentListener: Sendable {
    /// The port it listens on, on 127.0.0.1.
    public let port: Int
    private let descriptor: Int32

    /// Listens on `127.0.0.1:0` with room for `backlog` connections nobody accepts (the kernel
    /// caps it at `net.core.somaxconn`); past that, new connections wait in their SYN retries.
    public init(backlog: Int32 = 1024) throws {
        (descriptor, port) = try bindLoopback(backlog: backlog)
    }

    deinit {
        close(descriptor)
    }
}

/// A TCP socket bound to `127.0.0.1:0`, listening when `backlog` is given, and its port.
func bindLoopback(backlog: Int32?) throws -> (descriptor: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessFailure("socket() failed: errno \(errno)") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            guard bind(fd, raw, length) == 0, getsockname(fd, raw, &length) == 0 else { return false }
            return backlog.map { listen(fd, $0) == 0 } ?? true
        }
    }
    guard bound else {
        let code = errno
        close(fd)
        throw HarnessFailure("bind or listen on 127.0.0.1:0 failed: errno \(code)")
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}
