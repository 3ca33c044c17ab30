import ClusterModel
import NIOCore

/// `ListJobs` (0x0103): a page of job summaries, in job id order. Answered by `JobList`.
public struct ListJobs: Hashable, Sendable, WirePayload {
    /// The request's correlation id.
    public var correlationID: UInt64
    /// Only jobs in one of these states; empty means every state. A `u16` bit mask on the wire.
    public var states: Set<JobState>
    /// Only jobs whose current or last attempt is on this node.
    public var node: NodeID?
    /// Only jobs whose id sorts after this one (the `nextAfter` of the previous page).
    public var after: JobID?
    /// At most this many jobs; `0` asks for the server's default (100). A server answers at most
    /// `WireLimits.maxListJobs` (1000) whatever the limit.
    public var limit: UInt16
    /// Only jobs carrying every one of these labels with the same value; empty means no filter.
    /// Appended in protocol 1.1: written only when not empty, so an empty selector encodes as
    /// before, and a server that predates it ignores it (its absence is the old behaviour).
    public var labels: [String: String]

    /// Creates a request.
    public init(correlationID: UInt64, states: Set<JobState> = [], node: NodeID? = nil, after: JobID? = nil, limit: UInt16 = 0, labels: [String: String] = [:]) {
        self.correlationID = correlationID
        self.states = states
        self.node = node
        self.after = after
        self.limit = limit
        self.labels = labels
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
        buffer.writeWireEnumSet(self.states, mask: UInt16.self)
        try buffer.writeWireOptional(self.node) { (b: inout ByteBuffer, node: NodeID) throws(WireError) in
            try b.writeWireID(node.rawValue, field: "ListJobs.node")
        }
        try buffer.writeWireOptional(self.after) { (b: inout ByteBuffer, after: JobID) throws(WireError) in
            try b.writeWireID(after.rawValue, field: "ListJobs.after")
        }
        buffer.writeInteger(self.limit)
        if !self.labels.isEmpty {
            try buffer.writeWireJobLabels(self.labels, field: "ListJobs.labels")
        }
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("ListJobs.correlationID")
        self.states = try reader.readEnumSet("ListJobs.states", mask: UInt16.self)
        self.node = try reader.readOptional("ListJobs.node") { (r: inout WireReader) throws(WireError) in
            NodeID(try r.readID("ListJobs.node"))
        }
        self.after = try reader.readOptional("ListJobs.after") { (r: inout WireReader) throws(WireError) in
            JobID(try r.readID("ListJobs.after"))
        }
        self.limit = try reader.readInteger("ListJobs.limit")
        self.labels = reader.remainingBytes > 0 ? try reader.readJobLabels("ListJobs.labels") : [:]
    }
}

/// `JobList` (0x0203): a page of job summaries, the answer to `ListJobs`.
public struct JobList: Hashable, Sendable, WirePayload {
    /// The correlation id of the `ListJobs`.
    public var correlationID: UInt64
    /// Up to 1000 summaries, in job id order.
    public var jobs: [JobSummary]
    /// If more jobs match, the id to pass as `ListJobs.after` for the next page.
    public var nextAfter: JobID?

    /// Creates an answer.
    public init(correlationID: UInt64, jobs: [JobSummary], nextAfter: JobID?) {
        self.correlationID = correlationID
        self.jobs = jobs
        self.nextAfter = nextAfter
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
        try buffer.writeWireCount(self.jobs.count, field: "JobList.jobs", limit: WireLimits.maxListJobs)
        for job in self.jobs {
            try buffer.writeWireJobSummary(job)
        }
        try buffer.writeWireOptional(self.nextAfter) { (b: inout ByteBuffer, after: JobID) throws(WireError) in
            try b.writeWireID(after.rawValue, field: "JobList.nextAfter")
        }
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("JobList.correlationID")
        let count = try reader.readCount("JobList.jobs", limit: WireLimits.maxListJobs, minimumItemBytes: 4)
        self.jobs = []
        self.jobs.reserveCapacity(count)
        for _ in 0..<count {
            self.jobs.append(try reader.readJobSummary())
        }
        self.nextAfter = try reader.readOptional("JobList.nextAfter") { (r: inout WireReader) throws(WireError) in
            JobID(try r.readID("JobList.nextAfter"))
        }
    }
}

