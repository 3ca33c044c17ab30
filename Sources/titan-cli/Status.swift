import ArgumentParser
import ClusterModel
import TitanClient
import WireProtocol

/// `titan-cli status JOB`: state, node, attempts, exit code, and why a pending job waits.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a job: state, node, attempts, exit code, and why it waits.")

    @OptionGroup var cluster: ClusterOptions

    @Argument(help: "The job id.")
    var job: String

    func run() async throws {
        let id = JobID(job)
        let details = try await cluster.job(id)
        if cluster.output == .json {
            print(try json(details))
            return
        }
        let status = details.status
        let (cpu, memory) = describe(details.spec.resources)
        var rows: [(String, String)] = [
            ("Job", details.id.rawValue),
            ("State", status.state.rawValue),
            ("Node", status.node?.rawValue ?? "-"),
            ("Attempt", "\(status.attempt) of \(details.spec.maxAttempts) (epoch \(status.epoch.rawValue))"),
            ("Exit code", status.exitCode.map(String.init) ?? "-"),
            ("Runtime", details.spec.runtime == .docker ? "docker (\(details.spec.effectiveImage))" : "exec"),
            ("Command", describe(details.spec.command)),
            ("Requests", "cpu \(cpu), memory \(memory)"),
            ("Submitted", "\(age(since: status.submittedAt)) ago"),
            ("Updated", "\(age(since: status.updatedAt)) ago"),
        ]
        if let name = details.spec.name { rows.insert(("Name", name), at: 1) }
        for (key, value) in rows {
            print("\(key):".padding(toLength: 11, withPad: " ", startingAt: 0) + value)
        }
        if !status.message.isEmpty {
            print(status.state == .pending ? "Waiting because:" : "Message:")
            status.message.split(separator: "\n").forEach { print("  \($0)") }
        }
    }
}
