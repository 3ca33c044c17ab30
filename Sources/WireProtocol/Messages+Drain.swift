import ClusterModel
import NIOCore

// Draining a node: a user's `DrainNode` / `UncordonNode` (answered by `DrainResult`), and a
// stopping worker's `Stopping`. Layouts: `Protocol/README.md` §6.3.

/// `DrainNode` (0x0108): the node takes no new jobs from now on; its running jobs go on, and if
/// a deadline is given, those still there when it passes stop and run again elsewhere (as a
/// node loss, not the jobs' failure). Answered by `DrainResult`, or `Error(notFound)` for a node
/// the leader does not know.
public struct DrainNode: Hashable, Sendable, WirePayload {
    /// The request's correlation id.
    public var correlationID: UInt64
    /// The node.
    public var nodeID: NodeID
    /// Milliseconds from now until the jobs left are moved, at most
    /// ``NodeDrain/maxDeadlineMillis``; nil: they run to their end (or keep the deadline of an
    /// earlier drain).
    public var deadlineMillis: UInt64?

    /// Creates a request.
    public init(correlationID: UInt64, nodeID: NodeID, deadlineMillis: UInt64? = nil) {
        self.correlationID = correlationID
        self.nodeID = nodeID
        self.deadlineMillis = deadlineMillis
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
        try buffer.writeWireID(self.nodeID.rawValue, field: "DrainNode.nodeID")
        try buffer.writeWireOptional(self.deadlineMillis) { (b: inout ByteBuffer, millis: UInt64) throws(WireError) in
            try b.writeWireDrainMillis(millis, field: "DrainNode.deadlineMillis")
        }
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("DrainNode.correlationID")
        self.nodeID = NodeID(try reader.readID("DrainNode.nodeID"))
        self.deadlineMillis = try reader.readOptional("DrainNode.deadlineMillis") { (r: inout WireReader) throws(WireError) in
            try r.readDrainMillis("DrainNode.deadlineMillis")
        }
    }
}

/// `UncordonNode` (0x0109): the node takes new jobs again; a user's drain and its pending
/// deadline are dropped. Answered by `DrainResult`, or `Error(notFound)`.
public struct UncordonNode: Hashable, Sendable, WirePayload {
    /// The request's correlation id.
    public var correlationID: UInt64
    /// The node.
    public var nodeID: NodeID

    /// Creates a request.
    public init(correlationID: UInt64, nodeID: NodeID) {
        self.correlationID = correlationID
        self.nodeID = nodeID
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
        try buffer.writeWireID(self.nodeID.rawValue, field: "UncordonNode.nodeID")
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("UncordonNode.correlationID")
        self.nodeID = NodeID(try reader.readID("UncordonNode.nodeID"))
    }
}

/// `DrainResult` (0x0208): the node's drain after a `DrainNode` or `UncordonNode`.
public struct DrainResult: Hashable, Sendable, WirePayload {
    /// The correlation id of the request.
    public var correlationID: UInt64
    /// The node.
    public var nodeID: NodeID
    /// Whether the request changed anything (false: the node already was in that state).
    public var changed: Bool
    /// Why the node takes no new jobs now; nil: it is schedulable.
    public var drain: NodeDrain?
    /// The jobs on the node now (scheduled or running).
    public var jobCount: UInt32

    /// Creates an answer.
    public init(correlationID: UInt64, nodeID: NodeID, changed: Bool, drain: NodeDrain?, jobCount: UInt32) {
        self.correlationID = correlationID
        self.nodeID = nodeID
        self.changed = changed
        self.drain = drain
        self.jobCount = jobCount
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
        try buffer.writeWireID(self.nodeID.rawValue, field: "DrainResult.nodeID")
        buffer.writeWireBool(self.changed)
        try buffer.writeWireOptional(self.drain) { (b: inout ByteBuffer, drain: NodeDrain) in b.writeWireNodeDrain(drain) }
        buffer.writeInteger(self.jobCount)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("DrainResult.correlationID")
        self.nodeID = NodeID(try reader.readID("DrainResult.nodeID"))
        self.changed = try reader.readBool("DrainResult.changed")
        self.drain = try reader.readOptional("DrainResult.drain") { (r: inout WireReader) throws(WireError) in
            try r.readNodeDrain("DrainResult.drain")
        }
        self.jobCount = try reader.readInteger("DrainResult.jobCount")
    }
}

/// `Stopping` (0x030A, worker to server): the worker is shutting down (SIGTERM). The server
/// places nothing more on its node while this session lives; the worker lets its running jobs
/// end for up to `timeoutMillis`, then stops the rest and reports them lost to the
/// infrastructure (`Exited` with `lostByInfrastructure`), so they run again elsewhere. Sent at
/// once and again at the start of every later session of the same process; a worker process
/// that starts anew does not send it, so its node is schedulable again.
public struct Stopping: Hashable, Sendable, WirePayload {
    /// How long, from when it was sent, the worker lets its jobs run (for people: `nodes`
    /// shows it), at most ``NodeDrain/maxDeadlineMillis``.
    public var timeoutMillis: UInt64

    /// Creates the notice.
    public init(timeoutMillis: UInt64) {
        self.timeoutMillis = timeoutMillis
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        try buffer.writeWireDrainMillis(self.timeoutMillis, field: "Stopping.timeoutMillis")
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.timeoutMillis = try reader.readDrainMillis("Stopping.timeoutMillis")
    }
}

extension NodeDrain.Origin: WireEnum {
    var wireCode: UInt8 {
        switch self {
        case .user: return 1
        case .worker: return 2
        }
    }
}

extension ByteBuffer {
    /// Writes a duration of a drain in milliseconds after checking its bound.
    mutating func writeWireDrainMillis(_ millis: UInt64, field: String) throws(WireError) {
        guard millis <= NodeDrain.maxDeadlineMillis else {
            throw WireError.invalidValue(field: field, detail: "\(millis) ms is above \(NodeDrain.maxDeadlineMillis) (30 days)")
        }
        self.writeInteger(millis)
    }

    /// Writes a `NodeDrain`: origin, since, deadline (0 = none).
    mutating func writeWireNodeDrain(_ drain: NodeDrain) {
        self.writeWireEnum(drain.origin)
        self.writeInteger(drain.since.rawValue)
        self.writeInteger(drain.deadline?.rawValue ?? 0)
    }
}

extension WireReader {
    /// Reads a duration of a drain in milliseconds and checks its bound.
    mutating func readDrainMillis(_ field: String) throws(WireError) -> UInt64 {
        let millis: UInt64 = try self.readInteger(field)
        guard millis <= NodeDrain.maxDeadlineMillis else {
            throw WireError.invalidValue(field: field, detail: "\(millis) ms is above \(NodeDrain.maxDeadlineMillis) (30 days)")
        }
        return millis
    }

    /// Reads a `NodeDrain`.
    mutating func readNodeDrain(_ field: String) throws(WireError) -> NodeDrain {
        NodeDrain(
            origin: try self.readEnum(field + ".origin"),
            since: UnixMillis(try self.readInteger(field + ".since")),
            deadline: Self.optionalTime(try self.readInteger(field + ".deadline"))
        )
    }
}
