/// What the node guard knows, and when it must act: the guard's state machine, pure.
///
/// A worker renews its node lease every third of the TTL and tells its guard each time. The
/// lease runs out at etcd no sooner than its TTL after the last renewal, and the leader then runs
/// the node's jobs elsewhere; so a lease the guard has not heard renewed for a TTL belongs to a
/// worker that died, froze or was cut off, and every attempt started under it must die: the
/// guard kills its containers (labelled `titan.lease`) and its exec jobs' process groups.
///
/// ```
///  renewed(lease) ──▶ tracked ──(no renewal for ttl)──▶ .kill(lease, groups) ──▶ forgotten
///                        └──released(lease)──▶ forgotten (the worker gave the lease back)
/// ```
public struct GuardBook: Sendable, Equatable {
    /// An exec job's process group, and its leader's start time (to tell a reused pid apart).
    public struct Group: Sendable, Hashable {
        /// The process group id: the pid of the job's main process.
        public var id: Int32
        /// Field 22 of `/proc/<id>/stat` when the job started.
        public var startTime: String

        /// Creates a group.
        public init(id: Int32, startTime: String) {
            self.id = id
            self.startTime = startTime
        }
    }

    /// What the guard must do.
    public enum Action: Sendable, Equatable {
        /// Kill and remove the containers labelled with `lease`, and kill `groups`.
        case kill(lease: Int64, groups: [Group])
    }

    /// How long a lease lives without renewal, in milliseconds.
    public let ttlMillis: UInt64
    /// Leases being renewed, with the time (ms, monotonic) of their last renewal.
    public private(set) var leases: [Int64: UInt64] = [:]
    /// Exec jobs' process groups, by lease.
    public private(set) var groups: [Int64: Set<Group>] = [:]
    /// Workers connected now.
    public private(set) var connections = 0
    /// Since when (ms) nothing is connected and nothing tracked; nil while something is.
    public private(set) var idleSince: UInt64?

    /// A book for leases of `ttlMillis`, idle since `now`.
    public init(ttlMillis: UInt64, now: UInt64) {
        self.ttlMillis = ttlMillis
        self.idleSince = now
    }

    /// A worker connected.
    public mutating func connected() {
        connections += 1
        idleSince = nil
    }

    /// A worker's connection ended (it exited or died; its leases stay tracked until renewed
    /// by a successor, released, or out).
    public mutating func disconnected(now: UInt64) {
        connections = max(0, connections - 1)
        markIdle(now)
    }

    /// `lease` was renewed (or granted) at `now`.
    public mutating func renewed(_ lease: Int64, now: UInt64) {
        leases[lease] = now
        idleSince = nil
    }

    /// An exec job started under `lease` in its own process group.
    public mutating func started(_ group: Group, lease: Int64) {
        groups[lease, default: []].insert(group)
    }

    /// The job of process group `id` ended.
    public mutating func ended(group id: Int32) {
        for lease in groups.keys {
            groups[lease] = groups[lease]?.filter { $0.id != id }
        }
    }

    /// The worker gave `lease` back (revoked it) after killing its jobs: nothing to do for it.
    public mutating func released(_ lease: Int64, now: UInt64) {
        leases.removeValue(forKey: lease)
        groups.removeValue(forKey: lease)
        markIdle(now)
    }

    /// The leases not renewed for a TTL by `now`, each with its process groups; they are
    /// forgotten (a later renewal of one starts tracking it again).
    public mutating func expire(now: UInt64) -> [Action] {
        let due = leases.filter { now >= $0.value + ttlMillis }.keys.sorted()
        var actions: [Action] = []
        for lease in due {
            leases.removeValue(forKey: lease)
            let doomed = (groups.removeValue(forKey: lease) ?? []).sorted { $0.id < $1.id }
            actions.append(.kill(lease: lease, groups: doomed))
        }
        markIdle(now)
        return actions
    }

    /// When the next lease runs out, if any is tracked (ms).
    public var nextDeadline: UInt64? {
        leases.values.min().map { $0 + ttlMillis }
    }

    /// Whether the guard has had nothing to watch for `grace` ms by `now`: it may exit.
    public func mayExit(now: UInt64, grace: UInt64) -> Bool {
        guard let idleSince else { return false }
        return now >= idleSince + grace
    }

    private mutating func markIdle(_ now: UInt64) {
        if connections == 0, leases.isEmpty {
            idleSince = idleSince ?? now
        } else {
            idleSince = nil
        }
    }
}
