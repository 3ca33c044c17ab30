import ClusterModel
import DockerClient
import Foundation
import Synchronization
import WorkerCore
import TitanTestSupport
import XCTest

/// The docker runtime against the real dockerd: exit codes, output, environment, limits, OOM,
/// a missing image, a missing program, cancellation, and no container left behind.
///
/// Every job id starts with this test's run id; tearDown force-removes any container whose
/// `titan.job` label carries it, and fails the test if there was one. It fails (never skips)
/// when dockerd does not answer.
final class DockerRuntimeTests: XCTestCase {
    private var docker: DockerClient!
    private var runtime: DockerRuntime!
    private var runID = ""

    override func setUp() async throws {
        try await super.setUp()
        runID = "drt-" + UUID().uuidString.prefix(8).lowercased()
        let client = try await TestServices.requireDocker()
        docker = client
        runtime = DockerRuntime(client: client, configuration: .init(maxConcurrentStarts: 4, killGrace: .seconds(1)))
    }

    override func tearDown() async throws {
        if let docker {
            let ours = try await leftovers()
            XCTAssertEqual(ours.map(\.names), [], "containers of \(runID) were left behind")
            for container in ours {
                try await docker.removeContainer(container.id, force: true)
            }
        }
        docker = nil
        runtime = nil
        try await super.tearDown()
    }

    /// Containers of this test's jobs that still exist.
    private func leftovers() async throws -> [ContainerSummary] {
        try await docker.listContainers(labels: ["titan.job": nil]).filter {
            $0.labels["titan.job"]?.hasPrefix(runID) ?? false
        }
    }

    private func request(
        _ command: JobCommand,
        job: String = "job",
        image: String? = nil,
        environment: [String: String] = [:],
        resources: Resources = .defaultRequest
    ) -> RunRequest {
        RunRequest(
            job: JobID("\(runID)-\(job)"),
            attempt: 2,
            epoch: 7,
            node: "node-a",
            spec: JobSpec(runtime: .docker, image: image, command: command, environment: environment, resources: resources)
        )
    }

    private func run(_ request: RunRequest) async throws -> (ExitStatus, OutputCollector) {
        let collector = OutputCollector()
        let status = try await runtime.runBounded(request, started: { collector.start($0) }, output: { collector.append($0, $1) })
        try await runtime.release(request)
        return (status, collector)
    }

    func testExitCodes() async throws {
        let (ok, okOutput) = try await run(request(.argv(["true"]), job: "ok"))
        XCTAssertEqual(ok, ExitStatus(code: 0, reason: "exited with code 0"))
        XCTAssertEqual(okOutput.started.count, 1)
        XCTAssertEqual(okOutput.started.first?.runtimeID.count, 64, "the runtime id is the container id")
        let (three, _) = try await run(request(.script("exit 3"), job: "three"))
        XCTAssertEqual(three, ExitStatus(code: 3, reason: "exited with code 3"))
    }

