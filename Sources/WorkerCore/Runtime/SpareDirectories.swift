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
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let adopted = names.prefix(Self.limit).map { root + "/" + $0 }
        state = Mutex((Array(adopted), UInt64(getpid()) << 32))
    }

    /// Moves a spare to `path` as a fresh directory of mode 0755; false when there is none left
    /// (the caller creates one).
    func take(as path: String) -> Bool {
        while let spare = state.withLock({ $0.free.popLast() }) {
            // A spare removed behind our back is simply skipped.
            if rename(spare, path) == 0 {
                _ = chmod(path, 0o755)
                return true
            }
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

    private static func isEmptyDirectory(_ path: String) -> Bool {
        guard let directory = opendir(path) else { return false }
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
