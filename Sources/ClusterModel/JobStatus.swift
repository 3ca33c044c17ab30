/// A point in time as milliseconds since the Unix epoch (UTC).
///
/// Titan's pure layers carry time as this plain number so that they need no Foundation and
/// encode identically on the wire and in etcd.
public struct UnixMillis: RawRepresentable, Hashable, Comparable, Sendable {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var rawValue: UInt64

    /// Wraps a number of milliseconds since the Unix epoch.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Wraps a number of milliseconds since the Unix epoch; the same as `init(rawValue:)`.
    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Orders points in time.
    public static func < (lhs: UnixMillis, rhs: UnixMillis) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

extension UnixMillis: Codable {
    /// Decodes a bare number of milliseconds.
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(UInt64.self))
    }

    /// Encodes a bare number of milliseconds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }
}

/// What the leader knows about a job at one moment: the part of the job record that changes.
public struct JobStatus: Hashable, Sendable, Codable {
    /// The job's state.
    public var state: JobState
    /// The node of the current or last attempt; `nil` while the job was never placed.
    public var node: NodeID?
    /// The number of the current or last attempt, from 1; `0` while the job was never placed.
    public var attempt: UInt32
    /// The epoch of the current or last assignment; `.none` while the job was never placed.
    public var epoch: Epoch
    /// The exit code of the last attempt, once it exited.
    public var exitCode: Int32?
    /// Why the job is in its state, for a person: why it waits, why it failed. May be empty.
    public var message: String
    /// When the leader accepted the job.
    public var submittedAt: UnixMillis
    /// When the state last changed.
    public var updatedAt: UnixMillis

    /// Creates a status.
    public init(
        state: JobState,
        node: NodeID? = nil,
        attempt: UInt32 = 0,
        epoch: Epoch = .none,
        exitCode: Int32? = nil,
        message: String = "",
        submittedAt: UnixMillis,
        updatedAt: UnixMillis
    ) {
        self.state = state
        self.node = node
        self.attempt = attempt
        self.epoch = epoch
        self.exitCode = exitCode
        self.message = message
        self.submittedAt = submittedAt
        self.updatedAt = updatedAt
    }
}

/// A job as listed: its identity and status, without the spec.
public struct JobSummary: Hashable, Sendable, Codable {
    /// The job's identifier.
    public var id: JobID
    /// The job's name from its spec, if it has one.
    public var name: String?
    /// The job's status.
    public var status: JobStatus

    /// Creates a summary.
    public init(id: JobID, name: String?, status: JobStatus) {
        self.id = id
        self.name = name
        self.status = status
    }
}

/// A job in full: identity, spec and status.
public struct JobDetails: Hashable, Sendable, Codable {
    /// The job's identifier.
    public var id: JobID
    /// What the user submitted.
    public var spec: JobSpec
    /// The job's status.
    public var status: JobStatus

    /// Creates a full job description.
    public init(id: JobID, spec: JobSpec, status: JobStatus) {
        self.id = id
        self.spec = spec
        self.status = status
    }

    /// The job without its spec.
    public var summary: JobSummary {
        JobSummary(id: self.id, name: self.spec.name, status: self.status)
    }
}

