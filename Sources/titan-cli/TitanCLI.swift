import ArgumentParser
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
        abstract: "The Titan command-line client: submit, status, list, cancel, nodes.",
        subcommands: [Submit.self, Status.self, List.self, Cancel.self, Nodes.self]
    )

    /// Parses, runs, and maps failures to the exit codes above with one sentence on stderr.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch let error as ValidationError {
            FileHandle.standardError.write(Data("titan-cli: \(error.message)\n".utf8))
            Foundation.exit(2)
        } catch let error as CLIFailure {
            FileHandle.standardError.write(Data("titan-cli: \(error.description)\n".utf8))
            Foundation.exit(1)
        } catch let error as SettingsError {
            FileHandle.standardError.write(Data("titan-cli: \(error.description)\n".utf8))
            Foundation.exit(2)
        } catch let error as TitanClientError {
            FileHandle.standardError.write(Data("titan-cli: \(error.description)\n".utf8))
            Foundation.exit(1)
        } catch let error as EtcdError {
            FileHandle.standardError.write(Data("titan-cli: \(error.description)\n".utf8))
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data("\(fullMessage(for: error))\n".utf8))
            Foundation.exit(code == .failure ? 1 : 2)
        }
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

    @Option(help: "The master's host:port, skipping the lookup in etcd (default: $TITAN_MASTER).")
    var master: String?

    @Option(help: "File holding the cluster token (default: $TITAN_TOKEN_FILE).")
    var tokenFile: String?

    @Option(help: "Output format: table or json.")
    var output: OutputFormat = .table

    /// Connects to the leader as a client and runs `body` on the connection.
    func withLeader<T: Sendable>(_ body: @escaping @Sendable (TitanConnection) async throws -> T) async throws -> T {
        let token = try ClusterSettings.token(flag: tokenFile)
        let nodeID = NodeID("cli-\(ProcessInfo.processInfo.processIdentifier)")
        if let address = ClusterSettings.masterAddress(flag: master) {
            return try await TitanConnection.withConnection(to: address, role: .client, nodeID: nodeID, token: token, body: body)
        }
        let etcd = EtcdClient(endpoints: try ClusterSettings.etcdEndpoints(flag: etcd), requestTimeout: .seconds(5))
        defer { etcd.shutdown() }
        let address = try await LeaderLocator(.etcd(etcd)).leaderAddress()
        return try await TitanConnection.withConnection(to: address, role: .client, nodeID: nodeID, token: token, body: body)
    }
}

/// How results are printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
}
