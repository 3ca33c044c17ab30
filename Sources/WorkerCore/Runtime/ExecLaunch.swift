import CProcessSupport
import ClusterModel
import Glibc

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything needed to start one exec job, checked before anything is created.
///
/// Building a launch is pure; `spawn` and `removeWorkDirectory` do blocking file-system work and
/// run on the runtime's thread pool, never on the cooperative pool or an event loop.
struct ExecLaunch: Sendable {
    /// The `PATH` a job gets unless its spec sets one.
    static let basePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The program and its arguments (`argv[0]` is looked up in `searchPath` when it has no slash).
    let argv: [String]
    /// The job's `PATH`: where a program named without a slash is looked up.
    let searchPath: String
    /// `NAME=value` entries, sorted by name.
    let environment: [String]
    /// The job's fresh directory: its working directory and `HOME`.
    let workDirectory: String
    /// Empty directories to take the work directory from, and to hand it back to.
    let spares: SpareDirectories

    /// How a spawn ended.
    enum Outcome: Sendable {
        /// The process runs and the reaper watches it.
        case started(WatchedProcess)
        /// The job could not start through its own fault; nothing was left behind.
        case failed(ExitStatus)
    }

    /// Checks the request; returns the status of a job that cannot start when it is malformed.
    static func make(_ request: RunRequest, workRoot: String, spares: SpareDirectories) -> Result<ExecLaunch, ExitStatusError> {
        let argv: [String]
        switch request.spec.command {
        case .argv(let words):
            argv = words
        case .script(let script):
            argv = ["/bin/sh", "-c", script]
        }
        guard let program = argv.first, !program.isEmpty else {
            return .failure(ExitStatusError(code: 127, reason: "the command is empty"))
        }
        if let bad = argv.first(where: { $0.utf8.contains(0) }) {
            return .failure(ExitStatusError(code: 127, reason: "an argument contains a NUL byte: \(bad.debugDescription)"))
        }
        var variables = ["PATH": basePath]
        for (name, value) in request.spec.environment {
            guard !name.isEmpty, !name.utf8.contains(UInt8(ascii: "=")), !name.utf8.contains(0) else {
                return .failure(ExitStatusError(code: 127, reason: "invalid environment variable name \(name.debugDescription)"))
            }
            guard !value.utf8.contains(0) else {
                return .failure(ExitStatusError(code: 127, reason: "the value of \(name) contains a NUL byte"))
            }
            variables[name] = value
        }
        let directory = workRoot + "/" + directoryName(request)
        variables["HOME"] = variables["HOME"] ?? directory
        // The runtime's own variables are authoritative: a spec cannot forge them.
        variables["TITAN_JOB_ID"] = request.job.rawValue
        variables["TITAN_ATTEMPT"] = String(request.attempt)
        variables["TITAN_EPOCH"] = String(request.epoch.rawValue)
        variables["TITAN_NODE_ID"] = request.node.rawValue
        let environment = variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return .success(
            ExecLaunch(argv: argv, searchPath: variables["PATH"]!, environment: environment, workDirectory: directory, spares: spares))
    }

