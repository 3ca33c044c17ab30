/// What a worker says about itself when it registers (`/titan/v1/nodes/<id>`).
public struct NodeDescriptor: Hashable, Sendable, Codable {
    /// The node's identifier.
    public var id: NodeID
    /// Where the node can be reached, for a person (`host:port` or a host name). May be empty.
    public var address: String
    /// The resources the node offers to jobs.
    public var capacity: Resources
    /// The node's labels, matched against job node selectors.
    public var labels: [String: String]
    /// The runtimes the node can run.
    public var runtimes: Set<Runtime>
    /// The worker's software version, for a person. May be empty.
    public var version: String
    /// When the worker registered this incarnation (its clock); nil in records that predate it.
    public var registeredAt: UnixMillis?

    /// Creates a node description.
    public init(
        id: NodeID,
        address: String = "",
        capacity: Resources,
        labels: [String: String] = [:],
        runtimes: Set<Runtime>,
        version: String = "",
        registeredAt: UnixMillis? = nil
    ) {
        self.id = id
        self.address = address
        self.capacity = capacity
        self.labels = labels
        self.runtimes = runtimes
        self.version = version
        self.registeredAt = registeredAt
    }

    /// Whether every label of `selector` is a label of this node with the same value.
    public func matches(selector: [String: String]) -> Bool {
        selector.allSatisfy { self.labels[$0.key] == $0.value }
    }
}

/// A node as the leader sees it: its description plus what it runs now.
public struct NodeStatus: Hashable, Sendable, Codable {
    /// What the node registered.
    public var descriptor: NodeDescriptor
    /// The sum of the requests of the jobs placed on the node and not finished.
    public var allocated: Resources
    /// How many jobs are placed on the node and not finished.
    public var jobCount: UInt32
    /// Why the node accepts no new jobs (its running jobs continue); nil when it does.
    public var drain: NodeDrain?
    /// Whether the worker holds a session to the leader right now.
    public var connected: Bool

    /// Creates a node status.
    public init(
        descriptor: NodeDescriptor,
        allocated: Resources = .zero,
        jobCount: UInt32 = 0,
        drain: NodeDrain? = nil,
        connected: Bool = false
    ) {
        self.descriptor = descriptor
        self.allocated = allocated
        self.jobCount = jobCount
        self.drain = drain
        self.connected = connected
    }

    /// The node's identifier.
    public var id: NodeID { self.descriptor.id }

    /// Whether the node accepts no new jobs (``drain`` says why).
    public var draining: Bool { self.drain != nil }

    /// Capacity not yet allocated (negative if the node is overcommitted).
    public var free: Resources { self.descriptor.capacity - self.allocated }
}

extension NodeStatus {
    private enum CodingKeys: String, CodingKey {
        case descriptor, allocated, jobCount, drain, draining, connected
    }

    /// Decodes the JSON shape ``encode(to:)`` writes (`draining` is implied by `drain`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            descriptor: try container.decode(NodeDescriptor.self, forKey: .descriptor),
            allocated: try container.decode(Resources.self, forKey: .allocated),
            jobCount: try container.decode(UInt32.self, forKey: .jobCount),
            drain: try container.decodeIfPresent(NodeDrain.self, forKey: .drain),
            connected: try container.decode(Bool.self, forKey: .connected))
    }

    /// Encodes every field and, for readers of the JSON before drains had details, `draining`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(descriptor, forKey: .descriptor)
        try container.encode(allocated, forKey: .allocated)
        try container.encode(jobCount, forKey: .jobCount)
        try container.encodeIfPresent(drain, forKey: .drain)
        try container.encode(draining, forKey: .draining)
        try container.encode(connected, forKey: .connected)
    }
}
