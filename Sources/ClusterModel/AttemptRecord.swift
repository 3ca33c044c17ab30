/// How one attempt of a job ended, and whose fault it was.
public enum AttemptOutcome: String, Hashable, Sendable, Codable, CaseIterable {
    /// It exited with code 0.
    case succeeded
    /// It failed on its own: a non-zero exit, an OOM kill, a timeout, a start that failed.
    /// Counted against the job's `maxAttempts`.
    case failed
    /// The infrastructure lost it: its node's lease ended, its worker restarted without it.
    /// Counted against the job's `maxNodeLosses`, not `maxAttempts`.
    case nodeLost
    /// A user cancelled the job while this attempt held a node.
    case cancelled
}

/// One ended attempt of a job, as `titan-cli status` lists it.
public struct AttemptRecord: Hashable, Sendable, Codable {
    /// How many ended attempts a job record keeps: the most recent ones.
    public static let historyLimit = 32

    /// The attempt's number, from 1.
    public var number: UInt32
    /// The node it was placed on.
    public var node: NodeID
    /// When its worker reported it started; `nil` if it never did.
    public var startedAt: UnixMillis?
    /// When the leader learned that it ended.
    public var endedAt: UnixMillis
    /// How it ended.
    public var outcome: AttemptOutcome
    /// Its exit code, when it exited.
    public var exitCode: Int32?
    /// Why it ended, for a person ("exited with code 3", "node w1 was lost (its lease expired)").
    public var reason: String

    /// Creates a record.
    public init(
        number: UInt32, node: NodeID, startedAt: UnixMillis?, endedAt: UnixMillis, outcome: AttemptOutcome, exitCode: Int32? = nil, reason: String
    ) {
        self.number = number
        self.node = node
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.exitCode = exitCode
        self.reason = reason
    }
}

extension Array where Element == AttemptRecord {
    /// Appends `record`, forgetting the oldest beyond ``AttemptRecord/historyLimit``.
    public mutating func appendBounded(_ record: AttemptRecord) {
        append(record)
        if count > AttemptRecord.historyLimit {
            removeFirst(count - AttemptRecord.historyLimit)
        }
    }
}
