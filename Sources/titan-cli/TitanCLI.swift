import ArgumentParser
import CommandSupport
import ClusterModel
import EtcdClient
import Foundation
import TitanClient
import WireProtocol

/// `titan-cli`: the user's tool. Exit codes: 0 success, 1 the operation failed (a job was
/// refused, not found, the cluster unreachable), 2 a usage error (bad flag or value).
@main
struct TitanCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "titan-cli",
        abstract: "The Titan command-line client: submit, status, list, cancel, nodes, drain, uncordon.",
        subcommands: [Submit.self, Status.self, Logs.self, List.self, Cancel.self, Nodes.self, Drain.self, Uncordon.self]
    )

    /// Parses, runs, and maps failures to the exit codes above with one sentence on stderr (also
    /// for ArgumentParser's own refusals: its message without the usage lines; --help prints).
    static func main() async {
        await runWithOneLineErrors(program: "titan-cli", usageCode: 2, failureCode: failureExitCode)
    }
}

/// The exit code for the errors titan-cli words itself: 2 for a bad flag or setting, 1 for an
/// operation that failed; nil for the rest (ArgumentParser's own parse errors).
private func failureExitCode(_ error: any Error) -> Int32? {
    switch error {
    case is ValidationError, is SettingsError: return 2
    case is CLIFailure, is TitanClientError, is EtcdError: return 1
    default: return nil
    }
}

/// An operation that did not succeed, in one sentence.
struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Flags every subcommand shares: where the cluster is and how to print.
struct ClusterOptions: ParsableArguments {
    @Option(help: "etcd endpoints, comma-separated (default: $TITAN_ETCD or http://127.0.0.1:2379).")
    var etcd: String?

    @Option(help: "The masters' host:port, comma-separated, skipping the lookup in etcd (default: $TITAN_MASTER).")
    var master: String?

    @Option(parsing: .unconditional, help: "Seconds to wait for a leader when none answers (a fail-over), 0 to 3600.")
    var leaderWait = 30

    @Option(help: "File holding the cluster token (default: $TITAN_TOKEN_FILE).")
    var tokenFile: String?

    @Option(help: "Output format: table or json.")
    var output: OutputFormat = .table

    func validate() throws {
        guard (0...3600).contains(leaderWait) else { throw ValidationError("--leader-wait \(leaderWait) is out of range: use 0 to 3600 seconds") }
    }

    /// Connects to the leader as a client and runs `body` on the connection. While no leader
    /// answers (a fail-over) it waits up to `--leader-wait` seconds, saying so on stderr, and
    /// tries again as `retry` allows.
    func withLeader<T: Sendable>(retry: LeaderRetry = .idempotent, _ body: @escaping @Sendable (TitanConnection) async throws -> T) async throws -> T {
        let token = try ClusterSettings.token(flag: tokenFile)
        let nodeID = NodeID("cli-\(ProcessInfo.processInfo.processIdentifier)")
        let locator = try LeaderLocator.fromSettings(etcdFlag: etcd, masterFlag: master)
        defer { locator.shutdown() }
        return try await locator.withLeader(
            token: token, nodeID: nodeID, retry: retry, patience: .seconds(leaderWait),
            notice: { FileHandle.standardError.write(Data("titan-cli: \($0)\n".utf8)) }, body)
    }

    /// The job `id` as the leader knows it; an unknown id is a ``CLIFailure`` naming it.
    func job(_ id: JobID) async throws -> JobDetails {
        do {
            return try await withLeader { try await $0.job(id) }
        } catch TitanClientError.server(code: .notFound, let message) {
            throw CLIFailure(message)
        }
    }
}

/// How results are printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
}
