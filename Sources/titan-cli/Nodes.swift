import ArgumentParser
import ClusterModel
import Foundation
import Placement
import TitanClient

/// `titan-cli nodes`: capacity, allocation, jobs, readiness, schedulability and age of every node.
struct Nodes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List nodes: capacity, allocated, jobs, readiness, whether they take new jobs, age.")

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let nodes = try await cluster.withLeader { try await $0.nodes() }
        if cluster.output == .json {
            print(try json(nodes))
            return
        }
        let header = ["NODE", "STATUS", "SCHEDULABLE", "CPU (ALLOC/CAP)", "MEMORY (ALLOC/CAP)", "JOBS", "AGE", "RUNTIMES", "ADDRESS"]
        print(table(header, nodes.map { node in
            let capacity = node.descriptor.capacity
            return [
                node.id.rawValue, node.connected ? "ready" : "disconnected", schedulable(node),
                "\(node.allocated.cpuMillis)m/\(capacity.cpuMillis)m",
                "\(Quantity.bytes(node.allocated.memoryBytes))/\(Quantity.bytes(capacity.memoryBytes))",
                "\(node.jobCount)", node.descriptor.registeredAt.map { kubectlAge(since: $0) } ?? "?",
                node.descriptor.runtimes.map(\.rawValue).sorted().joined(separator: ","),
                node.descriptor.address,
            ]
        }))
    }
}

/// `yes`, `no (drained)`, `no (draining, deadline in 25s)`, `no (worker stopping, jobs stop in 20s)`.
func schedulable(_ node: NodeStatus) -> String {
    guard let drain = node.drain else { return "yes" }
    switch drain.origin {
    case .user:
        guard let deadline = drain.deadline, node.jobCount > 0 else { return "no (drained)" }
        return "no (draining, deadline in \(timeUntil(deadline)))"
    case .worker:
        guard let deadline = drain.deadline, node.jobCount > 0 else { return "no (worker stopping)" }
        return "no (worker stopping, jobs stop in \(timeUntil(deadline)))"
    }
}

/// kubectl's AGE: the largest unit, with a second one while it is small (`45s`, `5m`, `2h15m`,
/// `3d4h`, `12d`).
func kubectlAge(since millis: UnixMillis) -> String {
    let seconds = max(0, Int(Date().timeIntervalSince1970) - Int(millis.rawValue / 1000))
    switch seconds {
    case ..<120: return "\(seconds)s"
    case ..<(10 * 60): return "\(seconds / 60)m\(seconds % 60 == 0 ? "" : "\(seconds % 60)s")"
    case ..<(3 * 3600): return "\(seconds / 60)m"
    case ..<(8 * 3600): return "\(seconds / 3600)h\((seconds % 3600) / 60 == 0 ? "" : "\((seconds % 3600) / 60)m")"
    case ..<(2 * 86_400): return "\(seconds / 3600)h"
    case ..<(8 * 86_400): return "\(seconds / 86_400)d\((seconds % 86_400) / 3600 == 0 ? "" : "\((seconds % 86_400) / 3600)h")"
    default: return "\(seconds / 86_400)d"
    }
}
