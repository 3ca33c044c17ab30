import ArgumentParser

/// `titan-load`: The Titan stress tool: submits N jobs that sleep T seconds and reports latency.
///
/// Only `--help` works for now; the scheduling pipeline (issue 3) gives it its services.
@main
struct TitanLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "titan-load",
        abstract: "The Titan stress tool: submits N jobs that sleep T seconds and reports latency."
    )

    func run() throws {
        throw ValidationError("titan-load is not implemented yet: only --help works in this build.")
    }
}
