import ArgumentParser
import ClusterModel
import CommandSupport
import Foundation
import Logging
import MasterCore
import MetricsServing
import Placement
import ServiceLifecycle
import TitanClient

/// `titan-master`: flags → ``MasterConfiguration`` → a ``Master`` run as a service that stops
/// gracefully on SIGTERM or SIGINT (giving up leadership at once).
@main
struct TitanMaster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "titan-master",
        abstract: "The Titan scheduler: leads through etcd, places jobs, pushes them to workers."
    )

    @Option(help: "etcd endpoints, comma-separated (default: $TITAN_ETCD or http://127.0.0.1:2379).")
    var etcd: String?

    @Option(help: "Address to listen on, host:port.")
    var listen = "127.0.0.1:7070"

    @Option(help: "host:port that workers and clients use to reach this master (default: --listen).")
    var advertise: String?

    @Option(help: "File holding the cluster token (default: $TITAN_TOKEN_FILE).")
    var tokenFile: String?

    @Option(help: "This master's id (default: master-<host>-<port>).")
    var id: String?

    @Option(parsing: .unconditional, help: "Seconds a dead leader keeps the role before a standby takes over (2 to 3600).")
    var leaseTTL: Int64 = 5

    @Option(help: "Placement strategy: binpack (fill nodes) or spread.")
    var strategy = "binpack"

    @Option(parsing: .unconditional, help: "The most compressed log output archived per job attempt (e.g. 8Mi, 1Gi; at most 8Gi); past it output is cut and a marker says how much.")
    var logArchiveCap = "8Mi"

    @Option(parsing: .unconditional, help: "How long finished jobs and their logs are kept, e.g. 90s, 30m, 24h, 7d; 0 keeps them for ever.")
    var retention = "24h"

    @OptionGroup var logging: DaemonLogOptions

    @OptionGroup var metricsOptions: MetricsOptions

    /// The largest --log-archive-cap: 8Gi, etcd's largest storage quota, for one attempt's output.
    static let maxLogArchiveBytes: Int64 = 8 << 30

    /// Parses and runs; a refusal or a failure is one line on stderr (`titan-master: …`) with exit
    /// code 64 for a usage error and 1 for a failure; --help prints the help.
    static func main() async {
        await runWithOneLineErrors(program: "titan-master")
    }

    func run() async throws {
        guard let strategy = PlacementStrategy(rawValue: strategy) else {
            throw ValidationError("--strategy '\(strategy)' is unknown: use binpack or spread")
        }
        let (level, format) = try logging.validated()
        let metricsAddress = try metricsOptions.validated()
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (1...65535).contains(port) else {
            throw ValidationError("--listen '\(listen)' is not host:port with a port from 1 to 65535")
        }
        let archiveCap: Int64
        let keep: Int64
        do throws(QuantityError) {
            archiveCap = try QuantityParser.memoryBytes(logArchiveCap, flag: "--log-archive-cap", upTo: Self.maxLogArchiveBytes)
            keep = try QuantityParser.durationSeconds(retention, flag: "--retention")
        } catch {
            throw ValidationError(error.description)
        }
        guard (2...3600).contains(leaseTTL) else {
            throw ValidationError("--lease-ttl \(leaseTTL) is out of range: use 2 (etcd's minimum) to 3600 seconds")
        }
        let host = String(listen[..<colon])
        do {
            let configuration = MasterConfiguration(
                id: id ?? "master-\(ProcessInfo.processInfo.hostName)-\(port)",
                etcdEndpoints: try ClusterSettings.etcdEndpoints(flag: etcd),
                listenHost: host,
                listenPort: port,
                advertiseAddress: advertise ?? listen,
                token: try ClusterSettings.token(flag: tokenFile),
                leaseTTLSeconds: leaseTTL,
                strategy: strategy,
                maxLogArchiveBytes: Int(archiveCap),
                retention: keep == 0 ? nil : .seconds(keep)
            )
            // Once every flag is checked: a refused command line leaves no trace file behind.
            try logging.startTrace()
            LoggingSystem.bootstrap { label in LineLogHandler.make(label: label, format: format, level: level) }
            var logger = Logger(label: "titan.master")
            logger.logLevel = level
            // Bootstrapped (once, here) before any metric handle is made; without the flag every handle is a no-op.
            let endpoint = metricsAddress.map {
                MetricsEndpoint(host: $0.host, port: $0.port, durationBuckets: MasterMetrics.durationBuckets, valueBuckets: MasterMetrics.valueBuckets)
            }
            let metrics = MasterMetrics()
            let master = Master(configuration: configuration, logger: logger, metrics: metrics, etcdObserver: endpoint.map { _ in EtcdRequestMetrics().observer })
            var services: [any Service] = []
            if let endpoint {
                services.append(try await endpoint.service(logger: logger) { await metrics.refresh() })
            }
            services.append(MasterService(master: master))
            let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            try await group.run()
        } catch let error as SettingsError {
            throw ValidationError(error.description)
        }
    }
}

/// The master as a service: graceful shutdown cancels it, which revokes the leader lease.
struct MasterService: Service {
    let master: Master

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await master.run()
        }
    }
}
