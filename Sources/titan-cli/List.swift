import ArgumentParser
import ClusterModel
import TitanClient
import WireProtocol

/// `titan-cli list`: jobs in id order, filtered by state, node and labels.
struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List jobs, optionally by state, node and labels.")

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "Only jobs in these states (comma-separated): pending, scheduled, running, succeeded, failed, cancelled, lost.")
    var state: String?

    @Option(help: "Only jobs on this node.")
    var node: String?

    @Option(name: .customLong("label"), help: "Only jobs with this label k=v (repeatable: every one must match).")
    var labels: [String] = []

    @Option(parsing: .unconditional, help: "At most this many jobs (0: all).")
    var limit = 100

    func run() async throws {
        var states: Set<JobState> = []
        for name in (state ?? "").split(separator: ",") {
            guard let parsed = JobState(rawValue: String(name)) else {
                throw ValidationError("--state '\(name)' is unknown: use pending, scheduled, running, succeeded, failed, cancelled or lost")
            }
            states.insert(parsed)
        }
        guard limit >= 0 else { throw ValidationError("--limit \(limit) is out of range: use 0 (all jobs) or a positive number of jobs") }
        let node = node.map { NodeID($0) }
        let selector = try pairs(labels, flag: "--label")
        let filter = states
        let wanted = limit
        let jobs = try await cluster.withLeader { connection in
            var jobs: [JobSummary] = []
            var after: JobID?
            repeat {
                let page = UInt16(min(wanted == 0 ? 1000 : wanted - jobs.count, 1000))
                let list = try await connection.listJobs(states: filter, node: node, labels: selector, after: after, limit: page)
                jobs += list.jobs
                after = list.nextAfter
            } while after != nil && (wanted == 0 || jobs.count < wanted)
            return jobs
        }
        if cluster.output == .json {
            print(try json(jobs))
            return
        }
        let rows: [[String]] = jobs.map { job in
            let node: String = job.status.node?.rawValue ?? "-"
            let exit: String = job.status.exitCode.map { String($0) } ?? "-"
            return [job.id.rawValue, job.status.state.rawValue, node, String(job.status.attempt), exit, age(since: job.status.submittedAt), job.name ?? ""]
        }
        print(table(["ID", "STATE", "NODE", "ATTEMPT", "EXIT", "AGE", "NAME"], rows))
    }
}
