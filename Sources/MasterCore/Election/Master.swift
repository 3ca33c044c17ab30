import ClusterModel
import EtcdClient
import Logging
import NIOCore
import NIOPosix
import Placement
import WireProtocol

/// Everything a master needs, from its flags.
public struct MasterConfiguration: Sendable {
    /// This master's id (unique among masters).
    public var id: String
    /// etcd client URLs.
    public var etcdEndpoints: [String]
    /// Address to listen on.
    public var listenHost: String
    /// Port to listen on (must be fixed: it is published in the leader key).
    public var listenPort: Int
    /// `host:port` that clients and workers use to reach this master.
    public var advertiseAddress: String
    /// The cluster token.
    public var token: [UInt8]
    /// TTL of the leader lease, in seconds: how long a dead leader keeps the role.
    public var leaseTTLSeconds: Int64
    /// Placement strategy.
    public var strategy: PlacementStrategy
    /// The most compressed log bytes archived per job attempt; output past it is cut (a marker
    /// says how much).
    public var maxLogArchiveBytes: Int
    /// How long a finished job and its logs are kept; nil keeps them for ever.
    public var retention: Duration?
    /// Base URL of this master's web UI, published in the leader key; nil when it serves none.
    public var uiURL: String?

    /// Creates a configuration.
    public init(
        id: String,
        etcdEndpoints: [String],
        listenHost: String,
        listenPort: Int,
        advertiseAddress: String,
        token: [UInt8],
        leaseTTLSeconds: Int64,
        strategy: PlacementStrategy,
        maxLogArchiveBytes: Int = 8 << 20,
        retention: Duration? = .seconds(24 * 3600),
        uiURL: String? = nil
    ) {
        self.id = id
        self.etcdEndpoints = etcdEndpoints
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.advertiseAddress = advertiseAddress
        self.token = token
        self.leaseTTLSeconds = leaseTTLSeconds
        self.strategy = strategy
        self.maxLogArchiveBytes = maxLogArchiveBytes
        self.retention = retention
        self.uiURL = uiURL
    }
}

/// A Titan master: listens from the start, campaigns for leadership, and while it leads runs a
/// ``Term``. A standby answers every connection with `notLeader` and the leader's address.
public struct Master: Sendable {
    let configuration: MasterConfiguration
    let logger: Logger
    let metrics: MasterMetrics
    let etcdObserver: EtcdClient.RequestObserver?

    /// Creates a master recording into `metrics`; `etcdObserver` is told of every etcd request.
    public init(configuration: MasterConfiguration, logger: Logger, metrics: MasterMetrics = MasterMetrics(), etcdObserver: EtcdClient.RequestObserver? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.etcdObserver = etcdObserver
    }

    /// Runs until the task is cancelled (SIGTERM/SIGINT); on the way out it gives up the
    /// leader lease so that a standby takes over at once.
    public func run() async throws {
        let etcd = EtcdClient(endpoints: configuration.etcdEndpoints, observer: etcdObserver)
        defer { etcd.shutdown() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = MasterServer(
            configuration: .init(host: configuration.listenHost, port: configuration.listenPort, token: configuration.token, serverID: configuration.id),
            group: group,
            logger: logger
        )
        let listener = try await server.bind()
        logger.info("listening", metadata: ["address": "\(configuration.listenHost):\(configuration.listenPort)"])
        let router = ConnectionRouter(etcd: etcd, logger: logger)
        let election = LeaderElection(
            etcd: etcd,
            record: LeaderRecord(id: configuration.id, address: configuration.advertiseAddress, ui: configuration.uiURL),
            ttlSeconds: configuration.leaseTTLSeconds,
            logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await router.accept(from: listener) }
            tasks.addTask {
                try await election.run { term in
                    try await Term(term: term, etcd: etcd, configuration: configuration, router: router, logger: logger, metrics: metrics).run()
                }
            }
            defer { tasks.cancelAll() }
            try await tasks.next()
        }
        try? await group.shutdownGracefully()
    }
}
