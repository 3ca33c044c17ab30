import ArgumentParser

/// `titan-worker`: The Titan node agent: registers under a lease and runs what the leader assigns.
///
/// Only `--help` works for now; the scheduling pipeline (issue 3) gives it its services.
@main
struct TitanWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "titan-worker",
        abstract: "The Titan node agent: registers under a lease and runs what the leader assigns."
    )

    func run() throws {
        throw ValidationError("titan-worker is not implemented yet: only --help works in this build.")
    }
}
