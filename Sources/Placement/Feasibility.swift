import ClusterModel

/// What a job asks of a node: resources, a runtime, and labels the node must carry.
public struct PlacementRequest: Hashable, Sendable {
    /// CPU and memory the job reserves while it is scheduled or running.
    public var resources: Resources
    /// The runtime the node must offer.
    public var runtime: Runtime
    /// Labels the node must carry with exactly these values.
    public var nodeSelector: [String: String]

    /// Creates a request.
    public init(resources: Resources, runtime: Runtime, nodeSelector: [String: String] = [:]) {
        self.resources = resources
        self.runtime = runtime
        self.nodeSelector = nodeSelector
    }

    /// The request a job spec makes.
    public init(_ spec: JobSpec) {
        self.init(resources: spec.resources, runtime: spec.runtime, nodeSelector: spec.nodeSelector)
    }
}

/// Why one node cannot take a job: data, shown to the user as the reason a job waits.
public enum NodeRejection: Hashable, Sendable, CustomStringConvertible {
    /// The node's worker has no session with the leader (it may be starting or reconnecting).
    case disconnected
    /// The node is draining and takes no new work.
    case draining
    /// The node does not offer the job's runtime.
    case runtimeUnsupported(Runtime)
    /// The node lacks a label the job selects on, or has another value.
    case labelMismatch(key: String, wanted: String, actual: String?)
    /// Free CPU (millicores) is below the request.
    case insufficientCPU(requested: Int64, free: Int64)
    /// Free memory (bytes) is below the request.
    case insufficientMemory(requested: Int64, free: Int64)

    /// One phrase, e.g. `insufficient cpu: requested 500m, free 250m`.
    public var description: String {
        switch self {
        case .disconnected:
            return "worker not connected"
        case .draining:
            return "node is draining"
        case let .runtimeUnsupported(runtime):
            return "runtime \(runtime.rawValue) not offered"
        case let .labelMismatch(key, wanted, actual):
            return "label \(key)=\(wanted) wanted, node has \(actual.map { "\(key)=\($0)" } ?? "no \(key)")"
        case let .insufficientCPU(requested, free):
            return "insufficient cpu: requested \(requested)m, free \(free)m"
        case let .insufficientMemory(requested, free):
            return "insufficient memory: requested \(Quantity.bytes(requested)), free \(Quantity.bytes(free))"
        }
    }
}

/// Feasibility: every reason a node cannot take the request, in a fixed order (empty = fits).
public func rejections(of node: NodeStatus, for request: PlacementRequest) -> [NodeRejection] {
    var reasons: [NodeRejection] = []
    if !node.connected { reasons.append(.disconnected) }
    if node.draining { reasons.append(.draining) }
    if !node.descriptor.runtimes.contains(request.runtime) {
        reasons.append(.runtimeUnsupported(request.runtime))
    }
    for (key, wanted) in request.nodeSelector.sorted(by: { $0.key < $1.key }) {
        let actual = node.descriptor.labels[key]
        if actual != wanted { reasons.append(.labelMismatch(key: key, wanted: wanted, actual: actual)) }
    }
    let free = node.free
    if request.resources.cpuMillis > free.cpuMillis {
        reasons.append(.insufficientCPU(requested: request.resources.cpuMillis, free: free.cpuMillis))
    }
    if request.resources.memoryBytes > free.memoryBytes {
        reasons.append(.insufficientMemory(requested: request.resources.memoryBytes, free: free.memoryBytes))
    }
    return reasons
}

/// Human forms of resource quantities, matching what `titan-cli` accepts (`64Mi`, `1.5Gi`).
public enum Quantity {
    /// Bytes in binary units: `512B`, `64Mi`, `1.5Gi`.
    public static func bytes(_ value: Int64) -> String {
        let units: [(String, Int64)] = [("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)]
        for (suffix, size) in units where abs(value) >= size {
            if value % size == 0 { return "\(value / size)\(suffix)" }
            let tenths = (value * 10) / size
            return "\(tenths / 10).\(abs(tenths % 10))\(suffix)"
        }
        return "\(value)B"
    }
}
