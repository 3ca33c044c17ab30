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
import WebUI

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

    @Option(help: "Serve the web UI on host:port (off when absent; Tools/titan-up always gives the masters one). A standby's UI redirects to the leader's.")
    var uiListen: String?

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
        let (host, port) = try Self.hostPort(listen, flag: "--listen")
        let ui = try uiListen.map { try Self.hostPort($0, flag: "--ui-listen") }
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
                retention: keep == 0 ? nil : .seconds(keep),
                uiURL: ui.map { "http://\($0.host):\($0.port)" }
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
            if let ui {
                let webUI = WebUI(
                    configuration: WebUIConfiguration(masterID: configuration.id, etcdEndpoints: configuration.etcdEndpoints, token: configuration.token, host: ui.host, port: ui.port),
                    logger: logger
                )
                let bound: (port: Int, serve: @Sendable () async throws -> Void)
                do {
                    bound = try await webUI.bind()
                } catch {
                    throw ValidationError("cannot listen on --ui-listen '\(uiListen ?? "")' (\(error)): pick a free port")
                }
                logger.info("web UI listening", metadata: ["url": "\(configuration.uiURL ?? "")"])
                services.append(WebUIService(serve: bound.serve))
            }
            let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            try await group.run()
        } catch let error as SettingsError {
            throw ValidationError(error.description)
        }
    }
}

extension TitanMaster {
    /// `host:port` with a port from 1 to 65535, or a refusal naming `flag`.
    static func hostPort(_ value: String, flag: String) throws -> (host: String, port: Int) {
        guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]), (1...65535).contains(port), colon != value.startIndex else {
            throw ValidationError("\(flag) '\(value)' is not host:port with a port from 1 to 65535")
        }
        return (String(value[..<colon]), port)
    }
}

/// The web UI as a service: graceful shutdown closes its listener and streams.
struct WebUIService: Service {
    let serve: @Sendable () async throws -> Void

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await serve()
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
