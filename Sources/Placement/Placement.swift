import ClusterModel

/// The outcome of placing one job: a node, or why no node fits.
public enum PlacementDecision: Hashable, Sendable {
    /// The job goes to `node`, which scored `score` under the strategy.
    case placed(node: NodeID, score: Int)
    /// No node fits. `reasons` holds, per node, every reason it was rejected; empty when the
    /// cluster has no nodes at all.
    case unschedulable(reasons: [NodeID: [NodeRejection]])

    /// The chosen node, if any.
    public var node: NodeID? {
        if case let .placed(node, _) = self { return node }
        return nil
    }
}

/// Places a job on a snapshot of the cluster: a pure, synchronous, deterministic function.
///
/// Feasible nodes are ranked by `strategy`; equal scores go to the node with the smallest id,
/// so the same snapshot always gives the same answer.
public func place(
    _ request: PlacementRequest,
    on nodes: some Sequence<NodeStatus>,
    strategy: PlacementStrategy = .binpack
) -> PlacementDecision {
    var best: (node: NodeID, score: Int)?
    var reasons: [NodeID: [NodeRejection]] = [:]
    for node in nodes {
        let rejected = rejections(of: node, for: request)
        guard rejected.isEmpty else {
            reasons[node.id] = rejected
            continue
        }
        let score = strategy.score(node: node, request: request.resources)
        if let current = best, current.score > score || (current.score == score && current.node < node.id) {
            continue
        }
        best = (node.id, score)
    }
    if let best {
        return .placed(node: best.node, score: best.score)
    }
    return .unschedulable(reasons: reasons)
}

/// The explanation `titan-cli status` shows for a job that waits: one line per node, sorted,
/// or a single line when there are no nodes.
public func explain(_ reasons: [NodeID: [NodeRejection]]) -> [String] {
    guard !reasons.isEmpty else { return ["no nodes are registered"] }
    return reasons.keys.sorted().map { node in
        "\(node.rawValue): " + reasons[node, default: []].map(\.description).joined(separator: "; ")
    }
}
