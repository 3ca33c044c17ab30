/// What a job runs: an argument vector, or a shell script.
public enum JobCommand: Hashable, Sendable {
    /// An argument vector, run as is: `argv[0]` is the program (looked up in `PATH`).
    case argv([String])
    /// A script, run by `/bin/sh -c`.
    case script(String)
}

/// Everything a user says about a job when submitting it.
///
/// A spec is immutable once accepted: every attempt of the job runs the same spec. Bounds on each
/// field are enforced by the wire protocol (see `Protocol/README.md`); semantic checks (a docker
/// job needs an image, resources are positive) are the leader's admission.
public struct JobSpec: Hashable, Sendable, Codable {
    /// The image used for a `docker` job that names none.
    public static let defaultImage = "busybox:latest"

    /// A human-readable name; not unique, not an identifier.
    public var name: String?
    /// How the job runs.
    public var runtime: Runtime
    /// The container image of a `docker` job; `nil` means `defaultImage`. Ignored by `exec`.
    public var image: String?
    /// What the job runs.
    public var command: JobCommand
    /// Environment variables added to the job's environment.
    public var environment: [String: String]
    /// Free-form labels describing the job (shown by the CLI, usable in filters).
    public var labels: [String: String]
    /// Node labels the job requires: it is placed only on a node whose labels include all of these.
    public var nodeSelector: [String: String]
    /// The CPU and memory the job reserves on its node.
    public var resources: Resources
    /// Scheduling priority: higher values are placed first.
    public var priority: Int32
    /// How many attempts may fail on their own — a non-zero exit, an OOM kill, a timeout —
    /// before the job is `failed` (at least 1: 1 means no retry). Attempts lost to the
    /// infrastructure do not count here but against ``maxNodeLosses``.
    public var maxAttempts: UInt32
    /// Wall-clock limit of one attempt in seconds; `0` means no limit.
    public var timeoutSeconds: UInt32
    /// The network of the job's container.
    public var networkMode: NetworkMode
    /// How many attempts the job may lose to the infrastructure — its node lost, its worker
    /// fenced, or restarted without it — and still run again; one more makes it `lost`.
    public var maxNodeLosses: UInt32
    /// Seconds before the first retry after an attempt failed on its own; each further failure
    /// doubles it, up to ``retryDelayMaxSeconds``, with ±20 % jitter. `0`: retry at once.
    public var retryDelaySeconds: UInt32
    /// The longest delay before a retry, in seconds.
    public var retryDelayMaxSeconds: UInt32

    /// Creates a spec; every argument but the command has the default an operator would expect.
    public init(
        name: String? = nil,
        runtime: Runtime = .docker,
        image: String? = nil,
        command: JobCommand,
        environment: [String: String] = [:],
        labels: [String: String] = [:],
        nodeSelector: [String: String] = [:],
        resources: Resources = .defaultRequest,
        priority: Int32 = 0,
        maxAttempts: UInt32 = 1,
        timeoutSeconds: UInt32 = 0,
        networkMode: NetworkMode = .none,
        maxNodeLosses: UInt32 = RetryDefaults.maxNodeLosses,
        retryDelaySeconds: UInt32 = RetryDefaults.retryDelaySeconds,
        retryDelayMaxSeconds: UInt32 = RetryDefaults.retryDelayMaxSeconds
    ) {
        self.name = name
        self.runtime = runtime
        self.image = image
        self.command = command
        self.environment = environment
        self.labels = labels
        self.nodeSelector = nodeSelector
        self.resources = resources
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.timeoutSeconds = timeoutSeconds
        self.networkMode = networkMode
        self.maxNodeLosses = maxNodeLosses
        self.retryDelaySeconds = retryDelaySeconds
        self.retryDelayMaxSeconds = retryDelayMaxSeconds
    }

    private enum CodingKeys: String, CodingKey {
        case name, runtime, image, command, environment, labels, nodeSelector, resources, priority, maxAttempts
        case timeoutSeconds, networkMode, maxNodeLosses, retryDelaySeconds, retryDelayMaxSeconds
    }

    /// Decodes a spec; the retry fields, which records written before they existed lack, take
    /// their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try c.decodeIfPresent(String.self, forKey: .name),
            runtime: try c.decode(Runtime.self, forKey: .runtime),
            image: try c.decodeIfPresent(String.self, forKey: .image),
            command: try c.decode(JobCommand.self, forKey: .command),
            environment: try c.decode([String: String].self, forKey: .environment),
            labels: try c.decode([String: String].self, forKey: .labels),
            nodeSelector: try c.decode([String: String].self, forKey: .nodeSelector),
            resources: try c.decode(Resources.self, forKey: .resources),
            priority: try c.decode(Int32.self, forKey: .priority),
            maxAttempts: try c.decode(UInt32.self, forKey: .maxAttempts),
            timeoutSeconds: try c.decode(UInt32.self, forKey: .timeoutSeconds),
            networkMode: try c.decode(NetworkMode.self, forKey: .networkMode),
            maxNodeLosses: try c.decodeIfPresent(UInt32.self, forKey: .maxNodeLosses) ?? RetryDefaults.maxNodeLosses,
            retryDelaySeconds: try c.decodeIfPresent(UInt32.self, forKey: .retryDelaySeconds) ?? RetryDefaults.retryDelaySeconds,
            retryDelayMaxSeconds: try c.decodeIfPresent(UInt32.self, forKey: .retryDelayMaxSeconds) ?? RetryDefaults.retryDelayMaxSeconds
        )
    }

    /// The image a `docker` worker pulls and runs for this job.
    public var effectiveImage: String {
        self.image ?? Self.defaultImage
    }
}

// `JobCommand` encodes as `{"argv": ["sleep", "5"]}` or `{"script": "echo hi"}`: the synthesized
// form (`{"argv": {"_0": […]}}`) would leak Swift's positional labels into the etcd records.
extension JobCommand: Codable {
    private enum CodingKeys: String, CodingKey {
        case argv
        case script
    }

    /// Decodes a command from an object with exactly one of the keys `argv` or `script`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch (container.contains(.argv), container.contains(.script)) {
        case (true, false):
            self = .argv(try container.decode([String].self, forKey: .argv))
        case (false, true):
            self = .script(try container.decode(String.self, forKey: .script))
        default:
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath,
                    debugDescription: "A job command has exactly one of the keys 'argv' or 'script'."
                )
            )
        }
    }

    /// Encodes the command as an object with one key, `argv` or `script`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .argv(let argv):
            try container.encode(argv, forKey: .argv)
        case .script(let script):
            try container.encode(script, forKey: .script)
        }
    }
}
