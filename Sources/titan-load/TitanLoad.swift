import ArgumentParser
import ClusterModel
import CommandSupport
import EtcdClient
import Foundation
import LoadGenerator
import StageTrace
import Synchronization
import TitanClient

/// `titan-load -n 1000 -t 5`: a stress test that reports throughput and latency percentiles.
/// Exits 1 if any job did not succeed.
@main
struct TitanLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "titan-load",
        abstract: "Submit N jobs that each sleep T seconds, follow them to the end, and report throughput and latency."
    )

    @Option(name: .short, parsing: .unconditional, help: "Number of jobs (1 to 1000000).")
    var n = 1000

    @Option(name: .short, parsing: .unconditional, help: "Seconds each job sleeps, 0.001 to 86400 (0: the job runs `true`).")
    var t = "5"

    @Option(help: "docker (each job in its own container) or exec (a plain process; measures the control plane alone).")
    var runtime = "docker"

    @Option(help: "Image for the docker runtime.")
    var image: String?

    @Option(parsing: .unconditional, help: "CPU each job reserves; a docker job gets it as a hard limit, and below about 100m that limit slows the container's own start.")
    var cpu = "100m"

    @Option(parsing: .unconditional, help: "Memory each job reserves.")
    var memory = "16Mi"

    @Option(parsing: .unconditional, help: "Jobs per SubmitJobs frame (1 to 1024); with --rate, batches are sent evenly spaced.")
    var batch = 256

    @Option(parsing: .unconditional, help: "Connections submitting in parallel (1 to 64).")
    var connections = 4

    @Option(parsing: .unconditional, help: "Give up after this many seconds, 1 to 2592000 (default: 120 + 2 × T, plus one second per job with docker, whose engine starts a few containers a second).")
    var deadline: String?

    @Option(parsing: .unconditional, help: "Attempts of each job that may fail on their own before it is failed (1 to \(JobSpecLimits.maxAttempts)).")
    var maxAttempts: UInt32 = 1

    @Option(parsing: .unconditional, help: "Attempts each job may lose to the infrastructure and still run again (0 to \(JobSpecLimits.maxNodeLosses)).")
    var maxNodeLosses: UInt32 = RetryDefaults.maxNodeLosses

    @Option(help: "Stop following the jobs once all are: placed, running, or final.")
    var until = "final"

    @Option(parsing: .unconditional, help: "Offer jobs at this rate, 0.01 to 1000000 jobs per second (0: as fast as possible).")
    var rate = "0"

    @Option(help: "Also write the report as one JSON object to this file.")
    var json: String?

    @Option(help: "Write the report to DIR/report.json and a page with plots to DIR/report.html (opens offline).")
    var report: String?

    @Option(help: "Trace where jobs wait: write this run's stage timestamps to DIR/load.trace and, at the end, join them with the daemons' trace files in DIR (Tools/titan-up --trace-dir DIR) and print p50/p99 per stage.")
    var trace: String?

    @Option(help: "etcd endpoints (default: $TITAN_ETCD or http://127.0.0.1:2379).")
    var etcd: String?

    @Option(help: "The master's host:port (default: $TITAN_MASTER, else the leader found in etcd).")
    var master: String?

    @Option(help: "File holding the cluster token (default: $TITAN_TOKEN_FILE).")
    var tokenFile: String?

    /// Parses and runs; a refusal or a failure is one line on stderr (`titan-load: …`) with exit
    /// code 64 for a usage error and 1 for a failure; --help prints the help.
    static func main() async {
        await runWithOneLineErrors(program: "titan-load")
    }

    func validate() throws {
        guard n >= 1, n <= 1_000_000 else { throw ValidationError("-n \(n) is out of range: use 1 to 1000000") }
        guard (1...1024).contains(batch) else { throw ValidationError("--batch \(batch) is out of range: use 1 to 1024") }
        guard (1...64).contains(connections) else { throw ValidationError("--connections \(connections) is out of range: use 1 to 64") }
        guard (1...JobSpecLimits.maxAttempts).contains(maxAttempts) else {
            throw ValidationError("--max-attempts \(maxAttempts) is out of range: use 1 to \(JobSpecLimits.maxAttempts)")
        }
        guard maxNodeLosses <= JobSpecLimits.maxNodeLosses else {
            throw ValidationError("--max-node-losses \(maxNodeLosses) is out of range: use 0 to \(JobSpecLimits.maxNodeLosses)")
        }
    }

    /// What the quantity flags say, each range-checked (the job limits the master enforces for
    /// --cpu and --memory): bounded so that every `Duration` and `Int64` made from them fits.
    private func quantities() throws(QuantityError) -> (cpu: Int64, memory: Int64, sleep: Double, deadline: Double?, rate: Double) {
        let cpu = try QuantityParser.cpuMillis(cpu, upTo: JobSpecLimits.maxCPUMillis)
        let memory = try QuantityParser.memoryBytes(memory, upTo: JobSpecLimits.maxMemoryBytes)
        let sleep = try QuantityParser.decimal(t, flag: "-t", in: 0.001...86_400, zeroMeans: "the job runs true", unit: "seconds")
        var deadlineSeconds: Double?
        if let deadline {
            deadlineSeconds = try QuantityParser.decimal(deadline, flag: "--deadline", in: 1...2_592_000, unit: "seconds")
        }
        let rate = try QuantityParser.decimal(rate, flag: "--rate", in: 0.01...1_000_000, zeroMeans: "as fast as possible", unit: "jobs per second")
        return (cpu, memory, sleep, deadlineSeconds, rate)
    }

    func run() async throws {
        guard let runtime = Runtime(rawValue: runtime) else { throw ValidationError("--runtime '\(runtime)' is unknown: use exec or docker") }
        let (cpu, memory, t, deadline, rate): (Int64, Int64, Double, Double?, Double)
        do {
            (cpu, memory, t, deadline, rate) = try quantities()
        } catch {
            throw ValidationError(error.description)
        }
        guard let milestone = LoadPlan.Milestone(rawValue: until) else { throw ValidationError("--until '\(until)' is unknown: use placed, running or final") }
        var plan = LoadPlan(
            jobs: n, sleepSeconds: t, runtime: runtime, image: image,
            resources: Resources(cpuMillis: cpu, memoryBytes: memory),
            batch: batch, connections: connections, deadlineSeconds: deadline ?? (120 + 2 * t + (runtime == .docker ? Double(n) : 0)),
            until: milestone, rate: rate
        )
        plan.maxAttempts = maxAttempts
        plan.maxNodeLosses = maxNodeLosses
        if let trace {
            do throws(TraceFileError) {
                try StageTrace.start(file: trace + "/load.trace")
            } catch {
                throw ValidationError(error.description)
            }
        }
        let report: LoadReport
        let refusals: [String]
        let timelines: [JobTimeline]
        do {
            let token = try ClusterSettings.token(flag: tokenFile)
            let locator = try LeaderLocator.fromSettings(etcdFlag: etcd, masterFlag: master)
            defer { locator.shutdown() }
            FileHandle.standardError.write(Data("titan-load: \(n) jobs, sleep \(t) s, runtime \(runtime.rawValue), batch \(batch), \(connections) connections\n".utf8))
            // Every connection (the subscription, each sender) notices a fail-over: say each
            // kind of line once in 10 s.
            let said = Mutex<[String: ContinuousClock.Instant]>([:])
            let notice: @Sendable (String) -> Void = { line in
                let key = line.replacingOccurrences(of: #"\(.*\)"#, with: "", options: .regularExpression)
                let now = ContinuousClock.now
                let fresh = said.withLock { said in
                    if let last = said[key], now - last < .seconds(10) { return false }
                    said[key] = now
                    return true
                }
                if fresh { FileHandle.standardError.write(Data("\ntitan-load: \(line)\n".utf8)) }
            }
            let display = ProgressDisplay(terminal: isatty(STDERR_FILENO) == 1)
            (report, refusals, timelines) = try await LoadRun(plan: plan, locator: locator, token: token, notice: notice).run { progress in
                display.show(progress)
            }
            display.finish()
        } catch let error as SettingsError {
            throw ValidationError(error.description)
        }
        print(report.text)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let json {
            do {
                try encoder.encode(report).write(to: URL(fileURLWithPath: json))
            } catch {
                FileHandle.standardError.write(Data("titan-load: cannot write --json '\(json)': \(error.localizedDescription)\n".utf8))
                throw ExitCode(1)
            }
        }
        if let directory = self.report {
            let title = "\(n) jobs, sleep \(t) s, runtime \(runtime.rawValue)\(rate > 0 ? ", \(rate) jobs/s offered" : "")"
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                try encoder.encode(report).write(to: URL(fileURLWithPath: directory + "/report.json"))
                try Data(ReportPage.html(title: title, report: report, timelines: timelines).utf8).write(to: URL(fileURLWithPath: directory + "/report.html"))
            } catch {
                FileHandle.standardError.write(Data("titan-load: cannot write --report '\(directory)': \(error.localizedDescription); give a writable directory\n".utf8))
                throw ExitCode(1)
            }
            FileHandle.standardError.write(Data("titan-load: report written to \(directory)/report.html\n".utf8))
        }
        if let trace {
            StageTrace.flush()
            // The daemons write their traces every 100 ms.
            try await Task.sleep(for: .milliseconds(300))
            do {
                print(try TraceAnalysis(directory: trace).table)
            } catch {
                FileHandle.standardError.write(Data("titan-load: cannot read the traces in --trace '\(trace)': \(error.localizedDescription)\n".utf8))
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

/// The progress display on stderr: on a terminal a bar redrawn in place four times a second;
/// otherwise (a log file, CI) a plain line every 10 s and one at the end, so a long run does not
/// flood the log.
final class ProgressDisplay: Sendable {
    private let terminal: Bool
    private let last = Mutex<(shown: ContinuousClock.Instant?, progress: LoadProgress?)>((nil, nil))

    init(terminal: Bool) {
        self.terminal = terminal
    }

    func show(_ progress: LoadProgress) {
        if terminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(progress.bar())".utf8))
            return
        }
        let now = ContinuousClock.now
        let due = last.withLock { last -> Bool in
            last.progress = progress
            guard last.shown.map({ now - $0 >= .seconds(10) }) ?? true else { return false }
            last.shown = now
            return true
        }
        if due { FileHandle.standardError.write(Data("titan-load: \(progress.line)\n".utf8)) }
    }

    func finish() {
        if terminal {
            FileHandle.standardError.write(Data("\n".utf8))
        } else if let progress = last.withLock({ $0.progress }) {
            FileHandle.standardError.write(Data("titan-load: \(progress.line)\n".utf8))
        }
    }
}
