import CProcessSupport
import ClusterModel
import Foundation
import Glibc
import NIOCore
import NIOPosix
import Synchronization
import TitanTestSupport
import WorkerCore

/// Collects what a job wrote, per stream, and what `started` said.
final class OutputCollector: Sendable {
    private struct State {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var largestChunk = 0
        var started: [StartedJob] = []
    }

    private let state = Mutex(State())

    var stdout: [UInt8] { self.state.withLock { $0.stdout } }
    var stderr: [UInt8] { self.state.withLock { $0.stderr } }
    var stdoutText: String { String(decoding: self.stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: self.stderr, as: UTF8.self) }
    var largestChunk: Int { self.state.withLock { $0.largestChunk } }
    var started: [StartedJob] { self.state.withLock { $0.started } }

    func start(_ job: StartedJob) {
        self.state.withLock { $0.started.append(job) }
    }

    func append(_ kind: LogStreamKind, _ buffer: ByteBuffer) {
        let bytes = Array(buffer.readableBytesView)
        self.state.withLock { state in
            state.largestChunk = max(state.largestChunk, bytes.count)
            switch kind {
            case .stdout: state.stdout += bytes
            case .stderr: state.stderr += bytes
            }
        }
    }
}

/// A fresh work root per test case, and runtimes over the shared event loop group.
enum ExecFixture {
    static func makeWorkRoot() -> String {
        let path = "/tmp/titan-exec-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func runtime(
        workRoot: String,
        killGrace: Duration = .seconds(1),
        drainWindow: Duration = .seconds(1)
    ) throws -> ExecRuntime {
        try ExecRuntime(
            configuration: .init(workRoot: workRoot, killGrace: killGrace, drainWindow: drainWindow),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton
        )
    }

    static func request(
        _ command: JobCommand,
        job: JobID = "job-1",
        attempt: UInt32 = 1,
        environment: [String: String] = [:]
    ) -> RunRequest {
        RunRequest(
            job: job,
            attempt: attempt,
            epoch: 7,
            node: "node-a",
            spec: JobSpec(runtime: .exec, command: command, environment: environment)
        )
    }

    /// Runs a job to the end, collecting its output.
    static func run(
        _ runtime: ExecRuntime,
        _ request: RunRequest
    ) async throws -> (ExitStatus, OutputCollector) {
        let collector = OutputCollector()
        let status = try await runtime.runBounded(
            request,
            started: { collector.start($0) },
            output: { collector.append($0, $1) }
        )
        return (status, collector)
    }
}

extension JobRuntime {
    /// ``JobRuntime/run(_:started:output:)`` within `timeout`: a job that never ends fails the
    /// test with its name instead of hanging it.
    func runBounded(
        _ request: RunRequest,
        within timeout: Duration = .seconds(60),
        started: @escaping @Sendable (StartedJob) async -> Void,
        output: @escaping JobOutputHandler
    ) async throws -> ExitStatus {
        try await withDeadline(timeout, waitingFor: "job \(request.job) attempt \(request.attempt) to end") {
            try await self.run(request, started: started, output: output)
        }
    }

    /// ``JobRuntime/resume(_:skipping:output:)`` within `timeout`.
    func resumeBounded(
        _ request: RunRequest,
        within timeout: Duration = .seconds(60),
        skipping: OutputOffsets,
        output: @escaping JobOutputHandler
    ) async throws -> ExitStatus {
        try await withDeadline(timeout, waitingFor: "the resumed job \(request.job) to end") {
            try await self.resume(request, skipping: skipping, output: output)
        }
    }
}

/// What jobs left in a work root: the names in it other than the spares' directory, and the
/// spares that are not empty directories (both must be empty once every job has ended).
enum WorkRootFacts {
    static func leftovers(in workRoot: String) -> [String] {
        let files = FileManager.default
        let names = ((try? files.contentsOfDirectory(atPath: workRoot)) ?? ["?"]).filter { $0 != ".spare" }
        let spares = (try? files.contentsOfDirectory(atPath: workRoot + "/.spare")) ?? []
        let notEmpty = spares.filter { ((try? files.contentsOfDirectory(atPath: workRoot + "/.spare/" + $0)) ?? ["?"]) != [] }
        return names.sorted() + notEmpty.map { ".spare/" + $0 }
    }
}

/// Facts about processes, read from /proc.
enum ProcFacts {
    /// How many descriptors this process has open.
    static func openDescriptorCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    /// `(pid, parent pid, state)` of every process whose process group is `group`.
    static func members(ofGroup group: pid_t) -> [(pid: pid_t, parent: pid_t, state: Character)] {
        allProcesses().filter { $0.group == group }.map { ($0.pid, $0.parent, $0.state) }
    }

    /// The processes whose parent is this process, but for the runtime's spawn helper.
    static func children() -> [(pid: pid_t, state: Character)] {
        let me = getpid()
        let helper = cps_zygote_pid()
        return allProcesses().filter { $0.parent == me && $0.pid != helper }.map { ($0.pid, $0.state) }
    }

    /// Bytes the process has written so far (`wchar` of /proc/PID/io).
    static func bytesWritten(pid: pid_t) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8) else {
            return nil
        }
        for line in text.split(separator: "\n") where line.hasPrefix("wchar:") {
            return Int(line.dropFirst("wchar:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    private static func allProcesses() -> [(pid: pid_t, parent: pid_t, group: pid_t, state: Character)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name in
            guard let pid = pid_t(name),
                let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else {
                return nil
            }
            // After "pid (comm) ": state ppid pgrp …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, let state = fields[0].first, let parent = pid_t(fields[1]),
                let group = pid_t(fields[2])
            else {
                return nil
            }
            return (pid, parent, group, state)
        }
    }
}
