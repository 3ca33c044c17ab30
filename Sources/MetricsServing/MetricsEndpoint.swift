import HTTPServing
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle

/// A daemon's metrics: swift-metrics bootstrapped with a Prometheus backend, and `GET /metrics`
/// answering in Prometheus's text format. Made once per process, in the executable, and only
/// when `--metrics-listen` was given: otherwise swift-metrics stays unbootstrapped and every
/// handle the daemon makes is a no-op.
public struct MetricsEndpoint: Sendable {
    /// The content type of the text exposition format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Where it listens.
    public let host: String
    /// The port it listens on (as asked).
    public let port: Int
    /// The registry every metric of the process lands in.
    public let registry: PrometheusCollectorRegistry

    /// Bootstraps swift-metrics for this process with a Prometheus backend whose histograms use
    /// the given buckets per metric name (and ``EtcdRequestMetrics``'s). Call once, before any
    /// metric handle is made.
    public init(host: String, port: Int, durationBuckets: [String: [Duration]], valueBuckets: [String: [Double]] = [:]) {
        self.host = host
        self.port = port
        registry = PrometheusCollectorRegistry()
        let durations = durationBuckets.merging(EtcdRequestMetrics.durationBuckets) { given, _ in given }
        MetricsSystem.bootstrap(Self.factory(registry: registry, durationBuckets: durations, valueBuckets: valueBuckets))
    }

    /// A backend writing to `registry` (tests use one with `withMetricsFactory` or pass it to
    /// the metrics types, never the global bootstrap).
    public static func factory(
        registry: PrometheusCollectorRegistry, durationBuckets: [String: [Duration]], valueBuckets: [String: [Double]] = [:]
    ) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = durationBuckets
        factory.valueHistogramBuckets = valueBuckets
        return factory
    }

    /// The answer to one request: `GET /metrics` runs `refresh` (the gauges counted at scrape
    /// time), then writes the registry; anything else is 404 or 405.
    public static func respond(
        to request: HTTPRequest, registry: PrometheusCollectorRegistry, refresh: @Sendable () async -> Void
    ) async -> HTTPResponse {
        guard request.path == "/metrics" else { return .notFound(request.path) }
        guard request.method == "GET" else { return .methodNotAllowed(request.method, allowed: "GET") }
        await refresh()
        return .text(registry.emitToString(), contentType: contentType)
    }

    /// Binds the endpoint and returns it as a service that serves until shutdown; an address
    /// that cannot be bound is one sentence naming it.
    public func service(logger: Logger, refresh: @escaping @Sendable () async -> Void) async throws -> MetricsService {
        let registry = registry
        let server = HTTPServer(host: host, port: port, group: MultiThreadedEventLoopGroup.singleton, logger: logger) { request in
            await Self.respond(to: request, registry: registry, refresh: refresh)
        }
        let bound: BoundHTTPServer
        do {
            bound = try await server.bind()
        } catch {
            throw MetricsListenError(address: "\(host):\(port)", underlying: "\(error)")
        }
        logger.info("serving metrics", metadata: ["address": "http://\(host):\(bound.port)/metrics"])
        return MetricsService(server: bound)
    }
}

/// The metrics endpoint could not listen where `--metrics-listen` said.
public struct MetricsListenError: Error, CustomStringConvertible {
    /// The address asked for.
    public var address: String
    /// What the socket layer said.
    public var underlying: String

    /// One sentence.
    public var description: String {
        "--metrics-listen \(address) cannot be listened on (\(underlying)): choose a free port on an address of this host"
    }
}

/// The bound endpoint as a service: serves until graceful shutdown.
public struct MetricsService: Service {
    let server: BoundHTTPServer

    /// Serves until the service group shuts down.
    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await server.serve()
        }
    }
}
