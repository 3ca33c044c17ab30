import CProcessSupport
import ClusterModel
import Foundation
import XCTest

import WorkerCore

/// The spawn helper: jobs are started by a helper process forked early, yet they are children of
/// the worker (CLONE_PARENT), and the worker's open descriptors do not reach them.
final class SpawnHelperTests: XCTestCase {
    private var workRoot = ""

    override func setUp() {
        self.workRoot = ExecFixture.makeWorkRoot()
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: self.workRoot)
    }

    func testJobsStartThroughTheHelperAsChildrenOfTheWorker() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        XCTAssertNotEqual(cps_zygote_pid(), 0, "the exec runtime starts the spawn helper")
        let (status, output) = try await ExecFixture.run(runtime, ExecFixture.request(.script("echo $PPID")))
        XCTAssertEqual(status.code, 0)
        XCTAssertEqual(output.stdout, Array("\(getpid())\n".utf8), "the job's parent is this process, not the helper")
    }

    func testManyOpenDescriptorsDoNotLeakIntoJobs() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        // Hold 2,000 descriptors, as a busy worker does (pipes and pidfds of running jobs).
        var held: [Int32] = []
        for _ in 0..<1000 {
            var pair: [Int32] = [0, 0]
            XCTAssertEqual(cps_pipe_cloexec(&pair), 0)
            held += pair
        }
        defer { held.forEach { close($0) } }
        let (status, output) = try await ExecFixture.run(runtime, ExecFixture.request(.script("ls /proc/self/fd | wc -l")))
        XCTAssertEqual(status.code, 0)
        // stdin, stdout, stderr, and the descriptor `ls` opens to read the directory.
        XCTAssertEqual(output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), "4")
    }

    func testAProgramThatCannotExecIsReportedAndReaped() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let (status, _) = try await ExecFixture.run(runtime, ExecFixture.request(.argv(["/nonexistent/program"])))
        XCTAssertEqual(status.code, 127)
        XCTAssertEqual(ProcFacts.children().map(\.pid), [], "the failed child was reaped")
    }
}
