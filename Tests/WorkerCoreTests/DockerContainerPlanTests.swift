import ClusterModel
import Synchronization
import TitanTestSupport
import XCTest

@testable import WorkerCore

/// The pure parts of the docker runtime: the container a request becomes, and the start gate.
final class DockerContainerPlanTests: XCTestCase {
    private func request(_ spec: JobSpec, job: String = "job-1") -> RunRequest {
        RunRequest(job: JobID(job), attempt: 3, epoch: 9, node: "node-a", spec: spec)
    }

    func testArgvScriptEnvironmentLabelsAndLimits() {
        let argv = DockerContainerPlan(request(JobSpec(command: .argv(["echo", "hi"]))))
        XCTAssertEqual(argv.spec.command, ["echo", "hi"])
        XCTAssertEqual(argv.spec.image, "busybox:latest")
        XCTAssertEqual(argv.spec.networkMode, "none")
        // The default request: a tenth of a core (100m × 1,000,000 ns) and 64 MiB.
        XCTAssertEqual(argv.spec.nanoCPUs, 100_000_000)
        XCTAssertEqual(argv.spec.memoryBytes, 64 << 20)

        let spec = JobSpec(
            image: "app:1", command: .script("exit 3"), environment: ["A": "1", "TITAN_JOB_ID": "forged"],
            labels: ["team": "x"], resources: Resources(cpuMillis: 0, memoryBytes: 0), networkMode: .host)
        let script = DockerContainerPlan(request(spec))
        XCTAssertEqual(script.spec.command, ["sh", "-c", "exit 3"])
        XCTAssertEqual(script.spec.image, "app:1")
        XCTAssertEqual(script.spec.networkMode, "host")
        XCTAssertNil(script.spec.nanoCPUs, "zero means no limit")
        XCTAssertNil(script.spec.memoryBytes, "zero means no limit")
        XCTAssertEqual(
            script.spec.environment,
            ["A": "1", "TITAN_JOB_ID": "job-1", "TITAN_ATTEMPT": "3", "TITAN_EPOCH": "9", "TITAN_NODE_ID": "node-a"])
        XCTAssertEqual(
            script.spec.labels,
            ["titan.job": "job-1", "titan.attempt": "3", "titan.epoch": "9", "titan.node": "node-a", "titan.label.team": "x"])
        XCTAssertEqual(script.spec.name, "titan-job-1-3-9")
        XCTAssertEqual(script.program, "sh")
    }

    func testNamesAreSanitisedWithoutCollisions() {
        let plain = DockerContainerPlan.containerName(job: "build_42.a-b", attempt: 1, epoch: 2)
        XCTAssertEqual(plain, "titan-build_42.a-b-1-2")
        let slash = DockerContainerPlan.containerName(job: "a/b", attempt: 1, epoch: 2)
        let underscore = DockerContainerPlan.containerName(job: "a_b", attempt: 1, epoch: 2)
        XCTAssertTrue(slash.hasPrefix("titan-a_b-"), slash)
        XCTAssertNotEqual(slash, underscore, "a replaced character adds a hash of the real id")
        let long = DockerContainerPlan.containerName(job: String(repeating: "x", count: 500), attempt: 1, epoch: 2)
        XCTAssertLessThan(long.count, 140)
        let accented = DockerContainerPlan.containerName(job: "café ☕", attempt: 1, epoch: 2)
        XCTAssertTrue(accented.unicodeScalars.allSatisfy { $0.isASCII }, accented)
    }

    func testStartFailuresOfTheJobBecomeStatuses() {
        let missing = ExitStatus(
            startFailure: .engine(status: 400, message: #"exec: "nope": executable file not found in $PATH: unknown"#), program: "nope")
        XCTAssertEqual(missing, ExitStatus(code: 127, reason: "command not found: nope"))
        let denied = ExitStatus(startFailure: .engine(status: 400, message: "exec: permission denied"), program: "/x")
        XCTAssertEqual(denied, ExitStatus(code: 126, reason: "not executable: /x"))
        XCTAssertNil(ExitStatus(startFailure: .engine(status: 500, message: "disk full"), program: "x"))
        XCTAssertNil(ExitStatus(startFailure: .unreachable(socket: "/s"), program: "x"))
    }

    func testTheStartGateAdmitsAtMostItsLimit() async throws {
        let gate = StartGate(limit: 2)
        let counts = Holders()
        try await withDeadline(.seconds(30), waitingFor: "12 holders through a gate of 2") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        try await gate.acquire()
                        counts.enter()
                        try await Task.sleep(for: .milliseconds(10))
                        counts.leave()
                        gate.release()
                    }
                }
                try await group.waitForAll()
            }
        }
        XCTAssertEqual(counts.most, 2)
        XCTAssertEqual(gate.waiting, 0)
    }

    func testACancelledWaiterLeavesTheGate() async throws {
        let gate = StartGate(limit: 1)
        try await gate.acquire()
        let waiter = Task { try await gate.acquire() }
        try await waitUntil("the second acquire to wait at the gate", timeout: .seconds(10), interval: .milliseconds(1)) {
            gate.waiting > 0
        }
        waiter.cancel()
        let outcome = try await withDeadline(.seconds(10), waitingFor: "the cancelled waiter to leave the gate") { await waiter.result }
        XCTAssertThrowsError(try outcome.get()) { XCTAssertTrue($0 is CancellationError, "\($0)") }
        XCTAssertEqual(gate.waiting, 0)
        gate.release()
        // The permit is back: a new holder gets it at once.
        try await gate.acquire()
        gate.release()
    }
}

/// Counts the holders of a gate at once, and the most there ever were.
private final class Holders: Sendable {
    private let state = Mutex((now: 0, most: 0))

    var most: Int { self.state.withLock { $0.most } }

    func enter() {
        self.state.withLock { $0 = ($0.now + 1, max($0.most, $0.now + 1)) }
    }

    func leave() {
        self.state.withLock { $0.now -= 1 }
    }
}
