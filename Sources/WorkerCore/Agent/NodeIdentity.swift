import ClusterModel
import EtcdClient
import Foundation
import Glibc

/// Keeps two workers from being one node: a node id is one worker process at a time.
///
/// - On one host, the work directory is locked (`flock`) for the process's life: a second
///   worker with the same directory is refused at once.
/// - The lease a process registers under is written to `<work dir>/.titan-lease`. A process that
///   finds its node's record live under a lease it did not record there is not a restart of
///   that node's worker: it watches the lease for up to its TTL, and if someone renews it (a live
///   worker elsewhere with the same id) refuses to start; if it runs out (a crashed worker on
///   another host), it registers afresh.
struct NodeIdentity: Sendable {
    let node: NodeID
    let workRoot: String

    /// A second worker uses this node id: the sentence says which and what to do.
    struct Duplicate: Error, CustomStringConvertible {
        var description: String
    }

    private var leaseFile: String { workRoot + "/.titan-lease" }

    /// Locks the work directory for this process (the lock ends with it); throws ``Duplicate``
    /// when another process holds it.
    func lockWorkDirectory() throws -> Int32 {
        try FileManager.default.createDirectory(atPath: workRoot, withIntermediateDirectories: true)
        let path = workRoot + "/.titan-worker.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw Duplicate(description: "cannot open \(path) (errno \(errno)): check that the work directory \(workRoot) is writable")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(fd)
            throw Duplicate(
                description: "another titan-worker (pid \(holder)) already runs with the work directory \(workRoot): stop it, or give this one another --work-dir and --id")
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        return fd
    }

    /// The lease this host's last process of the node registered under, if it recorded one.
    func recordedLease() -> Int64? {
        (try? String(contentsOfFile: leaseFile, encoding: .utf8)).flatMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Records the lease this process registered under.
    func record(lease: Int64) throws {
        try "\(lease)\n".write(toFile: leaseFile, atomically: true, encoding: .utf8)
    }

    /// Waits while the node's record lives under `lease`, which this host did not record: returns
    /// once the lease has run out; throws ``Duplicate`` as soon as someone renews it (or when
    /// it outlives `ttlSeconds` and a margin: it is being renewed).
    func waitOutForeignLease(_ lease: Int64, ttlSeconds: Int64, etcd: EtcdClient) async throws {
        var last = try await etcd.leaseTimeToLive(id: lease).ttl
        let deadline = ContinuousClock.now + .seconds(ttlSeconds + 2)
        while last > 0 {
            if ContinuousClock.now > deadline {
                throw duplicate(lease)
            }
            try await Task.sleep(for: .milliseconds(250))
            let now = try await etcd.leaseTimeToLive(id: lease).ttl
            if now > last {
                throw duplicate(lease)
            }
            last = now
        }
    }

    private func duplicate(_ lease: Int64) -> Duplicate {
        Duplicate(
            description:
                "node id \(node.rawValue) is already registered by a live worker (lease \(lease), renewed while this one waited): give this worker another --id, or stop the other one first"
        )
    }
}
