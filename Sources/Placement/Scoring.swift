import ClusterModel

/// How the leader ranks the nodes a job fits on.
public enum PlacementStrategy: String, Hashable, Sendable, CaseIterable {
    /// Kubernetes' MostAllocated: prefer the fullest node that still fits, keeping others empty
    /// for big jobs. The default.
    case binpack
    /// LeastAllocated: prefer the emptiest node, spreading load.
    case spread

    /// The node's score for the request, an integer 0…100; higher wins.
    ///
    /// Per resource, binpack scores `(allocated + request) * 100 / capacity` and spread scores
    /// `(capacity - allocated - request) * 100 / capacity`; the node's score is the mean of the
    /// CPU and memory scores (equal weights), rounded down. A resource with zero capacity scores 0.
    public func score(node: NodeStatus, request: Resources) -> Int {
        let capacity = node.descriptor.capacity
        let after = node.allocated + request
        let cpu = Self.percent(used: after.cpuMillis, of: capacity.cpuMillis)
        let memory = Self.percent(used: after.memoryBytes, of: capacity.memoryBytes)
        switch self {
        case .binpack:
            return (cpu + memory) / 2
        case .spread:
            let cpuFree = capacity.cpuMillis > 0 ? 100 - cpu : 0
            let memoryFree = capacity.memoryBytes > 0 ? 100 - memory : 0
            return (cpuFree + memoryFree) / 2
        }
    }

    private static func percent(used: Int64, of capacity: Int64) -> Int {
        guard capacity > 0 else { return 0 }
        // Multiply in Double-free 128-bit-safe steps: capacities in bytes times 100 fit in Int64
        // up to 92 PB, far past any node.
        return Int(min(100, max(0, used * 100 / capacity)))
    }
}
