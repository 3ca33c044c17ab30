import ArgumentParser
import ClusterModel
import CommandSupport
import DockerClient
import Foundation
import MetricsServing
import Logging
import ServiceLifecycle
import NIOPosix
import UnixSignals
import TitanClient
import WorkerCore

/// `titan-worker`: flags → ``WorkerConfiguration`` → a ``Worker``. SIGTERM drains the node (the
/// leader places nothing more on it; running jobs may end for up to `--drain-timeout`, then the
/// rest are stopped and run again elsewhere as a node loss) and exits 0; a second SIGTERM, or
/// SIGINT, stops the jobs at once the same way. On the way out the node lease is revoked.
@main
struct TitanWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "titan-worker",
        abstract: "The Titan node agent: registers under a lease and runs what the leader assigns."
    )

    @Option(help: "etcd endpoints, comma-separated (default: $TITAN_ETCD or http://127.0.0.1:2379).")
    var etcd: String?

    @Option(help: "The master's host:port (default: $TITAN_MASTER, else the leader found in etcd).")
    var master: String?

    @Option(help: "File holding the cluster token (default: $TITAN_TOKEN_FILE).")
    var tokenFile: String?

    @Option(help: "This node's id (default: the host name).")
    var id: String?

    @Option(parsing: .unconditional, help: "CPU to offer, e.g. 2 or 1500m (default: every core).")
    var cpu: String?

    @Option(parsing: .unconditional, help: "Memory to offer, e.g. 4Gi (default: all physical memory).")
    var memory: String?

    @Option(name: .customLong("label"), help: "A node label k=v (repeatable).")
    var labels: [String] = []

    @Option(parsing: .unconditional, help: "Seconds the node counts as alive after the worker stops renewing its lease (2 to 3600).")
    var leaseTTL: Int64 = 5

    @Option(help: "Directory for exec jobs' working directories.")
    var workDir = "/tmp/titan-work"

    @Option(help: "The Docker Engine's unix socket (default: the path of DOCKER_HOST=unix://PATH, else /var/run/docker.sock); the docker runtime is offered when it answers at start-up.")
    var dockerSocket: String?

    @Flag(help: "Offer only the exec runtime, without asking Docker.")
    var noDocker = false

    @Option(parsing: .unconditional, help: "Container creates, starts and removals in flight at once against the engine (1 to 64); more does not start containers faster on a small host.")
    var dockerParallel = DockerRuntime.Configuration().maxConcurrentStarts

    @Option(parsing: .unconditional, help: "On SIGTERM, how long running jobs may go on before they are stopped and run again elsewhere, e.g. 30s, 10m (0 to 1h). A second SIGTERM, or SIGINT, stops them at once.")
    var drainTimeout = "30s"

    @OptionGroup var logging: DaemonLogOptions

    @OptionGroup var metricsOptions: MetricsOptions

    @Flag(help: .hidden)
    var guardMode = false

    func run() async throws {
        let (level, format) = try logging.validated()
        let metricsAddress = try metricsOptions.validated()
        let detected = WorkerConfiguration.detectedCapacity()
        var capacity = detected
        do throws(QuantityError) {
            if let cpu { capacity.cpuMillis = try QuantityParser.cpuMillis(cpu) }
            if let memory { capacity.memoryBytes = try QuantityParser.memoryBytes(memory) }
        } catch {
            throw ValidationError(error.description)
        }
        guard (1...64).contains(dockerParallel) else {
            throw ValidationError("--docker-parallel \(dockerParallel) is out of range: use 1 to 64")
        }
        let dockerSocket: String
        do {
            dockerSocket = try self.dockerSocket ?? DockerClient.socketPathFromEnvironment()
        } catch {
            throw ValidationError("\(error)")
        }
        let drainTimeout: Int64
        do throws(QuantityError) {
            drainTimeout = try QuantityParser.durationSeconds(self.drainTimeout, flag: "--drain-timeout", upTo: 3600)
        } catch {
            throw ValidationError(error.description)
        }
        guard (2...3600).contains(leaseTTL) else {
            throw ValidationError("--lease-ttl \(leaseTTL) is out of range: use 2 (etcd's minimum) to 3600 seconds")
        }
        let workDir = URL(fileURLWithPath: self.workDir).standardizedFileURL.path
        if guardMode {
            try await runGuard(workDir: workDir, dockerSocket: noDocker ? nil : dockerSocket, level: level, format: format)
            return
        }
        var labelMap: [String: String] = [:]
        for label in labels {
            guard let equals = label.firstIndex(of: "="), equals != label.startIndex else {
                throw ValidationError("--label '\(label)' is not key=value")
            }
            labelMap[String(label[..<equals])] = String(label[label.index(after: equals)...])
        }
        let configuration: WorkerConfiguration
        do {
            configuration = WorkerConfiguration(
                nodeID: NodeID(id ?? ProcessInfo.processInfo.hostName),
                etcdEndpoints: try ClusterSettings.etcdEndpoints(flag: etcd),
                masterAddress: ClusterSettings.masterAddress(flag: master),
                token: try ClusterSettings.token(flag: tokenFile),
                capacity: capacity,
                labels: labelMap,
                leaseTTLSeconds: leaseTTL,
                workRoot: workDir
            )
        } catch let error as SettingsError {
            throw ValidationError(error.description)
        }
        // Once every flag is checked: a refused command line leaves no trace file behind.
        try logging.startTrace()
        LoggingSystem.bootstrap { label in LineLogHandler.make(label: label, format: format, level: level) }
        var logger = Logger(label: "titan.worker")
        logger.logLevel = level
        logger[metadataKey: "node.id"] = "\(configuration.nodeID.rawValue)"
        let exec = try ExecRuntime(configuration: .init(workRoot: workDir), eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        var runtimes: [any JobRuntime] = [exec]
        if let docker = await dockerRuntime(socket: dockerSocket, logger: logger) {
            runtimes.append(docker)
        }
        let offersDocker = runtimes.contains { $0.kind == .docker }
        let guardLauncher = GuardLink.Launcher(
            executable: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0],
            arguments: ["--guard-mode", "--id", configuration.nodeID.rawValue, "--work-dir", workDir, "--lease-ttl", "\(leaseTTL)", "--log-level", logging.logLevel, "--log-format", logging.logFormat]
                + (offersDocker ? ["--docker-socket", dockerSocket] : ["--no-docker"]))
        // Bootstrapped (once, here) before any metric handle is made; without the flag every handle is a no-op.
        let endpoint = metricsAddress.map { MetricsEndpoint(host: $0.host, port: $0.port, durationBuckets: WorkerMetrics.durationBuckets) }
        let worker = Worker(
            configuration: configuration, runtimes: runtimes, logger: logger, guardLauncher: guardLauncher, metrics: WorkerMetrics(),
            etcdObserver: endpoint.map { _ in EtcdRequestMetrics().observer })
        let metricsService: (any Service)? = endpoint == nil ? nil : try await endpoint!.service(logger: logger) {}
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let metricsService {
                group.addTask { try await metricsService.run() }
            }
            let timeout = Duration.seconds(drainTimeout)
            let runLogger = logger
            group.addTask { try await Self.run(worker, drainTimeout: timeout, logger: runLogger) }
            // The worker's end ends the metrics endpoint too.
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Runs `worker` until a signal ends it: SIGTERM drains it first (``Worker/drain(timeout:)``),
    /// a second SIGTERM or a SIGINT stops its jobs at once (``Worker/stopJobs()``); then the
    /// worker is cancelled (its lease revoked).
    private static func run(_ worker: Worker, drainTimeout: Duration, logger: Logger) async throws {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let (drainRequests, requestDrain) = AsyncStream.makeStream(of: Void.self)
        // Whichever child ends first ends the worker: the drain when it is done, the signal
        // reader after a second signal has stopped the jobs, or the worker itself with an error.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await worker.run() }
            group.addTask {
                for await _ in drainRequests {
                    await worker.drain(timeout: drainTimeout)
                    return
                }
            }
            group.addTask {
                var draining = false
                for await signal in signals {
                    if signal == .sigterm, !draining {
                        draining = true
                        logger.info("SIGTERM: draining this node", metadata: ["drain.timeout": "\(drainTimeout)"])
                        requestDrain.yield()
                        continue
                    }
                    logger.info("\(signal == .sigint ? "SIGINT" : "a second SIGTERM"): stopping the jobs now")
                    await worker.stopJobs()
                    return
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }
}

extension TitanWorker {
    /// `--guard-mode`: this process is the node guard of `workDir` (started by the worker).
    func runGuard(workDir: String, dockerSocket: String?, level: Logger.Level, format: LogFormat) async throws {
        LoggingSystem.bootstrap { label in LineLogHandler.make(label: label, format: format, level: level) }
        let node = NodeID(id ?? ProcessInfo.processInfo.hostName)
        var logger = Logger(label: "titan.guard")
        logger[metadataKey: "node.id"] = "\(node.rawValue)"
        // Working in the guarded directory: whoever cleans up a work directory's processes finds it.
        _ = FileManager.default.changeCurrentDirectoryPath(workDir)
        try await NodeGuard(node: node, workRoot: workDir, leaseTTLSeconds: leaseTTL, dockerSocket: dockerSocket, logger: logger).run()
    }

    /// The docker runtime when the engine answers a ping now; otherwise a warning and `nil`, and
    /// the node offers only exec (a restart picks Docker up once it runs).
    func dockerRuntime(socket dockerSocket: String, logger: Logger) async -> DockerRuntime? {
        guard !noDocker else {
            logger.info("docker runtime disabled by --no-docker; offering exec only")
            return nil
        }
        do {
            let runtime = try await DockerRuntime.connect(
                socketPath: dockerSocket, configuration: .init(maxConcurrentStarts: dockerParallel))
            logger.info("docker runtime offered", metadata: ["docker.socket": "\(dockerSocket)"])
            return runtime
        } catch {
            logger.warning(
                "Docker does not answer; offering the exec runtime only",
                metadata: ["docker.socket": "\(dockerSocket)", "error": "\(error)"])
            return nil
        }
    }
}

extension TitanWorker {
    /// Parses and runs; a refusal or a failure is one line on stderr (`titan-worker: …`) with exit
    /// code 64 for a usage error and 1 for a failure; --help prints the help.
    static func main() async {
        await runWithOneLineErrors(program: "titan-worker")
    }
}
