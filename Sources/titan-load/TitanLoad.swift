import ArgumentParser
import ClusterModel
import EtcdClient
import Foundation
import LoadGenerator
import TitanClient

/// `titan-load -n 1000 -t 5`: a stress test that reports throughput and latency percentiles.
/// Exits 1 if any job did not succeed.
@main
struct TitanLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "titan-load",
        abstract: "Submit N jobs that each sleep T seconds, follow them to the end, and report throughput and latency."
    )

    @Option(name: .short, help: "Number of jobs.")
    var n = 1000

    @Option(name: .short, help: "Seconds each job sleeps (0: the job runs `true`).")
    var t = 5.0

    @Option(help: "docker (each job in its own container) or exec (a plain process; measures the control plane alone).")
    var runtime = "docker"

    @Option(help: "Image for the docker runtime.")
    var image: String?

    @Option(help: "CPU each job reserves; a docker job gets it as a hard limit, and below about 100m that limit slows the container's own start.")
    var cpu = "100m"

    @Option(help: "Memory each job reserves.")
    var memory = "16Mi"

    @Option(help: "Jobs per SubmitJobs frame (1 to 1024); with --rate, batches are sent evenly spaced.")
    var batch = 256

    @Option(help: "Connections submitting in parallel.")
    var connections = 4

    @Option(help: "Give up after this many seconds (default: 120 + 2 × T, plus one second per job with docker, whose engine starts a few containers a second).")
    var deadline: Double?

    @Option(help: "Stop following the jobs once all are: placed, running, or final.")
    var until = "final"

    @Option(help: "Offer jobs at this rate, jobs per second (0: as fast as possible).")
    var rate = 0.0

    @Option(help: "Also write the report as one JSON object to this file.")
    var json: String?

    @Option(help: "etcd endpoints (default: $TITAN_ETCD or http://127.0.0.1:2379).")
    var etcd: String?

    @Option(help: "The master's host:port (default: $TITAN_MASTER, else the leader found in etcd).")
    var master: String?

    @Option(help: "File holding the cluster token (default: $TITAN_TOKEN_FILE).")
    var tokenFile: String?

    func validate() throws {
        guard n >= 1, n <= 1_000_000 else { throw ValidationError("-n \(n) is out of range: use 1 to 1000000") }
        guard t >= 0, t.isFinite else { throw ValidationError("-t \(t) is not a duration in seconds") }
        guard (1...1024).contains(batch) else { throw ValidationError("--batch \(batch) is out of range: use 1 to 1024") }
        guard (1...64).contains(connections) else { throw ValidationError("--connections \(connections) is out of range: use 1 to 64") }
    }

    func run() async throws {
        guard let runtime = Runtime(rawValue: runtime) else { throw ValidationError("--runtime '\(runtime)' is unknown: use exec or docker") }
        guard let cpu = parseCPU(cpu) else { throw ValidationError("--cpu '\(cpu)' is not a CPU amount: use e.g. 100m") }
        guard let memory = parseMemory(memory) else { throw ValidationError("--memory '\(memory)' is not a memory amount: use e.g. 16Mi") }
        guard let milestone = LoadPlan.Milestone(rawValue: until) else { throw ValidationError("--until '\(until)' is unknown: use placed, running or final") }
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate \(rate) must be 0 or a positive number of jobs per second") }
        let plan = LoadPlan(
            jobs: n, sleepSeconds: t, runtime: runtime, image: image,
            resources: Resources(cpuMillis: cpu, memoryBytes: memory),
            batch: batch, connections: connections, deadlineSeconds: deadline ?? (120 + 2 * t + (runtime == .docker ? Double(n) : 0)),
            until: milestone, rate: rate
        )
        let report: LoadReport
        let refusals: [String]
        do {
            let token = try ClusterSettings.token(flag: tokenFile)
            let locator = try LeaderLocator.fromSettings(etcdFlag: etcd, masterFlag: master)
            defer { locator.shutdown() }
            FileHandle.standardError.write(Data("titan-load: \(n) jobs, sleep \(t) s, runtime \(runtime.rawValue), batch \(batch), \(connections) connections\n".utf8))
            (report, refusals) = try await LoadRun(plan: plan, locator: locator, token: token).run { line in
                FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
            }
            FileHandle.standardError.write(Data("\n".utf8))
        } catch let error as SettingsError {
            throw ValidationError(error.description)
        }
        print(report.text)
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do {
                try encoder.encode(report).write(to: URL(fileURLWithPath: json))
            } catch {
                FileHandle.standardError.write(Data("titan-load: cannot write --json '\(json)': \(error.localizedDescription)\n".utf8))
                throw ExitCode(1)
            }
        }
        if let first = refusals.first {
            FileHandle.standardError.write(Data("titan-load: \(report.refused) jobs refused, e.g.: \(first)\n".utf8))
        }
        if milestone == .final, report.succeeded != n {
            FileHandle.standardError.write(Data("titan-load: \(n - report.succeeded) of \(n) jobs did not succeed\n".utf8))
            throw ExitCode(1)
        }
    }
}
