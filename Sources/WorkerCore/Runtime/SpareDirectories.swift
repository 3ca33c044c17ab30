import Glibc
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Empty work directories kept for the next jobs, under `<workRoot>/.spare`.
///
/// Why: every exec job gets a fresh directory, created before it starts and removed after it
/// ends. On ext4 without a journal (common for VM and cloud scratch disks, and this project's
/// development machine), allocating an inode scans past recently deleted ones (`find_inode_bit` →
/// `recently_deleted`), which made `mkdir` and `rmdir` 30 % of the worker's CPU at a few hundred
/// short jobs a second. A job that left its directory empty hands it back here (`rename`, no inode
/// freed); the next job takes it (`rename`, no inode allocated) and resets its mode. A directory
/// that is not empty is removed as before.
///
/// ext4 skips an inode freed in the last minute or more when it allocates, so a burst of
/// removals makes every `mkdir` after it slow: the pool is sized to absorb the directories of a
/// burst of jobs (thousands run at once on a large worker), not just the steady state.
///
/// Bounded: at most `limit` spares (an empty directory costs an inode and one 4 KiB block, so
/// 16 MiB at most); beyond that a finished job's directory is removed. Spares left by an earlier
/// worker process on the same work directory are adopted at start.
/// Blocking file-system calls: used from the runtime's thread pool only.
final class SpareDirectories: Sendable {
    /// The most empty directories kept.
    static let limit = 4096

    private let root: String
    private let state: Mutex<(free: [String], next: UInt64)>

    /// Adopts the spares under `<workRoot>/.spare`, creating it when missing. Never throws: a
    /// work root that cannot hold spares only means every job gets `mkdir` and `rmdir`.
    init(workRoot: String) {
        let root = workRoot + "/.spare"
        self.root = root
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        // Only empty directories are adopted; anything else found there is removed.
        var adopted: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            let path = root + "/" + name
            if adopted.count < Self.limit, Self.isEmptyDirectory(path) {
                adopted.append(path)
            } else {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        // Names continue from a random point: a worker that is pid 1 in every container must not
        // reuse an adopted spare's name (rename would silently replace it).
        state = Mutex((adopted, UInt64.random(in: 0..<(1 << 60))))
    }

    /// Moves a spare to `path` as a fresh directory of mode 0755; false when there is none left
    /// (the caller creates one).
    func take(as path: String) -> Bool {
        while let spare = state.withLock({ $0.free.popLast() }) {
            // A spare removed behind our back is simply skipped.
            guard rename(spare, path) == 0 else { continue }
            // Checked again where it now is: something written into it since it was handed back
            // (a process that left its job's group still has it as its working directory) must
            // not reach the next job.
            if Self.isEmptyDirectory(path) {
                _ = chmod(path, 0o755)
                return true
            }
            try? FileManager.default.removeItem(atPath: path)
        }
        return false
    }

    /// Keeps `path` as a spare if it is an empty directory and there is room; false otherwise
    /// (the caller removes it).
    func give(_ path: String) -> Bool {
        guard Self.isEmptyDirectory(path) else { return false }
        let name = state.withLock { state -> String? in
            guard state.free.count < Self.limit else { return nil }
            state.next += 1
            return root + "/" + String(state.next, radix: 36)
        }
        guard let name, rename(path, name) == 0 else { return false }
        state.withLock { $0.free.append(name) }
        return true
    }

    /// Whether `path` is itself a directory (not a symlink to one) with nothing in it.
    private static func isEmptyDirectory(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        guard let directory = fdopendir(descriptor) else {
            close(descriptor)
            return false
        }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let isDotOrDotDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            }
            if !isDotOrDotDot { return false }
        }
        return true
    }
}
