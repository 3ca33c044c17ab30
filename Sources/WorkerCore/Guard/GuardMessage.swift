import Foundation

/// One line a worker sends its node guard over the guard's unix socket (`<work dir>/guard.sock`).
/// Local to one host, so plain text: `renewed 7587`, `exec 7587 4242 183344`, `exec-done 4242`,
/// `released 7587`.
public enum GuardMessage: Sendable, Equatable {
    /// The node lease was renewed (or granted) just now.
    case renewed(lease: Int64)
    /// An exec job started under `lease` in its own process group.
    case execStarted(lease: Int64, group: GuardBook.Group)
    /// The exec job of process group `group` ended.
    case execEnded(group: Int32)
    /// The worker revoked `lease` after killing its jobs.
    case released(lease: Int64)

    /// The line, without its newline.
    public var line: String {
        switch self {
        case let .renewed(lease): return "renewed \(lease)"
        case let .execStarted(lease, group): return "exec \(lease) \(group.id) \(group.startTime)"
        case let .execEnded(group): return "exec-done \(group)"
        case let .released(lease): return "released \(lease)"
        }
    }

    /// Parses a line (without its newline); nil for anything else.
    public init?(line: Substring) {
        let words = line.split(separator: " ")
        switch (words.first, words.count) {
        case ("renewed", 2):
            guard let lease = Int64(words[1]) else { return nil }
            self = .renewed(lease: lease)
        case ("exec", 4):
            guard let lease = Int64(words[1]), let id = Int32(words[2]), words[3].allSatisfy(\.isNumber) else { return nil }
            self = .execStarted(lease: lease, group: GuardBook.Group(id: id, startTime: String(words[3])))
        case ("exec-done", 2):
            guard let id = Int32(words[1]) else { return nil }
            self = .execEnded(group: id)
        case ("released", 2):
            guard let lease = Int64(words[1]) else { return nil }
            self = .released(lease: lease)
        default:
            return nil
        }
    }
}

/// Process facts the guard and its link need, from `/proc`.
enum ProcessStart {
    /// Field 22 of `/proc/<pid>/stat` (the start time in clock ticks after boot), or nil when
    /// there is no such process.
    /// Read with one `open`/`read`/`close` into a stack buffer: it runs once per job start, and
    /// Foundation's file reading was 8 % of the worker's CPU at a few hundred starts a second.
    static func of(_ pid: Int32) -> String? {
        let descriptor = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        // The line is at most a few hundred bytes (a 16-byte comm and 50 numbers).
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { buffer -> String? in
            var length = 0
            while length < buffer.count {
                let got = read(descriptor, buffer.baseAddress! + length, buffer.count - length)
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else { break }
                length += got
            }
            let line = buffer[..<length]
            // The command name may hold spaces and parentheses: fields are counted after the last ")".
            guard let close = line.lastIndex(of: UInt8(ascii: ")")) else { return nil }
            let fields = line[(close + 1)...].split(separator: UInt8(ascii: " "))
            return fields.count > 19 ? String(decoding: fields[19], as: UTF8.self) : nil
        }
    }
}
