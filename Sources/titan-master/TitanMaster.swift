import ArgumentParser

/// `titan-master`: The Titan scheduler: leads through etcd, places jobs, pushes them to workers.
///
/// Only `--help` works for now; the scheduling pipeline (issue 3) gives it its services.
@main
struct TitanMaster: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "titan-master",
        abstract: "The Titan scheduler: leads through etcd, places jobs, pushes them to workers."
    )

    func run() throws {
        throw ValidationError("titan-master is not implemented yet: only --help works in this build.")
    }
}
