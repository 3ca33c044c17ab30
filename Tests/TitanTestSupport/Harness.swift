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
    let (descriptor, port) = try bindLoopback(backlog: nil)
    close(descriptor)
    return port
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
