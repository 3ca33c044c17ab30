import ArgumentParser
import ClusterModel
import TitanClient
import WireProtocol

/// `titan-cli cancel JOB`.
struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel a job: a waiting one never runs, a running one is killed.")

    @OptionGroup var cluster: ClusterOptions

    @Argument(help: "The job id.")
    var job: String

    func run() async throws {
        let id = JobID(job)
        let result: CancelResult
        do {
            result = try await cluster.withLeader { try await $0.cancel(id) }
        } catch TitanClientError.server(code: .notFound, let message) {
            throw CLIFailure(message)
        }
        if cluster.output == .json {
            print(try json(["job": result.jobID.rawValue, "outcome": result.outcome.rawValue, "state": result.state.rawValue]))
        } else if result.outcome == .cancelled {
            print("cancelled \(result.jobID.rawValue)")
        } else {
            print("\(result.jobID.rawValue) had already ended: \(result.state.rawValue)")
        }
    }
}
