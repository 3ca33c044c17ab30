/// Where a job is in its life.
///
/// ```
/// pending ──▶ scheduled ──▶ running ──▶ succeeded | failed
///    ▲            │            │
///    └────────────┴────────────┘  node lost, attempts remain (otherwise: lost)
/// any non-final state ──▶ cancelled
/// ```
///
/// The raw values are the names stored in etcd records; the wire protocol has its own byte codes.
public enum JobState: String, Hashable, Sendable, Codable, CaseIterable {
    /// Accepted and durable, waiting for a node with room.
    case pending
    /// Placed on a node; the assignment may not have reached the worker yet.
    case scheduled
    /// The worker reported that the job started.
    case running
    /// The job exited with code 0.
    case succeeded
    /// The job exited with a non-zero code, timed out, or could not start; no attempts remain.
    case failed
    /// A user cancelled the job before it finished.
    case cancelled
    /// The job's node was lost and no attempts remain.
    case lost

    /// Whether the job can never change state again.
    public var isFinal: Bool {
        switch self {
        case .pending, .scheduled, .running:
            return false
        case .succeeded, .failed, .cancelled, .lost:
            return true
        }
    }

    /// Whether the job holds capacity on a node in this state.
    public var holdsCapacity: Bool {
        switch self {
        case .scheduled, .running:
            return true
        case .pending, .succeeded, .failed, .cancelled, .lost:
            return false
        }
    }

    /// Whether moving from this state to `next` is one of the job life cycle's transitions.
    ///
    /// Staying in the same state is not a transition. `failed` is reachable from `scheduled`
    /// too, for a job that could not be started (bad image, exec failure).
    public func canTransition(to next: JobState) -> Bool {
        switch (self, next) {
        case (.pending, .scheduled), (.pending, .cancelled):
            return true
        case (.scheduled, .running), (.scheduled, .pending), (.scheduled, .failed),
            (.scheduled, .cancelled), (.scheduled, .lost):
            return true
        case (.running, .succeeded), (.running, .failed), (.running, .pending),
            (.running, .cancelled), (.running, .lost):
            return true
        default:
            return false
        }
    }
}

/// How a worker runs a job.
public enum Runtime: String, Hashable, Sendable, Codable, CaseIterable {
    /// A plain process started by the worker (`posix_spawn`), without isolation.
    case exec
    /// A container run through the Docker Engine API.
    case docker
}

/// The network a job's container gets.
public enum NetworkMode: String, Hashable, Sendable, Codable, CaseIterable {
    /// No network at all (the default).
    case none
    /// The host's network namespace.
    case host
}

/// Which output stream of a job a log chunk belongs to.
public enum LogStreamKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// The job's standard output.
    case stdout
    /// The job's standard error.
    case stderr

    /// The stream's code on the wire (`LogChunk`, `FollowLogs`) and in the log archive: 1
    /// stdout, 2 stderr. The one place the mapping is written.
    public var code: UInt8 {
        switch self {
        case .stdout: return 1
        case .stderr: return 2
        }
    }

    /// The stream with this ``code``, or `nil` for any other byte.
    public init?(code: UInt8) {
        switch code {
        case 1: self = .stdout
        case 2: self = .stderr
        default: return nil
        }
    }
}

/// What a cancellation request achieved.
public enum CancelOutcome: String, Hashable, Sendable, Codable, CaseIterable {
    /// The job was not final; it is now `cancelled` (its container is being stopped).
    case cancelled
    /// The job had already reached a final state; nothing changed.
    case alreadyFinal
}
