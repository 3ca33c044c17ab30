import ArgumentParser
import ClusterModel
import Placement
import TitanClient

/// `titan-cli nodes`: capacity, allocation, jobs and readiness of every node.
struct Nodes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List nodes: capacity, allocated, jobs, readiness.")

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let nodes = try await cluster.withLeader { try await $0.nodes() }
        if cluster.output == .json {
            print(try json(nodes))
            return
        }
        print(table(["NODE", "STATUS", "CPU (ALLOC/CAP)", "MEMORY (ALLOC/CAP)", "JOBS", "RUNTIMES", "ADDRESS"], nodes.map { node in
            let status = node.draining ? "draining" : node.connected ? "ready" : "disconnected"
            let capacity = node.descriptor.capacity
            return [
                node.id.rawValue, status,
                "\(node.allocated.cpuMillis)m/\(capacity.cpuMillis)m",
                "\(Quantity.bytes(node.allocated.memoryBytes))/\(Quantity.bytes(capacity.memoryBytes))",
                "\(node.jobCount)", node.descriptor.runtimes.map(\.rawValue).sorted().joined(separator: ","),
                node.descriptor.address,
            ]
        }))
    }
}