    /// `<job>.<attempt>.<epoch>`, with every byte outside `[A-Za-z0-9_-]` of the job id as `_`, so
    /// an id can never name a path outside the work root.
    static func directoryName(_ request: RunRequest) -> String {
        let safe = String(
            decoding: request.job.rawValue.utf8.map { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    return byte
                default:
                    return UInt8(ascii: "_")
                }
            },
            as: UTF8.self
        )
        return "\(safe).\(request.attempt).\(request.epoch.rawValue)"
    }

    /// Creates the work directory (replacing a stale one), spawns the job with `stdout` and
    /// `stderr` as its output, closes those two descriptors in this process, and hands the child to
    /// the reaper. Blocking: runs on the thread pool.
    func spawn(stdout: Int32, stderr: Int32, reaper: ProcessReaper) throws(ExecRuntimeError) -> Outcome {
        defer {
            close(stdout)
            close(stderr)
        }
        try self.createWorkDirectory()
        let program = self.argv[0]
        let path: String
        switch self.resolveProgram() {
        case .success(let found):
            path = found
        case .failure(let notFound):
            self.removeWorkDirectory()
            return .failed(notFound.status)
        }
        var pid: pid_t = 0
        let rc = Self.withCStrings(self.argv) { argv in
            Self.withCStrings(self.environment) { environment in
                cps_spawn(&pid, path, argv, environment, self.workDirectory, stdout, stderr)
            }
        }
        guard rc == 0 else {
            self.removeWorkDirectory()
            switch rc {
            case ENOENT:
                return .failed(ExitStatus(code: 127, reason: "command not found: \(program)"))
            case EACCES, ENOEXEC, EISDIR:
                return .failed(ExitStatus(code: 126, reason: "cannot execute \(program): \(Self.text(rc))"))
            case EAGAIN, ENOMEM, EMFILE, ENFILE:
                throw .spawnResources(errno: rc)
            default:
                return .failed(ExitStatus(code: 127, reason: "cannot start \(program): \(Self.text(rc))"))
            }
        }
        do {
            return .started(try reaper.watch(pid: pid))
        } catch {
            // Unwatched, the child would never be collected: kill its group and reap it here.
            _ = kill(-pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            self.removeWorkDirectory()
            throw error
        }
    }

    /// Finds the program as `execvp` does, but in the job's `PATH` rather than the worker's: the
    /// first executable regular file of that name; an empty or relative entry starts from the work
    /// directory. A name with a slash is used as it is (relative to the work directory).
    private func resolveProgram() -> Result<String, ExitStatusError> {
        let name = self.argv[0]
        if name.utf8.contains(UInt8(ascii: "/")) {
            // Checked here because the spawn helper does not wait for exec: a program that cannot
            // run is reported now, as it would be by exec, rather than as an exit status 127.
            let full = name.hasPrefix("/") ? name : self.workDirectory + "/" + name
            var info = stat()
            guard stat(full, &info) == 0 else {
                return .failure(ExitStatusError(code: 127, reason: "command not found: \(name)"))
            }
            guard info.st_mode & S_IFMT == S_IFREG, access(full, X_OK) == 0 else {
                return .failure(ExitStatusError(code: 126, reason: "cannot execute \(name): Permission denied"))
            }
            return .success(name)
        }
        var notExecutable: String?
        for entry in self.searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let directory = entry.hasPrefix("/") ? String(entry) : self.workDirectory + "/" + entry
            let candidate = directory + "/" + name
            var info = stat()
            guard stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                continue
            }
            if access(candidate, X_OK) == 0 {
                return .success(candidate)
            }
            notExecutable = notExecutable ?? candidate
        }
        if let notExecutable {
            return .failure(ExitStatusError(code: 126, reason: "cannot execute \(notExecutable): Permission denied"))
        }
        return .failure(ExitStatusError(code: 127, reason: "command not found: \(name)"))
    }

    /// Removes the work directory and everything the job left in it (an empty one becomes a
    /// spare). Blocking: runs on the thread pool. A failure is ignored: the next run of the same
    /// attempt replaces the directory.
    func removeWorkDirectory() {
        if self.spares.give(self.workDirectory) { return }
        try? FileManager.default.removeItem(atPath: self.workDirectory)
    }

    private func createWorkDirectory() throws(ExecRuntimeError) {
        // The common cases in one or two system calls (a spare renamed into place; `mkdir`); the
        // general one (a leftover directory to replace, a missing work root) through FileManager.
        if access(self.workDirectory, F_OK) != 0 && self.spares.take(as: self.workDirectory) {
            return
        }
        if mkdir(self.workDirectory, 0o755) == 0 {
            return
        }
        let files = FileManager.default
        do {
            if files.fileExists(atPath: self.workDirectory) {
                try files.removeItem(atPath: self.workDirectory)
            }
            try files.createDirectory(atPath: self.workDirectory, withIntermediateDirectories: true)
        } catch {
            throw .workDirectory(path: self.workDirectory, message: "\(error)")
        }
    }

    private static func text(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// Calls `body` with a NULL-terminated array of C strings that live for the call.
    private static func withCStrings<R>(
        _ strings: [String],
        _ body: ([UnsafeMutablePointer<CChar>?]) -> R
    ) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}

/// The status of a job that cannot start because its spec is malformed, as an `Error` so that it
/// fits in a `Result`.
struct ExitStatusError: Error, Sendable {
    let code: Int32
    let reason: String

    /// The status `run` returns for it.
    var status: ExitStatus { ExitStatus(code: self.code, reason: self.reason) }
}
