import ClusterModel
import DockerClient

/// The container one attempt of a docker job runs in: a pure translation of a `RunRequest` into
/// a `ContainerSpec` (no I/O), so it can be checked without an engine.
///
/// - `Cmd` is the job's argv, or `["sh", "-c", script]` for a script; the image's entrypoint is
///   kept (Titan's busybox has none).
/// - The environment is the spec's, overlaid with `TITAN_JOB_ID`, `TITAN_ATTEMPT`, `TITAN_EPOCH`
///   and `TITAN_NODE_ID` (as for exec jobs, the job cannot replace them).
/// - Labels `titan.job`, `titan.attempt`, `titan.epoch`, `titan.node` find the container again
///   (after a crash, in tests); the job's own labels ride along as `titan.label.<key>`.
/// - Limits: `NanoCpus` = `cpuMillis` × 1,000,000 and `Memory` = `memoryBytes` (swap limited to
///   the same); a zero amount means no limit. The network is `none` unless the job asks for `host`.
/// - The log driver is `local`: binary-safe, unlike `json-file` (see `ContainerSpec.logDriver`).
struct DockerContainerPlan: Sendable, Equatable {
    /// The label carrying the job id, present on every container Titan creates.
    static let jobLabel = "titan.job"
    /// The longest job id kept as is in a container name; longer ones are cut and hashed.
    static let maxNameJobLength = 96

    /// What to create.
    let spec: ContainerSpec
    /// The container's name (also in `spec.name`): unique per job, attempt and epoch.
    let name: String
    /// The program the job names, for the reason of a failed start.
    let program: String

    init(_ request: RunRequest) {
        let job = request.job.rawValue
        let command: [String]
        switch request.spec.command {
        case .argv(let argv):
            command = argv
        case .script(let script):
            command = ["sh", "-c", script]
        }
        var environment = request.spec.environment
        environment["TITAN_JOB_ID"] = job
        environment["TITAN_ATTEMPT"] = String(request.attempt)
        environment["TITAN_EPOCH"] = String(request.epoch.rawValue)
        environment["TITAN_NODE_ID"] = request.node.rawValue
        var labels: [String: String] = [:]
        for (key, value) in request.spec.labels {
            labels["titan.label.\(key)"] = value
        }
        labels[Self.jobLabel] = job
        labels["titan.attempt"] = String(request.attempt)
        labels["titan.epoch"] = String(request.epoch.rawValue)
        labels["titan.node"] = request.node.rawValue
        if let lease = request.lease {
            labels["titan.lease"] = String(lease)
        }
        let resources = request.spec.resources
        let name = Self.containerName(job: job, attempt: request.attempt, epoch: request.epoch.rawValue)
        self.name = name
        self.program = command.first ?? ""
        self.spec = ContainerSpec(
            image: request.spec.effectiveImage,
            command: command,
            environment: environment,
            labels: labels,
            nanoCPUs: resources.cpuMillis > 0 ? resources.cpuMillis * 1_000_000 : nil,
            memoryBytes: resources.memoryBytes > 0 ? resources.memoryBytes : nil,
            networkMode: Self.networkMode(request.spec.networkMode),
            name: name
        )
    }

    /// The engine's name of a network mode; exhaustive so that a new mode cannot slip through
    /// as something other than `none` by accident.
    static func networkMode(_ mode: NetworkMode) -> String {
        switch mode {
        case .none: return "none"
        case .host: return "host"
        }
    }

    /// `titan-<job>-<attempt>-<epoch>`, where the job id keeps only the characters a container
    /// name allows (`[A-Za-z0-9_.-]`, others become `_`). When anything had to change (replaced
    /// characters, a cut at ``maxNameJobLength``), a hash of the real id is appended, so two
    /// different ids never share a name.
    static func containerName(job: String, attempt: UInt32, epoch: UInt64) -> String {
        var kept = ""
        var changed = false
        for scalar in job.unicodeScalars {
            if kept.unicodeScalars.count == Self.maxNameJobLength {
                changed = true
                break
            }
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_.-".unicodeScalars.contains(scalar) {
                kept.unicodeScalars.append(scalar)
            } else {
                kept.unicodeScalars.append("_")
                changed = true
            }
        }
        if changed {
            kept += "-" + String(Self.hash(job), radix: 16)
        }
        return "titan-\(kept)-\(attempt)-\(epoch)"
    }

    /// 64-bit FNV-1a of the UTF-8 bytes: stable across runs, unlike `Hasher`.
    private static func hash(_ text: String) -> UInt64 {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return value
    }
}

extension ExitStatus {
    /// The status of a container that ran and stopped, from its exit code and whether the
    /// kernel's OOM killer ended it.
    init(containerExitCode exitCode: Int, oomKilled: Bool) {
        let code = Int32(clamping: exitCode)
        if oomKilled {
            self.init(code: code, oomKilled: true, reason: "killed: out of memory")
        } else {
            self.init(code: code, reason: "exited with code \(code)")
        }
    }

    /// An image that is missing and cannot be pulled: Docker's own code for a container that
    /// could not be created (125).
    static func imageUnavailable(_ image: String, reason: String) -> ExitStatus {
        ExitStatus(code: 125, reason: "image \(image) is not present and could not be pulled: \(reason)")
    }

    /// The engine refused the job's container (bad limits, bad name in the spec): 125.
    static func notCreated(_ message: String) -> ExitStatus {
        ExitStatus(code: 125, reason: "the container could not be created: \(message)")
    }

    /// A job cancelled before its container ran: nothing ran, so it reports a kill (137).
    static let cancelledBeforeStart = ExitStatus(code: 137, reason: "cancelled")

    /// The status of a container the engine could not start because of the job (its program is
    /// missing or not executable), or `nil` when the failure is the engine's.
    init?(startFailure error: DockerError, program: String) {
        let message: String
        switch error {
        case .engine(let status, let text):
            message = text
            // 400 is the engine's "your container is wrong"; 5xx only when the text says so.
            guard status == 400 || text.contains("executable file not found") || text.contains("permission denied") else {
                return nil
            }
        default:
            return nil
        }
        if message.contains("permission denied") {
            self.init(code: 126, reason: "not executable: \(program)")
        } else if message.contains("not found") || message.contains("no such file or directory") {
            self.init(code: 127, reason: "command not found: \(program)")
        } else {
            self.init(code: 127, reason: "the container could not start: \(message)")
        }
    }
}
