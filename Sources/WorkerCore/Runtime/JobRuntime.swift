import ClusterModel
import NIOCore

/// One attempt of one job, as a worker was assigned it.
public struct RunRequest: Sendable, Hashable {
    /// The job.
    public var job: JobID
    /// The attempt number (1 for the first start of the job).
    public var attempt: UInt32
    /// The fencing token of this assignment; the worker echoes it in every report.
    public var epoch: Epoch
    /// The node that runs the attempt (this worker).
    public var node: NodeID
    /// What to run.
    public var spec: JobSpec
    /// The node lease the attempt runs under, when the worker holds one: a container carries it
    /// as the label `titan.lease`, so that the node guard can kill what a lease left behind.
    public var lease: Int64?

    /// Creates a request.
    public init(job: JobID, attempt: UInt32, epoch: Epoch, node: NodeID, spec: JobSpec, lease: Int64? = nil) {
        self.job = job
        self.attempt = attempt
        self.epoch = epoch
        self.node = node
        self.spec = spec
        self.lease = lease
    }
}

/// How a job ended, or why it could not start.
public struct ExitStatus: Sendable, Hashable {
    /// The exit code: the process's own (0…255), `128 + n` when signal `n` killed it, `127` when
    /// the program could not be found or started, `126` when it is not executable, and `-1` when
    /// the worker lost track of the process (its status could not be collected).
    public var code: Int32
    /// Whether the kernel's out-of-memory killer ended the job (the exec runtime cannot tell, and
    /// always says `false`).
    public var oomKilled: Bool
    /// A one-line explanation for the user: `"exited with code 3"`, `"killed by signal 9"`,
    /// `"cancelled"`, `"command not found: foo"`.
    public var reason: String
    /// Whether the infrastructure ended the attempt rather than the job (the container engine
    /// went away under it): the leader runs it again without charging the job's attempts.
    public var lostByInfrastructure: Bool

    /// Creates a status.
    public init(code: Int32, oomKilled: Bool = false, reason: String, lostByInfrastructure: Bool = false) {
        self.code = code
        self.oomKilled = oomKilled
        self.reason = reason
        self.lostByInfrastructure = lostByInfrastructure
    }

    /// Whether the job succeeded (code 0).
    public var succeeded: Bool { self.code == 0 }
}

/// An attempt an earlier process of this node left behind in a runtime: a container that still
/// runs, or stopped and was not removed.
public struct LeftoverAttempt: Sendable, Hashable {
    /// The job, from the container's `titan.job` label.
    public var job: JobID
    /// The attempt, from `titan.attempt`.
    public var attempt: UInt32
    /// The epoch of the assignment that started it, from `titan.epoch`.
    public var epoch: Epoch
    /// The runtime's id of what was left (the container id).
    public var runtimeID: String

    /// Creates the description of a leftover.
    public init(job: JobID, attempt: UInt32, epoch: Epoch, runtimeID: String) {
        self.job = job
        self.attempt = attempt
        self.epoch = epoch
        self.runtimeID = runtimeID
    }
}

/// How many bytes of each output stream of an attempt are accounted for already.
public struct OutputOffsets: Sendable, Hashable {
    /// Bytes of stdout.
    public var stdout: UInt64
    /// Bytes of stderr.
    public var stderr: UInt64

    /// Creates offsets; zero for a stream not given.
    public init(stdout: UInt64 = 0, stderr: UInt64 = 0) {
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// What a runtime tells its caller once a job's process runs.
public struct StartedJob: Sendable, Hashable {
    /// How the runtime names the running job, for logs and operators: `"pid 1234"` or a container id.
    public var runtimeID: String
    /// The job's process group on this host, when the runtime has one (the exec runtime: the job's
    /// own group, whose id is the pid of its main process). `kill(-processGroup, …)` reaches every
    /// process of the job that stayed in its group.
    public var processGroup: Int32?

    /// Creates the description of a started job.
    public init(runtimeID: String, processGroup: Int32? = nil) {
        self.runtimeID = runtimeID
        self.processGroup = processGroup
    }
}

/// Delivers one chunk of a job's output. It may suspend: while it does, the runtime reads no more
/// of that stream (backpressure), so the job blocks on its full pipe; nothing is dropped.
public typealias JobOutputHandler = @Sendable (LogStreamKind, ByteBuffer) async -> Void

/// A way of running jobs on a worker: the docker runtime or the exec runtime.
///
/// ## Contract of `run`
/// - It calls `started` exactly once, after the job's process runs and before any output is
///   delivered. A job that cannot start (the program does not exist, is not executable, the spec
///   is malformed) is not an error: `run` returns an `ExitStatus` with code 127 (126 when not
///   executable) and a reason naming the cause, without calling `started` — the leader records
///   the job `failed`, as for any other bad exit.
/// - It throws only when *this worker* cannot run jobs (descriptors exhausted, the work root is
///   not writable, the runtime was shut down): the job is not at fault and may run elsewhere.
///   Nothing of the job is left behind when it throws.
/// - Output arrives through `output` in order per stream, in chunks of at most 256 KiB, as soon
///   as it is read. The two streams are independent: their relative order is not preserved.
/// - It returns once the job's main process has exited *and* both streams reached their end (or
///   were closed because a process that left the job's group kept them open after the main
///   process exited).
/// - Cancelling the calling task kills the job: SIGTERM to its whole process group, SIGKILL after
///   the runtime's grace period. `run` still waits for the process, still delivers the output
///   written until then, and returns its status with the reason `"cancelled"`.
/// - What an attempt that returned a status leaves on the host (a stopped container) stays until
///   ``release(_:)``, which the caller calls once the outcome is safe; an attempt that threw left
///   nothing.
public protocol JobRuntime: Sendable {
    /// The runtime this implementation provides.
    var kind: Runtime { get }

    /// What an earlier process of this node left in this runtime (containers outlive a worker
    /// that crashed). Called when an incarnation starts, before it registers; the worker then
    /// adopts each one (``resume(_:skipping:output:)``) or ``discard(_:)``s it.
    func leftovers(node: NodeID) async throws -> [LeftoverAttempt]

    /// Kills and removes a leftover that is no longer this node's to run.
    func discard(_ leftover: LeftoverAttempt) async throws

    /// Supervises the leftover attempt `request` to its end as ``run(_:started:output:)`` would
    /// have (it has started already: no `started`). Its output is delivered from the byte after
    /// `skipping` of each stream (what the archive holds already). Throws when there is nothing
    /// to supervise.
    func resume(_ request: RunRequest, skipping: OutputOffsets, output: @escaping JobOutputHandler) async throws -> ExitStatus

    /// Runs one attempt of a job to completion; see the protocol's documentation for the contract.
    func run(
        _ request: RunRequest,
        started: @Sendable (StartedJob) async -> Void,
        output: @escaping JobOutputHandler
    ) async throws -> ExitStatus

    /// Removes what the ended attempt `request` left on the host (its stopped container); nothing
    /// to do for a runtime that leaves nothing. Idempotent.
    func release(_ request: RunRequest) async throws
}