/// `ListNodes` (0x0105): every registered node. Answered by `NodeList`.
public struct ListNodes: Hashable, Sendable, WirePayload {
    /// The request's correlation id.
    public var correlationID: UInt64

    /// Creates a request.
    public init(correlationID: UInt64) {
        self.correlationID = correlationID
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("ListNodes.correlationID")
    }
}

/// `NodeList` (0x0205): the registered nodes, in node id order; the answer to `ListNodes`.
public struct NodeList: Hashable, Sendable, WirePayload {
    /// The correlation id of the `ListNodes`.
    public var correlationID: UInt64
    /// Up to 512 nodes.
    public var nodes: [NodeStatus]

    /// Creates an answer.
    public init(correlationID: UInt64, nodes: [NodeStatus]) {
        self.correlationID = correlationID
        self.nodes = nodes
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
        try buffer.writeWireCount(self.nodes.count, field: "NodeList.nodes", limit: WireLimits.maxListNodes)
        for node in self.nodes {
            try buffer.writeWireNodeStatus(node)
        }
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("NodeList.correlationID")
        let count = try reader.readCount("NodeList.nodes", limit: WireLimits.maxListNodes, minimumItemBytes: 4)
        self.nodes = []
        self.nodes.reserveCapacity(count)
        for _ in 0..<count {
            self.nodes.append(try reader.readNodeStatus())
        }
    }
}

/// `WatchJobs` (0x0107): subscribe to job state changes. Answered by `Subscribed`, then a
/// `JobEvent` for every change of a watched job, until the connection closes.
public struct WatchJobs: Hashable, Sendable, WirePayload {
    /// The request's correlation id.
    public var correlationID: UInt64
    /// The jobs to watch; empty watches every job.
    public var jobIDs: [JobID]

    /// Creates a request.
    public init(correlationID: UInt64, jobIDs: [JobID] = []) {
        self.correlationID = correlationID
        self.jobIDs = jobIDs
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
        try buffer.writeWireCount(self.jobIDs.count, field: "WatchJobs.jobIDs", limit: WireLimits.maxWatchJobs)
        for id in self.jobIDs {
            try buffer.writeWireID(id.rawValue, field: "WatchJobs.jobIDs[]")
        }
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("WatchJobs.correlationID")
        let count = try reader.readCount("WatchJobs.jobIDs", limit: WireLimits.maxWatchJobs, minimumItemBytes: 3)
        self.jobIDs = []
        self.jobIDs.reserveCapacity(count)
        for _ in 0..<count {
            self.jobIDs.append(JobID(try reader.readID("WatchJobs.jobIDs[]")))
        }
    }
}

/// `Subscribed` (0x0206): a `WatchJobs` or `FollowLogs` subscription is live; pushes follow.
public struct Subscribed: Hashable, Sendable, WirePayload {
    /// The correlation id of the subscribing request.
    public var correlationID: UInt64

    /// Creates an acknowledgement.
    public init(correlationID: UInt64) {
        self.correlationID = correlationID
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("Subscribed.correlationID")
    }
}

/// `JobEvent` (0x0207): a watched job's new status, pushed once its change is durable.
public struct JobEvent: Hashable, Sendable, WirePayload {
    /// The job.
    public var jobID: JobID
    /// The job's status after the change.
    public var status: JobStatus

    /// Creates an event.
    public init(jobID: JobID, status: JobStatus) {
        self.jobID = jobID
        self.status = status
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        try buffer.writeWireID(self.jobID.rawValue, field: "JobEvent.jobID")
        try buffer.writeWireJobStatus(self.status)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.jobID = JobID(try reader.readID("JobEvent.jobID"))
        self.status = try reader.readJobStatus()
    }
}
