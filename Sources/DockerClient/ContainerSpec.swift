/// Everything needed to create a container: `POST /containers/create`.
///
/// The defaults are Titan's: no network (`none`), no TTY (so stdout and stderr stay apart in the
/// multiplexed log stream), no CPU or memory limit unless given.
public struct ContainerSpec: Sendable, Equatable {
    /// The image reference, e.g. `busybox:latest`. It must be present (see ``DockerClient/ensureImage(_:)``).
    public var image: String
    /// The command and its arguments (`Cmd`). Required by images without a default command,
    /// which includes Titan's imported busybox.
    public var command: [String]
    /// Replaces the image's entrypoint when set (`Entrypoint`); `nil` keeps the image's.
    public var entrypoint: [String]?
    /// Environment variables, passed as `NAME=value`.
    public var environment: [String: String]
    /// Labels on the container; Titan marks its containers so it can find them again.
    public var labels: [String: String]
    /// The CPU limit in billionths of a CPU (`NanoCpus`: 500_000_000 = half a CPU); `nil` for none.
    public var nanoCPUs: Int64?
    /// The memory limit in bytes (`Memory`, at least 6 MiB); `nil` for none. Swap is limited to
    /// the same value (`MemorySwap`), so the container cannot exceed it by swapping.
    public var memoryBytes: Int64?
    /// The network mode: `none` (the default, and Titan's rule) or `host` when a job asks for it.
    public var networkMode: String
    /// A name for the container; `nil` lets the engine pick one. Names are unique per engine.
    public var name: String?
    /// The working directory inside the container; `nil` keeps the image's.
    public var workingDirectory: String?
    /// The log driver (`HostConfig.LogConfig.Type`); `nil` keeps the engine's default.
    ///
    /// The default is `local` because it is the readable driver that is **binary-safe**: the
    /// engine's usual default, `json-file`, stores each line as a JSON string and replaces every
    /// invalid UTF-8 byte with U+FFFD, so 100,000 random bytes came back as ~185,000 (measured on
    /// Docker 20.10). `local` stores raw bytes, and `logs?follow=1` reads it back exactly.
    public var logDriver: String?

    /// Creates a spec; only the image and the command are required.
    public init(
        image: String,
        command: [String],
        entrypoint: [String]? = nil,
        environment: [String: String] = [:],
        labels: [String: String] = [:],
        nanoCPUs: Int64? = nil,
        memoryBytes: Int64? = nil,
        networkMode: String = "none",
        name: String? = nil,
        workingDirectory: String? = nil,
        logDriver: String? = "local"
    ) {
        self.image = image
        self.command = command
        self.entrypoint = entrypoint
        self.environment = environment
        self.labels = labels
        self.nanoCPUs = nanoCPUs
        self.memoryBytes = memoryBytes
        self.networkMode = networkMode
        self.name = name
        self.workingDirectory = workingDirectory
        self.logDriver = logDriver
    }
}

/// The JSON body of `POST /containers/create`, in the engine's field names.
struct CreateContainerBody: Encodable {
    struct Host: Encodable {
        var NetworkMode: String
        var NanoCpus: Int64?
        var Memory: Int64?
        var MemorySwap: Int64?
        var LogConfig: Log?
    }

    struct Log: Encodable {
        var `Type`: String
    }

    var Image: String
    var Cmd: [String]
    var Entrypoint: [String]?
    var Env: [String]
    var Labels: [String: String]
    var WorkingDir: String?
    var Tty = false
    var OpenStdin = false
    var AttachStdin = false
    var AttachStdout = false
    var AttachStderr = false
    var HostConfig: Host

    init(_ spec: ContainerSpec) {
        Image = spec.image
        Cmd = spec.command
        Entrypoint = spec.entrypoint
        // Sorted so that the same spec always produces the same body.
        Env = spec.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        Labels = spec.labels
        WorkingDir = spec.workingDirectory
        HostConfig = .init(
            NetworkMode: spec.networkMode,
            NanoCpus: spec.nanoCPUs,
            Memory: spec.memoryBytes,
            MemorySwap: spec.memoryBytes,
            LogConfig: spec.logDriver.map { Log(Type: $0) }
        )
    }
}

/// The answer to a create: the new id and any warnings the engine had.
struct CreateContainerAnswer: Decodable {
    var Id: String
    var Warnings: [String]?
}
