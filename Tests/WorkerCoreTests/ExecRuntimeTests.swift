import ClusterModel
import Foundation
import Synchronization
import WorkerCore
import TitanTestSupport
import XCTest

/// The exec runtime against real processes: exit codes, output, environment, start failures.
final class ExecRuntimeTests: XCTestCase {
    private var workRoot = ""

    override func setUp() {
        self.workRoot = ExecFixture.makeWorkRoot()
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: self.workRoot)
    }

    func testExitCodes() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let (ok, okOutput) = try await ExecFixture.run(runtime, ExecFixture.request(.argv(["true"])))
        XCTAssertEqual(ok, ExitStatus(code: 0, reason: "exited with code 0"))
        XCTAssertEqual(okOutput.started.count, 1)
        let (three, _) = try await ExecFixture.run(runtime, ExecFixture.request(.script("exit 3")))
        XCTAssertEqual(three.code, 3)
        XCTAssertEqual(three.reason, "exited with code 3")
        XCTAssertFalse(three.oomKilled)
    }

    func testSignalDeathIsOneHundredTwentyEightPlusSignal() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let (status, _) = try await ExecFixture.run(runtime, ExecFixture.request(.script("kill -9 $$")))
        XCTAssertEqual(status, ExitStatus(code: 137, reason: "killed by signal 9"))
    }

    func testStdoutAndStderrAreKeptApartByteExact() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let (status, output) = try await ExecFixture.run(
            runtime,
            ExecFixture.request(.script(#"printf out; printf err >&2; printf 'a\000b\377' "#))
        )
        XCTAssertEqual(status.code, 0)
        XCTAssertEqual(output.stdout, Array("out".utf8) + [0x61, 0x00, 0x62, 0xFF])
        XCTAssertEqual(output.stderrText, "err")
    }

    func testOutputIsDeliveredLiveNotAtExit() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let clock = ContinuousClock()
        let begin = clock.now
        let arrivals = Mutex<[Duration]>([])
        let status = try await runtime.runBounded(
            ExecFixture.request(.script("echo first; sleep 0.5; echo second")),
            started: { _ in },
            output: { _, _ in arrivals.withLock { $0.append(clock.now - begin) } }
        )
        XCTAssertEqual(status.code, 0)
        let times = arrivals.withLock { $0 }
        XCTAssertEqual(times.count, 2)
        XCTAssertLessThan(times.first ?? .seconds(9), .milliseconds(300), "the first line waited for the exit")
        XCTAssertGreaterThanOrEqual(times.last ?? .zero, .milliseconds(450))
    }

    func testEnvironmentAndWorkingDirectory() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let request = ExecFixture.request(
            .script(#"pwd; echo "$FOO"; echo "$TITAN_JOB_ID $TITAN_ATTEMPT $TITAN_EPOCH $TITAN_NODE_ID"; echo "$HOME"; echo "$PATH"; echo "${WORKER_ONLY:-unset}"; ls -A"#),
            job: "job/../7",
            attempt: 2,
            environment: ["FOO": "bar baz", "TITAN_JOB_ID": "forged"]
        )
        setenv("WORKER_ONLY", "leaked", 1)
        defer { unsetenv("WORKER_ONLY") }
        let (status, output) = try await ExecFixture.run(runtime, request)
        XCTAssertEqual(status.code, 0, output.stderrText)
        let directory = self.workRoot + "/job____7.2.7"
        XCTAssertEqual(
            output.stdoutText.split(separator: "\n", omittingEmptySubsequences: false),
            [
                Substring(directory), "bar baz", "job/../7 2 7 node-a", Substring(directory),
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "unset", "",
            ]
        )
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory), "the work directory is removed after the job")
    }

    /// An empty work directory is kept for the next job (ext4 without a journal makes `mkdir`
    /// and `rmdir` costly); the next job finds it empty, at mode 0755, under its own name. A
    /// directory the job left files in is removed, not kept.
    func testEmptyWorkDirectoriesAreReusedCleanAndFullOnesRemoved() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let (first, _) = try await ExecFixture.run(runtime, ExecFixture.request(.script("chmod 700 ."), job: "first"))
        XCTAssertEqual(first.code, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: self.workRoot + "/.spare").count, 1, "the empty directory is kept")
        let (second, output) = try await ExecFixture.run(runtime, ExecFixture.request(.script("stat -c %a .; ls -A; pwd; echo kept > file"), job: "second"))
        XCTAssertEqual(second.code, 0, output.stderrText)
        XCTAssertEqual(output.stdoutText, "755\n\(self.workRoot)/second.1.7\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: self.workRoot + "/.spare"), [], "the spare was taken; the full directory was not kept")
        XCTAssertEqual(WorkRootFacts.leftovers(in: self.workRoot), [])
    }

    /// A job that swaps its work directory for a symlink does not get the link kept as a spare,
    /// and nothing is done to what the link points to.
    func testAWorkDirectoryReplacedByASymlinkIsNotKeptAndItsTargetIsUntouched() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let target = self.workRoot + "-target"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: target) }
        let (status, output) = try await ExecFixture.run(
            runtime, ExecFixture.request(.script(#"dir=$(pwd); cd / && rmdir "$dir" && ln -s "$1" "$dir""# .replacingOccurrences(of: "$1", with: target)), job: "swap"))
        XCTAssertEqual(status.code, 0, output.stderrText)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: self.workRoot + "/.spare"), [], "the symlink is not kept")
        let (next, nextOutput) = try await ExecFixture.run(runtime, ExecFixture.request(.script("pwd"), job: "next"))
        XCTAssertEqual(next.code, 0, nextOutput.stderrText)
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int)
        XCTAssertEqual(mode, 0o700, "the link's target kept its mode")
        XCTAssertEqual(WorkRootFacts.leftovers(in: self.workRoot), [])
    }

    func testStdinIsDevNull() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let (status, output) = try await ExecFixture.run(runtime, ExecFixture.request(.argv(["wc", "-c"])))
        XCTAssertEqual(status.code, 0)
        XCTAssertEqual(output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), "0")
    }

    func testProgramIsLookedUpInTheJobsPath() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let tools = self.workRoot + "/tools"
        try FileManager.default.createDirectory(atPath: tools, withIntermediateDirectories: true)
        try Data("#!/bin/sh\necho custom \"$@\"\n".utf8).write(to: URL(fileURLWithPath: tools + "/titan-tool"))
        chmod(tools + "/titan-tool", 0o755)
        let (status, output) = try await ExecFixture.run(
            runtime,
            ExecFixture.request(.argv(["titan-tool", "x"]), environment: ["PATH": tools + ":/usr/bin:/bin"])
        )
        XCTAssertEqual(status.code, 0, status.reason)
        XCTAssertEqual(output.stdoutText, "custom x\n")
        let (missing, _) = try await ExecFixture.run(runtime, ExecFixture.request(.argv(["titan-tool"])))
        XCTAssertEqual(missing, ExitStatus(code: 127, reason: "command not found: titan-tool"))
    }

    func testJobGetsNoWorkerDescriptorsAndDefaultSignals() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        // ls opens the directory as descriptor 3: nothing else of the worker is inherited.
        let (listing, fds) = try await ExecFixture.run(runtime, ExecFixture.request(.argv(["ls", "/proc/self/fd"])))
        XCTAssertEqual(listing.code, 0)
        XCTAssertEqual(fds.stdoutText, "0\n1\n2\n3\n")
        let (status, signals) = try await ExecFixture.run(
            runtime, ExecFixture.request(.argv(["grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"])))
        XCTAssertEqual(status.code, 0)
        // Only the standard signals (1…31) matter: glibc reserves 32 and 33 for itself.
        let masks = signals.stdoutText.split(separator: "\n").map { line in
            UInt64(line.split(separator: "\t").last ?? "", radix: 16).map { $0 & 0x7FFF_FFFF }
        }
        XCTAssertEqual(masks, [0, 0], "blocked and ignored signals: \(signals.stdoutText)")
    }

    func testCommandNotFoundIsExitStatus127WithoutStarting() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let (status, output) = try await ExecFixture.run(
            runtime, ExecFixture.request(.argv(["titan-no-such-command", "x"])))
        XCTAssertEqual(status, ExitStatus(code: 127, reason: "command not found: titan-no-such-command"))
        XCTAssertTrue(output.started.isEmpty)
        // A file without any execute bit is refused before anything starts.
        let files = ExecFixture.makeWorkRoot()
        defer { try? FileManager.default.removeItem(atPath: files) }
        let plain = files + "/plain-file"
        _ = FileManager.default.createFile(atPath: plain, contents: Data("data".utf8), attributes: [.posixPermissions: 0o644])
        let (notExecutable, _) = try await ExecFixture.run(runtime, ExecFixture.request(.argv([plain])))
        XCTAssertEqual(notExecutable.code, 126)
        XCTAssertTrue(notExecutable.reason.hasPrefix("cannot execute \(plain)"), notExecutable.reason)
        // An executable file the kernel cannot run (no #! line, not a binary) is only found out at
        // exec, which the spawn helper does not wait for: it ends with 126 and says why on stderr.
        let script = files + "/not-a-program"
        _ = FileManager.default.createFile(atPath: script, contents: Data("data".utf8), attributes: [.posixPermissions: 0o755])
        let (unrunnable, unrunnableOutput) = try await ExecFixture.run(runtime, ExecFixture.request(.argv([script])))
        XCTAssertEqual(unrunnable.code, 126)
        XCTAssertTrue(unrunnableOutput.stderrText.hasPrefix("titan: cannot start the job: exec failed, errno 8"), unrunnableOutput.stderrText)
        XCTAssertEqual(WorkRootFacts.leftovers(in: self.workRoot), [])
    }

    func testMalformedCommandsAreExitStatus127() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let (empty, _) = try await ExecFixture.run(runtime, ExecFixture.request(.argv([])))
        XCTAssertEqual(empty, ExitStatus(code: 127, reason: "the command is empty"))
        let (badName, _) = try await ExecFixture.run(
            runtime, ExecFixture.request(.argv(["true"]), environment: ["A=B": "c"]))
        XCTAssertEqual(badName.code, 127)
        XCTAssertTrue(badName.reason.contains("invalid environment variable name"), badName.reason)
    }

    func testBackgroundChildDoesNotKeepTheJobAlive() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot)
        let clock = ContinuousClock()
        let begin = clock.now
        // The background sleep holds stdout open; it is killed with the group when sh exits.
        let (status, output) = try await ExecFixture.run(runtime, ExecFixture.request(.script("sleep 30 & echo done")))
        XCTAssertLessThan(clock.now - begin, .seconds(1))
        XCTAssertEqual(status.code, 0)
        XCTAssertEqual(output.stdoutText, "done\n")
    }

    func testEscapedChildHoldingThePipeIsCutAfterTheDrainWindow() async throws {
        let runtime = try ExecFixture.runtime(workRoot: self.workRoot, drainWindow: .milliseconds(500))
        let clock = ContinuousClock()
        let begin = clock.now
        // setsid moves the sleep out of the job's group: only the drain window ends the job.
        let (status, output) = try await ExecFixture.run(
            runtime, ExecFixture.request(.script("setsid sleep 3 & sleep 0.2; echo done")))
        let elapsed = clock.now - begin
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(450))
        XCTAssertLessThan(elapsed, .seconds(2))
        XCTAssertEqual(status.code, 0)
        XCTAssertEqual(output.stdoutText, "done\n")
    }
}
