import ArgumentParser

/// `titan-cli`: The Titan command-line client: submit, status, list, cancel, nodes, logs.
///
/// Only `--help` works for now; the scheduling pipeline (issue 3) gives it its services.
@main
struct TitanCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "titan-cli",
        abstract: "The Titan command-line client: submit, status, list, cancel, nodes, logs."
    )

    func run() throws {
        throw ValidationError("titan-cli is not implemented yet: only --help works in this build.")
    }
}
