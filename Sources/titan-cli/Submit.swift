import ArgumentParser
import ClusterModel
import TitanClient
import WireProtocol

/// `titan-cli submit`: one job, or `--count N` copies, as a script or an argv.
struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit a job: --script 'shell text' or -- program args….",
        discussion: "Prints the id of each accepted job. Exits 1 if any job was refused."
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "Shell text run with sh -c (instead of a program after --).")
    var script: String?

    @Option(help: "exec (a process on the worker host) or docker.")
    var runtime = "docker"

    @Option(help: "Image for the docker runtime.")
    var image: String?

    @Option(parsing: .unconditional, help: "CPU to reserve: 250m or 0.5 (cores).")
    var cpu = "100m"

    @Option(parsing: .unconditional, help: "Memory to reserve: 64Mi, 1Gi, …")
    var memory = "64Mi"

    @Option(name: .customLong("env"), help: "An environment variable K=V (repeatable).")
    var environment: [String] = []

    @Option(name: .customLong("label"), help: "A label k=v (repeatable).")
    var labels: [String] = []

    @Option(name: .customLong("selector"), help: "Run only on nodes with this label k=v (repeatable).")
    var selectors: [String] = []

    @Option(help: "A name for the job.")
    var name: String?

    @Option(parsing: .unconditional, help: "Higher runs first when capacity is short; may be negative.")
    var priority: Int32 = 0

    @Option(parsing: .unconditional, help: "Attempts that may fail on their own (non-zero exit, OOM kill, timeout) before the job is failed; 1 to \(JobSpecLimits.maxAttempts). Attempts lost with a node do not count.")
    var maxAttempts: UInt32 = 1

    @Option(parsing: .unconditional, help: "Attempts the job may lose to the infrastructure (its node lost, its worker fenced) and still run again at once; 0 to \(JobSpecLimits.maxNodeLosses).")
    var maxNodeLosses: UInt32 = RetryDefaults.maxNodeLosses

    @Option(parsing: .unconditional, help: "Wait before retrying a failed attempt: 5s, 1m (0: at once); doubles per failure.")
    var retryDelay = "\(RetryDefaults.retryDelaySeconds)s"

    @Option(parsing: .unconditional, help: "The longest wait before a retry: 5m, 1h (default: 5m, or --retry-delay if longer).")
    var retryDelayMax: String?

    @Option(parsing: .unconditional, help: "Kill the job after this long: 30 (seconds), 90s, 5m or 24h (0: never).")
    var timeout = "0"

    @Option(help: "Container network: none or host.")
    var network = "none"

    @Option(parsing: .unconditional, help: "Submit this many identical jobs (1 to 1000000).")
    var count = 1

    @Argument(parsing: .postTerminator, help: "The program and its arguments, after --.")
    var argv: [String] = []

    func validate() throws {
        guard (script == nil) != argv.isEmpty else {
            throw ValidationError("give the job either --script 'shell text' or a program after --, not both and not neither")
        }
        guard (1...1_000_000).contains(count) else { throw ValidationError("--count \(count) is out of range: use 1 to 1000000") }
        guard (1...JobSpecLimits.maxAttempts).contains(maxAttempts) else {
            throw ValidationError("--max-attempts \(maxAttempts) is out of range: use 1 to \(JobSpecLimits.maxAttempts)")
        }
        guard maxNodeLosses <= JobSpecLimits.maxNodeLosses else {
            throw ValidationError("--max-node-losses \(maxNodeLosses) is out of range: use 0 to \(JobSpecLimits.maxNodeLosses)")
        }
    }

    func spec() throws -> JobSpec {
        guard let runtime = Runtime(rawValue: runtime) else { throw ValidationError("--runtime '\(runtime)' is unknown: use exec or docker") }
        let cpu: Int64
        let memory: Int64
        let timeout: Int64
        let retryDelay: Int64
        let retryDelayMax: Int64
        do {
            // Against the job limits the master enforces, so the sentence names the text typed.
            cpu = try QuantityParser.cpuMillis(self.cpu, upTo: JobSpecLimits.maxCPUMillis)
            memory = try QuantityParser.memoryBytes(self.memory, upTo: JobSpecLimits.maxMemoryBytes)
            timeout = try QuantityParser.durationSeconds(self.timeout, flag: "--timeout", upTo: Int64(JobSpecLimits.maxTimeoutSeconds))
            retryDelay = try QuantityParser.durationSeconds(self.retryDelay, flag: "--retry-delay", upTo: Int64(JobSpecLimits.maxRetryDelaySeconds))
            retryDelayMax = try self.retryDelayMax.map {
                try QuantityParser.durationSeconds($0, flag: "--retry-delay-max", upTo: Int64(JobSpecLimits.maxRetryDelaySeconds))
            } ?? max(Int64(RetryDefaults.retryDelayMaxSeconds), retryDelay)
        } catch let error as QuantityError {
            throw ValidationError(error.description)
        }
        guard let network = NetworkMode(rawValue: network) else { throw ValidationError("--network '\(network)' is unknown: use none or host") }
        return JobSpec(
            name: name,
            runtime: runtime,
            image: image,
            command: script.map { .script($0) } ?? .argv(argv),
            environment: try pairs(environment, flag: "--env"),
            labels: try pairs(labels, flag: "--label"),
            nodeSelector: try pairs(selectors, flag: "--selector"),
            resources: Resources(cpuMillis: cpu, memoryBytes: memory),
            priority: priority,
            maxAttempts: maxAttempts,
            timeoutSeconds: UInt32(timeout),
            networkMode: network,
            maxNodeLosses: maxNodeLosses,
            retryDelaySeconds: UInt32(retryDelay),
            retryDelayMaxSeconds: UInt32(retryDelayMax)
        )
    }

    func run() async throws {
        let spec = try spec()
        do { try spec.validate() } catch { throw ValidationError(error.description) }
        let count = count
        // A submission that reached a leader is not repeated: it may have been recorded.
        let outcomes = try await cluster.withLeader(retry: .untilSent) { connection in
            var outcomes: [SubmitOutcome] = []
            var left = count
            while left > 0 {
                let batch = min(left, WireLimits.maxSubmitBatch)
                outcomes += try await connection.submit(Array(repeating: spec, count: batch))
                left -= batch
            }
            return outcomes
        }
        var refused: [String] = []
        var ids: [String] = []
        for outcome in outcomes {
            switch outcome {
            case let .accepted(id): ids.append(id.rawValue)
            case let .rejected(_, message): refused.append(message)
            }
        }
        if cluster.output == .json {
            print(try json(["accepted": ids, "refused": refused]))
        } else {
            ids.forEach { print($0) }
        }
        if let first = refused.first {
            throw CLIFailure("\(refused.count) of \(outcomes.count) jobs refused: \(first)")
        }
    }
}

/// Parses repeated `K=V` flags into a map; a pair without `=` is a usage error.
func pairs(_ items: [String], flag: String) throws -> [String: String] {
    var map: [String: String] = [:]
    for item in items {
        guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
            throw ValidationError("\(flag) '\(item)' is not KEY=VALUE")
        }
        map[String(item[..<equals])] = String(item[item.index(after: equals)...])
    }
    return map
}
