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
        let spec = details.spec
        let (cpu, memory) = describe(spec.resources)
        var rows: [(String, String)] = [
            ("Job", details.id.rawValue),
            ("State", status.state.rawValue),
            ("Node", status.node?.rawValue ?? "-"),
            ("Attempt", "\(status.attempt) (epoch \(status.epoch.rawValue))"),
            ("Failures", "\(status.failures) of \(spec.maxAttempts) allowed (non-zero exits, OOM kills, timeouts; retried after \(span(seconds: Int(spec.retryDelaySeconds))), doubling to \(span(seconds: Int(spec.retryDelayMaxSeconds))))"),
            ("Node losses", "\(status.nodeLosses) of \(spec.maxNodeLosses) allowed (run again at once)"),
            ("Exit code", status.exitCode.map(String.init) ?? "-"),
            ("Runtime", spec.runtime == .docker ? "docker (\(spec.effectiveImage))" : "exec"),
            ("Command", describe(spec.command)),
            ("Requests", "cpu \(cpu), memory \(memory)"),
            ("Submitted", "\(age(since: status.submittedAt)) ago"),
            ("Updated", "\(age(since: status.updatedAt)) ago"),
        ]
        if let name = spec.name { rows.insert(("Name", name), at: 1) }
        if status.state == .pending, let retryAt = status.retryAt {
            let after = status.exitCode.map { "after exit \($0)" } ?? "after its node was lost"
            rows.insert(("Retry", "retrying in \(timeUntil(retryAt)) \(after)"), at: 3)
        }
        for (key, value) in rows {
            print("\(key):".padding(toLength: 13, withPad: " ", startingAt: 0) + value)
        }
        if !status.message.isEmpty {
            print(status.state == .pending && status.retryAt == nil ? "Waiting because:" : "Message:")
            status.message.split(separator: "\n").forEach { print("  \($0)") }
        }
        if !details.attempts.isEmpty {
            print("Attempts:")
            let lines = table(
                ["#", "NODE", "STARTED", "ENDED", "OUTCOME", "EXIT", "WHY"],
                details.attempts.map { attempt in
                    [
                        "\(attempt.number)", attempt.node.rawValue, attempt.startedAt.map { "\(age(since: $0)) ago" } ?? "-",
                        "\(age(since: attempt.endedAt)) ago", attempt.outcome.rawValue, attempt.exitCode.map(String.init) ?? "-",
                        attempt.reason,
                    ]
                })
            lines.split(separator: "\n").forEach { print("  \($0)") }
        }
    }
}
