import ClusterModel
import Foundation
import Glibc
import WorkerCore
import TitanTestSupport
import XCTest

/// Cancellation kills the whole process group: SIGTERM, then SIGKILL after the grace period.
final class ExecRuntimeKillTests: XCTestCase {
    private var workRoot = ""

    override func setUp() {
        self.workRoot = ExecFixture.makeWorkRoot()
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: self.workRoot)
    }

    /// Starts `command`, cancels it once it runs, and returns its status, its process group and how
    /// long the cancellation took.
    private func runAndCancel(
        _ runtime: ExecRuntime,
        _ command: JobCommand,
        after delay: Duration = .zero
    ) async throws -> (ExitStatus, pid_t, Duration, OutputCollector) {
        let (startedStream, startedContinuation) = AsyncStream.makeStream(of: StartedJob.self)
        let collector = OutputCollector()
        let task = Task {
            try await runtime.runBounded(
                ExecFixture.request(command),
                started: {
                    collector.start($0)
                    startedContinuation.yield($0)
                },
                output: { collector.append($0, $1) }
            )
        }
        let iterator = startedStream.iteratorWithDeadlines()
        let next = try await iterator.next(within: .seconds(30), waitingFor: "the job to start")
        let started = try XCTUnwrap(next)
        let group = try XCTUnwrap(started.processGroup)
        try await Task.sleep(for: delay)
        let clock = ContinuousClock()
        let begin = clock.now
        task.cancel()
        let status = try await withDeadline(.seconds(30), waitingFor: "the cancelled job to end") { try await task.value }
        return (status, group, clock.now - begin, collector)
    }

    /// Waits (briefly) until no live process is left in `group`. A killed orphan is reaped by PID 1,
    /// which may be late (or, in some containers, never): a zombie is dead, so it does not count.
    private func assertGroupGone(_ group: pid_t, file: StaticString = #filePath, line: UInt = #line) async throws {
        for _ in 0..<40 {
            if kill(-group, 0) == -1 && errno == ESRCH {
                return
            }
            if ProcFacts.members(ofGroup: group).allSatisfy({ $0.state == "Z" && $0.parent != getpid() }) {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTFail("process group \(group) survives: \(ProcFacts.members(ofGroup: group))", file: file, line: line)
    }

    func testCancellationKillsTheWholeProcessGroup() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot, killGrace: .seconds(2))
        let (status, group, elapsed, _) = try await self.runAndCancel(
            runtime, .script("sleep 60 & sleep 60"), after: .milliseconds(200))
        XCTAssertTrue(status.code == 143 || status.code == 137, "\(status)")
        XCTAssertEqual(status.reason, "cancelled")
        XCTAssertLessThan(elapsed, .seconds(3))
        try await self.assertGroupGone(group)
    }

    func testOutputWrittenOnSigtermIsStillDelivered() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let (status, _, elapsed, output) = try await self.runAndCancel(
            runtime, .script("trap 'echo bye; exit 5' TERM; echo ready; while :; do sleep 0.05; done"),
            after: .milliseconds(200))
        XCTAssertEqual(status, ExitStatus(code: 5, reason: "cancelled"))
        XCTAssertEqual(output.stdoutText, "ready\nbye\n")
        XCTAssertLessThan(elapsed, .seconds(2))
    }

    func testJobIgnoringSigtermIsKilledAfterTheGrace() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot, killGrace: .seconds(1))
        let (status, group, elapsed, _) = try await self.runAndCancel(
            runtime, .script(#"trap "" TERM; sleep 60"#), after: .milliseconds(200))
        XCTAssertEqual(status, ExitStatus(code: 137, reason: "cancelled"))
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(950))
        XCTAssertLessThan(elapsed, .seconds(2))
        try await self.assertGroupGone(group)
    }

    func testCancellationBeforeTheJobRunsStillReturnsItsStatus() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let task = Task {
            try await runtime.runBounded(ExecFixture.request(.argv(["sleep", "60"])), started: { _ in }, output: { _, _ in })
        }
        task.cancel()
        let clock = ContinuousClock()
        let begin = clock.now
        let status = try await withDeadline(.seconds(30), waitingFor: "the job cancelled before it ran to end") { try await task.value }
        XCTAssertLessThan(clock.now - begin, .seconds(2))
        XCTAssertEqual(status.reason, "cancelled")
        XCTAssertEqual(status.code, 143)
    }

    func testDefaultGraceIsTwoSeconds() {
        XCTAssertEqual(ExecRuntime.Configuration(workRoot: "/x").killGrace, .seconds(2))
        XCTAssertEqual(ExecRuntime.Configuration(workRoot: "/x").drainWindow, .seconds(1))
    }
}
