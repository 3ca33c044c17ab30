/// The identifier of a job, assigned by the leader when it accepts a submission.
///
/// A `JobID` is an opaque, non-empty string. The wire protocol carries at most 128 UTF-8 bytes
/// of it; the leader is the only component that mints new ones.
public struct JobID: RawRepresentable, Hashable, Comparable, Sendable {
    /// The identifier as text.
    public var rawValue: String

    /// Wraps an identifier. Validation of its length and characters happens at the boundaries
    /// (the wire decoder, the leader's admission), not here.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Wraps an identifier; the same as `init(rawValue:)`.
    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// Orders identifiers by their UTF-8 bytes, which is also the order of their etcd keys.
    public static func < (lhs: JobID, rhs: JobID) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }
}

/// The identifier of a worker node, chosen by the worker (usually its host name).
///
/// A `NodeID` is an opaque, non-empty string of at most 128 UTF-8 bytes on the wire; it names the
/// node's registration key `/titan/v1/nodes/<id>` in etcd.
public struct NodeID: RawRepresentable, Hashable, Comparable, Sendable {
    /// The identifier as text.
    public var rawValue: String

    /// Wraps an identifier. Validation happens at the boundaries, not here.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Wraps an identifier; the same as `init(rawValue:)`.
    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// Orders identifiers by their UTF-8 bytes, which is also the order of their etcd keys.
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }
}

/// The fencing token of one assignment of a job.
///
/// Epochs of one job strictly increase with every assignment. Every report a worker sends about
/// a job carries the epoch of the assignment it runs; the leader refuses a report whose epoch is
/// not the job's current one.
public struct Epoch: RawRepresentable, Hashable, Comparable, Sendable {
    /// The epoch as an unsigned 64-bit number.
    public var rawValue: UInt64

    /// Wraps an epoch value.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Wraps an epoch value; the same as `init(rawValue:)`.
    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// The epoch of a job that has never been assigned.
    public static let none = Epoch(0)

    /// Orders epochs numerically: a larger epoch fences every smaller one.
    public static func < (lhs: Epoch, rhs: Epoch) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

extension JobID: ExpressibleByStringLiteral {
    /// Creates an identifier from a literal, for tests and fixed names.
    public init(stringLiteral value: String) {
        self.init(rawValue: value)
    }
}

extension NodeID: ExpressibleByStringLiteral {
    /// Creates an identifier from a literal, for tests and fixed names.
    public init(stringLiteral value: String) {
        self.init(rawValue: value)
    }
}

extension Epoch: ExpressibleByIntegerLiteral {
    /// Creates an epoch from a literal, for tests.
    public init(integerLiteral value: UInt64) {
        self.init(rawValue: value)
    }
}

extension JobID: CustomStringConvertible {
    /// The identifier itself, so it prints the way a user types it.
    public var description: String { self.rawValue }
}

extension NodeID: CustomStringConvertible {
    /// The identifier itself, so it prints the way a user types it.
    public var description: String { self.rawValue }
}

extension Epoch: CustomStringConvertible {
    /// The epoch as a decimal number.
    public var description: String { String(self.rawValue) }
}

// The three identifiers encode as their bare value (`"job-1"`, `42`), not as `{"rawValue": …}`,
// so the etcd records stay readable with `etcdctl get`.

extension JobID: Codable {
    /// Decodes the identifier from a bare string.
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes the identifier as a bare string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }
}

extension NodeID: Codable {
    /// Decodes the identifier from a bare string.
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes the identifier as a bare string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }
}

extension Epoch: Codable {
    /// Decodes the epoch from a bare number.
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(UInt64.self))
    }

    /// Encodes the epoch as a bare number.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }
}
