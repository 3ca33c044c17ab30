import Foundation
import Synchronization

/// Why a test's harness could not do what the test asked: one sentence saying what to do.
public struct HarnessFailure: Error, CustomStringConvertible {
    /// The sentence.
    public var description: String

    /// Creates the failure.
    public init(_ description: String) {
        self.description = description
    }
}

/// A loopback TCP port nobody listens on right now (bind to port 0, read it, close).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessFailure("socket() failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            guard bind(fd, raw, length) == 0 else { return false }
            return getsockname(fd, raw, &length) == 0
        }
    }
    guard bound else { throw HarnessFailure("bind to 127.0.0.1:0 failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether a process with this PID exists (`kill(pid, 0)` is not ESRCH).
public func processExists(_ pid: Int32) -> Bool {
    if kill(pid, 0) == 0 { return true }
    return errno != ESRCH
}

/// The record of the processes tests start, so that `Tools/test` can stop any a crashed or
/// stopped test run left behind.
///
/// When `TITAN_TEST_PID_DIR` is set (Tools/test sets it), each started process gets a file
/// `<dir>/<pid>.pid` holding `PID START PROGRAM` — the format of `Tools/lib.sh`, whose start time
/// keeps a reused pid from being stopped — and loses it once it is known to have exited.
public enum ChildProcessRecord {
    private static let directory = ProcessInfo.processInfo.environment["TITAN_TEST_PID_DIR"].flatMap { $0.isEmpty ? nil : $0 }

    /// Records `pid`, which runs `executable`.
    public static func started(_ pid: Int32, executable: String) {
        guard let directory, let start = startTime(of: pid) else { return }
        let program = URL(fileURLWithPath: executable).lastPathComponent
        try? Data("\(pid) \(start) \(program)\n".utf8).write(to: URL(fileURLWithPath: "\(directory)/\(pid).pid"))
    }

    /// Forgets `pid`, which has exited.
    public static func exited(_ pid: Int32) {
        guard let directory else { return }
        try? FileManager.default.removeItem(atPath: "\(directory)/\(pid).pid")
    }

    /// Field 22 of `/proc/PID/stat`: the start time in clock ticks after boot.
    static func startTime(of pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: field 3 is fields[0], so field 22 is fields[19].
        return fields.count > 19 ? String(fields[19]) : nil
    }
}