    func testStdoutAndStderrAreKeptApartByteExact() async throws {
        let (status, output) = try await run(
            request(.script(#"printf out; printf err >&2; printf 'a\000b\377'; printf 'e\001' >&2"#)))
        XCTAssertEqual(status.code, 0)
        XCTAssertEqual(output.stdout, Array("out".utf8) + [0x61, 0x00, 0x62, 0xFF])
        XCTAssertEqual(output.stderr, Array("err".utf8) + [0x65, 0x01])
    }

    func testLargeOutputThroughASlowHandlerIsComplete() async throws {
        let received = Mutex((count: 0, largest: 0))
        let job = request(.script("dd if=/dev/zero bs=1024 count=600 2>/dev/null"))
        let status = try await runtime.runBounded(
            job,
            started: { _ in },
            output: { _, bytes in
                received.withLock { $0 = ($0.count + bytes.readableBytes, max($0.largest, bytes.readableBytes)) }
                try? await Task.sleep(for: .milliseconds(2))
            }
        )
        try await runtime.release(job)
        XCTAssertEqual(status.code, 0)
        let (count, largest) = received.withLock { $0 }
        XCTAssertEqual(count, 600 * 1024)
        XCTAssertLessThanOrEqual(largest, 64 << 10)
    }

    func testTheStoppedContainerStaysUntilReleased() async throws {
        let job = request(.script("exit 3"), job: "release")
        let collector = OutputCollector()
        let status = try await runtime.runBounded(job, started: { collector.start($0) }, output: { _, _ in })
        XCTAssertEqual(status, ExitStatus(code: 3, reason: "exited with code 3"))
        let id = try XCTUnwrap(collector.started.first?.runtimeID)
        let details = try await docker.inspectContainer(id)
        XCTAssertFalse(details.state.running, "the reported container has stopped")
        try await runtime.release(job)
        try await runtime.release(job)  // idempotent
        let left = try await leftovers()
        XCTAssertEqual(left.map(\.names), [], "release removed it")
    }

    func testEnvironmentIsApplied() async throws {
        let (status, output) = try await run(
            request(
                .script(#"echo "$FOO|$TITAN_JOB_ID|$TITAN_ATTEMPT|$TITAN_EPOCH|$TITAN_NODE_ID""#),
                job: "env", environment: ["FOO": "bar baz", "TITAN_EPOCH": "forged"]))
        XCTAssertEqual(status.code, 0)
        XCTAssertEqual(output.stdoutText, "bar baz|\(runID)-env|2|7|node-a\n")
    }

    func testLimitsLabelsAndNetworkAreApplied() async throws {
        let docker = self.docker!
        let seen = Mutex<ContainerDetails?>(nil)
        let collector = OutputCollector()
        let job = request(.script("ls /sys/class/net"), job: "limits", resources: Resources(cpuMillis: 500, memoryBytes: 96 << 20))
        let status = try await runtime.runBounded(
            job,
            started: { job in
                let details = try? await docker.inspectContainer(job.runtimeID)
                seen.withLock { $0 = details }
            },
            output: { collector.append($0, $1) }
        )
        try await runtime.release(job)
        XCTAssertEqual(status.code, 0)
        let details = try XCTUnwrap(seen.withLock { $0 }, "the container could not be inspected while it existed")
        XCTAssertEqual(details.nanoCPUs, 500_000_000)
        XCTAssertEqual(details.memoryBytes, 96 << 20)
        XCTAssertEqual(details.networkMode, "none")
        XCTAssertEqual(details.name, "titan-\(runID)-limits-2-7")
        XCTAssertEqual(details.labels["titan.job"], "\(runID)-limits")
        XCTAssertEqual(details.labels["titan.attempt"], "2")
        XCTAssertEqual(details.labels["titan.epoch"], "7")
        XCTAssertEqual(details.labels["titan.node"], "node-a")
        XCTAssertEqual(collector.stdoutText, "lo\n", "a container without network has only loopback")
    }

    func testHostNetworkWhenTheJobAsksForIt() async throws {
        let docker = self.docker!
        let mode = Mutex<String?>(nil)
        var spec = request(.argv(["true"]), job: "host").spec
        spec.networkMode = .host
        let job = RunRequest(job: JobID("\(runID)-host"), attempt: 1, epoch: 1, node: "node-a", spec: spec)
        let status = try await runtime.runBounded(
            job,
            started: { job in
                let details = try? await docker.inspectContainer(job.runtimeID)
                mode.withLock { $0 = details?.networkMode }
            },
            output: { _, _ in })
        try await runtime.release(job)
        XCTAssertEqual(status.code, 0)
        XCTAssertEqual(mode.withLock { $0 }, "host")
    }

    func testALeftoverContainerOfTheSameAssignmentIsReplaced() async throws {
        // A worker that died before removing its container leaves the name taken.
        let stale = ContainerSpec(
            image: JobSpec.defaultImage, command: ["true"], labels: ["titan.job": "\(runID)-stale"],
            name: "titan-\(runID)-stale-2-7")
        let staleID = try await docker.createContainer(stale)
        let (status, output) = try await run(request(.script("echo fresh"), job: "stale"))
        XCTAssertEqual(status.code, 0)
        XCTAssertEqual(output.stdoutText, "fresh\n")
        do {
            _ = try await docker.inspectContainer(staleID)
            XCTFail("the leftover container \(staleID) was not removed")
        } catch DockerError.notFound {
        }
    }

    func testLeftoversAreListedDiscardedOrResumed() async throws {
        // A worker that crashed leaves its containers; the next process lists them, then resumes
        // or discards each one.
        let node = NodeID("\(runID)-node")
        let keep = request(.script("sleep 1; echo kept"), job: "keep")
        let keptPlan = ContainerSpec(
            image: JobSpec.defaultImage, command: ["sh", "-c", "sleep 1; echo kept; exit 4"],
            labels: ["titan.job": keep.job.rawValue, "titan.node": node.rawValue, "titan.attempt": "2", "titan.epoch": "7"],
            name: "titan-\(runID)-keep-2-7")
        let keptID = try await docker.createContainer(keptPlan)
        _ = try await docker.startContainer(keptID)
        let drop = ContainerSpec(
            image: JobSpec.defaultImage, command: ["sleep", "60"],
            labels: ["titan.job": "\(runID)-drop", "titan.node": node.rawValue, "titan.attempt": "1", "titan.epoch": "1"])
        let dropID = try await docker.createContainer(drop)
        _ = try await docker.startContainer(dropID)
        let unlabelled = ContainerSpec(
            image: JobSpec.defaultImage, command: ["true"], labels: ["titan.job": "\(runID)-odd", "titan.node": node.rawValue])
        let unlabelledID = try await docker.createContainer(unlabelled)
        let other = ContainerSpec(
            image: JobSpec.defaultImage, command: ["true"],
            labels: ["titan.job": "\(runID)-other", "titan.node": "\(runID)-another-node", "titan.attempt": "1", "titan.epoch": "1"])
        let otherID = try await docker.createContainer(other)

        let found = try await runtime.leftovers(node: node).sorted { $0.job < $1.job }
        XCTAssertEqual(found, [
            LeftoverAttempt(job: JobID("\(runID)-drop"), attempt: 1, epoch: 1, runtimeID: dropID),
            LeftoverAttempt(job: keep.job, attempt: 2, epoch: 7, runtimeID: keptID),
        ])
        await assertGone(unlabelledID, "a container whose labels name no attempt is removed at once")
        try await runtime.discard(found[0])
        await assertGone(dropID, "a discarded leftover is removed")

        let collector = OutputCollector()
        let status = try await runtime.resumeBounded(keep, skipping: OutputOffsets(), output: { collector.append($0, $1) })
        XCTAssertEqual(status, ExitStatus(code: 4, reason: "exited with code 4"))
        XCTAssertEqual(collector.stdoutText, "kept\n", "a resumed container's output is delivered")
        try await runtime.release(keep)
        await assertGone(keptID, "a resumed container is removed on release")

        let survivor = try await docker.inspectContainer(otherID)
        XCTAssertEqual(survivor.labels["titan.node"], "\(runID)-another-node", "another node's container is left alone")
        try await docker.removeContainer(otherID, force: true)
        let again = try await runtime.leftovers(node: node)
        XCTAssertEqual(again, [])
    }

    private func assertGone(_ id: String, _ message: String, line: UInt = #line) async {
        do {
            _ = try await docker.inspectContainer(id)
            XCTFail("\(id): \(message)", line: line)
        } catch DockerError.notFound {
        } catch {
            XCTFail("inspecting \(id) failed: \(error)", line: line)
        }
    }

    func testAnUnreachableEngineThrows() async throws {
        let unreachable = DockerRuntime(client: DockerClient(socketPath: "/tmp/titan-no-docker-\(runID).sock"))
        let collector = OutputCollector()
        do {
            let status = try await unreachable.runBounded(
                request(.argv(["true"]), job: "unreachable"), started: { collector.start($0) }, output: { _, _ in })
            XCTFail("an unreachable engine is the worker's fault, not a status: \(status)")
        } catch DockerError.unreachable {
        }
        XCTAssertEqual(collector.started.count, 0)
    }

    func testOutOfMemoryIsReported() async throws {
        let (status, _) = try await run(
            request(.script("head -c 64m /dev/zero | tail"), job: "oom", resources: Resources(cpuMillis: 1000, memoryBytes: 8 << 20)))
        XCTAssertTrue(status.oomKilled, "\(status)")
        XCTAssertEqual(status.reason, "killed: out of memory")
        XCTAssertNotEqual(status.code, 0)
    }

    func testMissingImageFailsQuicklyWith125() async throws {
        let clock = ContinuousClock()
        let begin = clock.now
        let (status, output) = try await run(request(.argv(["true"]), job: "noimage", image: "titan/nonexistent-\(runID):1"))
        XCTAssertLessThan(clock.now - begin, .seconds(10))
        XCTAssertEqual(status.code, 125)
        XCTAssertTrue(
            status.reason.hasPrefix("image titan/nonexistent-\(runID):1 is not present and could not be pulled: "), status.reason)
        XCTAssertEqual(output.started.count, 0)
    }

    func testMissingProgramIs127WithoutStarted() async throws {
        let (status, output) = try await run(request(.argv(["no-such-program-\(runID)"]), job: "noprog"))
        XCTAssertEqual(status, ExitStatus(code: 127, reason: "command not found: no-such-program-\(runID)"))
        XCTAssertEqual(output.started.count, 0)
    }

    func testCancellationKillsTheContainerAndRemovesIt() async throws {
        let runtime = self.runtime!
        let request = request(.script("echo up; sleep 60"), job: "cancel")
        let collector = OutputCollector()
        let (startedStream, startedContinuation) = AsyncStream.makeStream(of: String.self)
        let task = Task {
            try await runtime.runBounded(
                request,
                started: { job in
                    collector.start(job)
                    startedContinuation.yield(job.runtimeID)
                },
                output: { collector.append($0, $1) })
        }
        let ids = startedStream.iteratorWithDeadlines()
        let first = try await ids.next(within: .seconds(60), waitingFor: "the container to start")
        let id = try XCTUnwrap(first, "the job never started")
        try await Task.sleep(for: .milliseconds(300))
        let clock = ContinuousClock()
        let begin = clock.now
        task.cancel()
        let status = try await withDeadline(.seconds(30), waitingFor: "the cancelled job to end") { try await task.value }
        XCTAssertLessThan(clock.now - begin, .seconds(6), "the cancelled container took too long to end")
        XCTAssertEqual(status.reason, "cancelled")
        XCTAssertEqual(status.code, 137)
        XCTAssertEqual(collector.stdoutText, "up\n", "output written before the kill is delivered")
        try await runtime.release(request)
        do {
            _ = try await docker.inspectContainer(id)
            XCTFail("the cancelled container \(id) still exists")
        } catch DockerError.notFound {
        }
    }

    func testACancelledJobThatHandlesSIGTERMEndsWithinTheGrace() async throws {
        let runtime = self.runtime!
        let request = request(.script("trap 'echo bye; exit 143' TERM; echo up; while true; do sleep 0.1; done"), job: "term")
        let collector = OutputCollector()
        let (upStream, upContinuation) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            try await runtime.runBounded(
                request, started: { _ in },
                output: { kind, bytes in
                    collector.append(kind, bytes)
                    upContinuation.yield()
                })
        }
        let up = upStream.iteratorWithDeadlines()
        _ = try await up.next(within: .seconds(60), waitingFor: "the job's first line of output")
        task.cancel()
        let status = try await withDeadline(.seconds(30), waitingFor: "the cancelled job to end") { try await task.value }
        try await runtime.release(request)
        XCTAssertEqual(status, ExitStatus(code: 143, reason: "cancelled"), "SIGTERM came first, SIGKILL was not needed")
        XCTAssertEqual(collector.stdoutText, "up\nbye\n")
    }

    func testConcurrentJobsPassTheStartGateAndLeaveNothing() async throws {
        let runtime = self.runtime!
        let requests = (0..<12).map { request(.script("echo $TITAN_JOB_ID; exit $((\($0) % 3))"), job: "many\($0)") }
        let results = try await withThrowingTaskGroup(of: (Int, ExitStatus, String).self) { group in
            for (index, request) in requests.enumerated() {
                group.addTask {
                    let collector = OutputCollector()
                    let status = try await runtime.runBounded(request, started: { _ in }, output: { collector.append($0, $1) })
                    try await runtime.release(request)
                    return (index, status, collector.stdoutText)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(results.count, 12)
        for (index, status, stdout) in results {
            XCTAssertEqual(status.code, Int32(index % 3))
            XCTAssertEqual(stdout, "\(runID)-many\(index)\n")
        }
    }

    func testCancellationWhileStartingLeavesNothing() async throws {
        let runtime = self.runtime!
        for (index, delay) in [0, 5, 20, 60, 150].enumerated() {
            let request = request(.argv(["sleep", "60"]), job: "early\(index)")
            let task = Task { try await runtime.runBounded(request, started: { _ in }, output: { _, _ in }) }
            try await Task.sleep(for: .milliseconds(delay))
            task.cancel()
            let status = try await withDeadline(.seconds(30), waitingFor: "the job cancelled after \(delay) ms to end") { try await task.value }
            try await runtime.release(request)
            XCTAssertEqual(status.reason, "cancelled", "cancelled after \(delay) ms")
        }
        let left = try await leftovers()
        XCTAssertEqual(left.map(\.names), [])
    }
}
