import ArgumentParser
import ClusterModel
import Foundation
import TitanClient
import WireProtocol

/// `titan-cli drain NODE [--deadline D] [--wait]`: the node takes no new jobs.
struct Drain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drain a node: it takes no new jobs; running jobs finish, or after --deadline run again elsewhere.",
        discussion: """
            The drain is kept in etcd until `titan-cli uncordon`: it outlives a leader fail-over and \
            a restart of the node's worker. Jobs moved at the deadline run again as a new attempt \
            that does not count against --max-attempts (like a lost node).
            """
    )

    @OptionGroup var cluster: ClusterOptions

    @Argument(help: "The node id (as `titan-cli nodes` lists it).")
    var node: String

    @Option(parsing: .unconditional, help: "How long the node's jobs may still run, e.g. 90s, 10m, 2h (0 to 30d); then they run again elsewhere. Default: they run to their end.")
    var deadline: String?

    @Flag(help: "Return only once the node has no jobs left.")
    var wait = false

    @Option(parsing: .unconditional, help: "With --wait: how long to wait at most, e.g. 10m (1s to 30d).")
    var waitTimeout = "30m"

    func run() async throws {
        let id = NodeID(node)
        let deadlineMillis: UInt64?
        let patience: Int64
        do {
            deadlineMillis = try deadline.map { UInt64(try QuantityParser.durationSeconds($0, flag: "--deadline", upTo: Int64(NodeDrain.maxDeadlineMillis / 1000))) * 1000 }
            patience = try QuantityParser.durationSeconds(waitTimeout, flag: "--wait-timeout", upTo: Int64(NodeDrain.maxDeadlineMillis / 1000))
        } catch {
            throw ValidationError("\(error)")
        }
        guard patience > 0 else { throw ValidationError("--wait-timeout '\(waitTimeout)' is out of range: use 1s to 30d") }
        let result = try await cluster.drainRequest { try await $0.drain(id, deadlineMillis: deadlineMillis) }
        print(cluster.output == .json ? try json(DrainSummary(result)) : sentence(result))
        if wait {
            try await waitUntilEmpty(id, patience: .seconds(patience))
        }
    }

    /// One line: what happened and what happens to the node's jobs.
    private func sentence(_ result: DrainResult) -> String {
        let name = result.nodeID.rawValue
        let one = result.jobCount == 1
        let head = result.changed ? "drained \(name): it takes no new jobs" : "\(name) was already drained"
        guard result.jobCount > 0 else { return head + "; no job runs on it" }
        let jobs = one ? "1 job on it" : "\(result.jobCount) jobs on it"
        if let deadline = result.drain?.deadline {
            return head + "; \(jobs) \(one ? "moves" : "move") elsewhere in \(timeUntil(deadline)) unless \(one ? "it ends" : "they end") first"
        }
        return head + "; \(jobs) \(one ? "runs to its end" : "run to their end")"
    }

    /// Waits, within `patience`, until the leader lists `node` with no job; every job event
    /// prompts a fresh look (pushed, not polled).
    private func waitUntilEmpty(_ node: NodeID, patience: Duration) async throws {
        let started = ContinuousClock.now
        let empty = try await cluster.withLeader { connection in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await connection.watchJobs()
                    if try await Self.jobCount(of: node, connection) == 0 { return true }
                    for await push in connection.pushes {
                        guard case .jobEvent = push else { continue }
                        if try await Self.jobCount(of: node, connection) == 0 { return true }
                    }
                    throw CLIFailure("the connection to the leader closed while waiting for \(node.rawValue) to empty: run the command again")
                }
                group.addTask {
                    try await Task.sleep(for: patience - (ContinuousClock.now - started))
                    return false
                }
                defer { group.cancelAll() }
                return try await group.next() ?? false
            }
        }
        guard empty else {
            throw CLIFailure("\(node.rawValue) still had jobs after --wait-timeout \(waitTimeout): it stays drained; see titan-cli list --node \(node.rawValue)")
        }
        if cluster.output == .table { print("\(node.rawValue) has no jobs left") }
    }

    private static func jobCount(of node: NodeID, _ connection: TitanConnection) async throws -> UInt32 {
        try await connection.nodes().first { $0.id == node }?.jobCount ?? 0
    }
}

/// `titan-cli uncordon NODE`: the node takes new jobs again.
struct Uncordon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Make a drained node schedulable again (a pending drain deadline is dropped).")

    @OptionGroup var cluster: ClusterOptions

    @Argument(help: "The node id.")
    var node: String

    func run() async throws {
        let id = NodeID(node)
        let result = try await cluster.drainRequest { try await $0.uncordon(id) }
        if cluster.output == .json {
            print(try json(DrainSummary(result)))
        } else if result.drain?.origin == .worker {
            print("uncordoned \(id.rawValue), but its worker is shutting down: it takes no new jobs until a worker starts again")
        } else {
            print(result.changed ? "uncordoned \(id.rawValue): it takes new jobs again" : "\(id.rawValue) was not drained: it takes new jobs")
        }
    }
}

/// What `drain` and `uncordon` print with `--output json`.
struct DrainSummary: Encodable {
    var node: String
    var changed: Bool
    var drain: NodeDrain?
    var jobCount: UInt32

    init(_ result: DrainResult) {
        node = result.nodeID.rawValue
        changed = result.changed
        drain = result.drain
        jobCount = result.jobCount
    }
}

extension ClusterOptions {
    /// A drain or uncordon request to the leader; an unknown node is a ``CLIFailure`` naming it.
    func drainRequest(_ body: @escaping @Sendable (TitanConnection) async throws -> DrainResult) async throws -> DrainResult {
        do {
            return try await withLeader(body)
        } catch TitanClientError.server(code: .notFound, let message) {
            throw CLIFailure(message)
        }
    }
}
