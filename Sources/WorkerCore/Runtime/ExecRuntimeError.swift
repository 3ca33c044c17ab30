import ClusterModel
import Glibc

/// Why this worker cannot run an exec job. Every case is the worker's fault, never the job's: the
/// job did not start (or was killed and reaped), and may run on another node.
///
/// A job that is itself broken (its program does not exist, is not executable) is not an error:
/// `ExecRuntime.run` returns an `ExitStatus` with code 127 or 126 for it.
public enum ExecRuntimeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kernel lacks pidfds or epoll (Linux 5.3 or later is required).
    case unsupportedKernel(errno: Int32)
    /// The process reaper's thread could not be started.
    case threadUnavailable(errno: Int32)
    /// A descriptor could not be created (usually the limit of open files was reached).
    case descriptors(what: String, errno: Int32)
    /// The job's work directory could not be prepared.
    case workDirectory(path: String, message: String)
    /// The kernel refused to create the process for lack of resources (`EAGAIN`, `ENOMEM`, …).
    case spawnResources(errno: Int32)
    /// The runtime's thread pool was shut down.
    case shutDown
    /// A job was to be resumed, which the exec runtime cannot do: its processes die with the worker.
    case cannotResume(JobID)

    /// One sentence that says what happened and what to do.
    public var description: String {
        switch self {
        case .unsupportedKernel(let code):
            return "The exec runtime needs pidfds and epoll (Linux 5.3 or later): \(Self.text(code))."
        case .threadUnavailable(let code):
            return "The exec runtime could not start its process reaper thread: \(Self.text(code))."
        case .descriptors(let what, let code):
            return "The exec runtime could not create \(what): \(Self.text(code)); raise the open-files limit."
        case .workDirectory(let path, let message):
            return "The exec runtime could not prepare the work directory '\(path)': \(message)."
        case .spawnResources(let code):
            return "The exec runtime could not create a process: \(Self.text(code)); the host is out of resources."
        case .shutDown:
            return "The exec runtime's thread pool is shut down; the worker is stopping."
        case .cannotResume(let job):
            return "The exec runtime cannot resume job \(job.rawValue): its process died with the worker that started it."
        }
    }

    static func text(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}
