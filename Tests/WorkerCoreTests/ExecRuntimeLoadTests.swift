import ClusterModel
import Foundation
import Glibc
import Synchronization
import WorkerCore
import TitanTestSupport
import XCTest

/// Volume: large output under backpressure, and many concurrent jobs.
final class ExecRuntimeLoadTests: XCTestCase {
    private var workRoot = ""

    override func setUp() {
        self.workRoot = ExecFixture.makeWorkRoot()
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: self.workRoot)
    }

    /// 20 MiB through a consumer that stalls for a second and then sleeps on every chunk: the job
    /// blocks (its written byte count stops growing, within a bound), and every byte arrives in order.
    func testLargeOutputWithSlowConsumerIsBackpressuredAndByteExact() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let size = 20 * 1024 * 1024
        let source = self.workRoot + "/source.bin"
        let (made, _) = try await ExecFixture.run(
            runtime, ExecFixture.request(.script("head -c \(size) /dev/urandom > \(source)")))
        XCTAssertEqual(made.code, 0)
        let expected = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source)))
        XCTAssertEqual(expected.count, size)

        let collector = OutputCollector()
        let pid = Mutex<pid_t>(0)
        let stall = Mutex<(first: Int?, second: Int?)>((nil, nil))
        let chunks = Mutex(0)
        let status = try await runtime.runBounded(
            ExecFixture.request(.argv(["cat", source])),
            started: { job in pid.withLock { $0 = job.processGroup ?? 0 } },
            output: { kind, bytes in
                collector.append(kind, bytes)
                let index = chunks.withLock { count in
                    count += 1
                    return count
                }
                if index == 1 {
                    // The job fills the pipe and the reader's small buffer, then must block.
                    try? await Task.sleep(for: .milliseconds(500))
                    let first = ProcFacts.bytesWritten(pid: pid.withLock { $0 })
                    try? await Task.sleep(for: .milliseconds(500))
                    let second = ProcFacts.bytesWritten(pid: pid.withLock { $0 })
                    stall.withLock { $0 = (first, second) }
                } else if index % 8 == 0 {
                    try? await Task.sleep(for: .milliseconds(2))
                }
            }
        )
        XCTAssertEqual(status.code, 0)
        let (first, second) = stall.withLock { $0 }
        let blockedAt = try XCTUnwrap(first)
        XCTAssertEqual(blockedAt, second, "the job kept writing while the consumer was stalled")
        // Pipe (1 MiB) + reads kept ahead (2 × 256 KiB) + the read being consumed + cat's buffer.
        XCTAssertLessThanOrEqual(blockedAt, 2 * 1024 * 1024, "more was read ahead than the bound allows")
        XCTAssertLessThanOrEqual(collector.largestChunk, 256 * 1024)
        XCTAssertEqual(collector.stdout.count, size)
        XCTAssertTrue(collector.stdout == expected, "the output differs from the source")
        XCTAssertTrue(collector.stderr.isEmpty)
    }

    /// The reaper waits only for the pids it spawned: a child started elsewhere in the worker keeps
    /// its exit status for its own owner.
    func testOtherChildrenOfTheWorkerAreLeftAlone() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/bin/sh")
        other.arguments = ["-c", "sleep 0.3; exit 4"]
        try other.run()
        for _ in 0..<10 {
            let (status, _) = try await ExecFixture.run(runtime, ExecFixture.request(.script("sleep 0.05")))
            XCTAssertEqual(status.code, 0)
        }
        try await waitUntil("the worker's other child to exit", timeout: .seconds(10), interval: .milliseconds(20)) { !other.isRunning }
        XCTAssertEqual(other.terminationStatus, 4)
    }

    /// 200 jobs at once: all exit 0, and afterwards no descriptor and no child process is left.
    func testTwoHundredConcurrentJobsLeakNothing() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        // Warm up: the reaper's epoll and the event loops' descriptors are created once.
        _ = try await ExecFixture.run(runtime, ExecFixture.request(.argv(["true"])))
        let descriptorsBefore = ProcFacts.openDescriptorCount()

        let codes = try await withThrowingTaskGroup(of: Int32.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let request = ExecFixture.request(.argv(["true"]), job: JobID("job-\(index)"))
                    return try await runtime.runBounded(request, started: { _ in }, output: { _, _ in }).code
                }
            }
            var codes: [Int32] = []
            for try await code in group {
                codes.append(code)
            }
            return codes
        }
        XCTAssertEqual(codes.count, 200)
        XCTAssertEqual(codes.filter { $0 != 0 }, [])
        XCTAssertEqual(ProcFacts.openDescriptorCount(), descriptorsBefore)
        XCTAssertEqual(ProcFacts.children().map(\.pid), [], "a child was left running or unreaped")
        XCTAssertEqual(WorkRootFacts.leftovers(in: self.workRoot), [])
    }
}
