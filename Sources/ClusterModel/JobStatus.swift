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
    /// The longest ``message`` (and attempt reason), in UTF-8 bytes: what the wire carries.
    public static let maxMessageBytes = 1024

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
    /// Attempts that failed on their own so far (counted against `maxAttempts`).
    public var failures: UInt32
    /// Attempts lost to the infrastructure so far (counted against `maxNodeLosses`).
    public var nodeLosses: UInt32
    /// For a `pending` job retrying after a failure: not placed before this time.
    public var retryAt: UnixMillis?
    /// When the current attempt was reported started; `nil` before that.
    public var startedAt: UnixMillis?

    /// Creates a status.
    public init(
        state: JobState,
        node: NodeID? = nil,
        attempt: UInt32 = 0,
        epoch: Epoch = .none,
        exitCode: Int32? = nil,
        message: String = "",
        submittedAt: UnixMillis,
        updatedAt: UnixMillis,
        failures: UInt32 = 0,
        nodeLosses: UInt32 = 0,
        retryAt: UnixMillis? = nil,
        startedAt: UnixMillis? = nil
    ) {
        self.state = state
        self.node = node
        self.attempt = attempt
        self.epoch = epoch
        self.exitCode = exitCode
        self.message = message
        self.submittedAt = submittedAt
        self.updatedAt = updatedAt
        self.failures = failures
        self.nodeLosses = nodeLosses
        self.retryAt = retryAt
        self.startedAt = startedAt
    }

    private enum CodingKeys: String, CodingKey {
        case state, node, attempt, epoch, exitCode, message, submittedAt, updatedAt, failures, nodeLosses, retryAt, startedAt
    }

    /// Decodes a status; the counters and times that records written before they existed lack
    /// read as zero and absent.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            state: try c.decode(JobState.self, forKey: .state),
            node: try c.decodeIfPresent(NodeID.self, forKey: .node),
            attempt: try c.decode(UInt32.self, forKey: .attempt),
            epoch: try c.decode(Epoch.self, forKey: .epoch),
            exitCode: try c.decodeIfPresent(Int32.self, forKey: .exitCode),
            message: try c.decode(String.self, forKey: .message),
            submittedAt: try c.decode(UnixMillis.self, forKey: .submittedAt),
            updatedAt: try c.decode(UnixMillis.self, forKey: .updatedAt),
            failures: try c.decodeIfPresent(UInt32.self, forKey: .failures) ?? 0,
            nodeLosses: try c.decodeIfPresent(UInt32.self, forKey: .nodeLosses) ?? 0,
            retryAt: try c.decodeIfPresent(UnixMillis.self, forKey: .retryAt),
            startedAt: try c.decodeIfPresent(UnixMillis.self, forKey: .startedAt)
        )
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

/// A job in full: identity, spec, status, and how its earlier attempts ended.
public struct JobDetails: Hashable, Sendable, Codable {
    /// The job's identifier.
    public var id: JobID
    /// What the user submitted.
    public var spec: JobSpec
    /// The job's status.
    public var status: JobStatus
    /// The attempts that have ended, oldest first: at most ``AttemptRecord/historyLimit``, the
    /// most recent ones (the current attempt is in ``status``).
    public var attempts: [AttemptRecord]

    /// Creates a full job description.
    public init(id: JobID, spec: JobSpec, status: JobStatus, attempts: [AttemptRecord] = []) {
        self.id = id
        self.spec = spec
        self.status = status
        self.attempts = attempts
    }

    private enum CodingKeys: String, CodingKey {
        case id, spec, status, attempts
    }

    /// Decodes a job; a record written before attempts were recorded has none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(JobID.self, forKey: .id),
            spec: try c.decode(JobSpec.self, forKey: .spec),
            status: try c.decode(JobStatus.self, forKey: .status),
            attempts: try c.decodeIfPresent([AttemptRecord].self, forKey: .attempts) ?? []
        )
    }

    /// The job without its spec.
    public var summary: JobSummary {
        JobSummary(id: self.id, name: self.spec.name, status: self.status)
    }
}


extension String {
    /// This text cut to at most `limit` UTF-8 bytes at a character boundary, with `…` when cut.
    public func truncated(toUTF8Bytes limit: Int) -> String {
        guard utf8.count > limit else { return self }
        var result = ""
        var used = 0
        let ellipsis = "…"
        for character in self {
            let size = character.utf8.count
            if used + size + ellipsis.utf8.count > limit { break }
            result.append(character)
            used += size
        }
        return result + ellipsis
    }
}
