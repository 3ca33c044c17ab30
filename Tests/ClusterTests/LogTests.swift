import ClusterModel
import Foundation
import Synchronization
import TitanClient
import TitanTestSupport
import XCTest

/// What jobs print, through the real worker, master, etcd archive and `titan-cli logs`, for both
/// runtimes: byte-exact per stream, for line output, binary data, interleaved streams, no output
/// and 50 MiB.
final class LogTests: ClusterTestCase {
    /// One job's output as the test expects it.
    private struct Case {
        let name: String
        let script: String
        let stdout: Data
        let stderr: Data
    }

    private static let cases: [Case] = {
        let lines = Data((1...200_000).map { "\($0)\n" }.joined().utf8)
        let binary = Data((0..<1000).flatMap { _ in (0...255).map { UInt8($0) } })
        var out = "", err = ""
        for i in 1...2000 {
            out += "out\(i)\n"
            err += "err\(i)\n"
        }
        let pattern = "abcdefghijklmnopqrstuvwxyz0123456789\n"
        let large = Data(String(repeating: pattern, count: (50 << 20) / pattern.utf8.count + 1).utf8.prefix(50 << 20))
        return [
            Case(name: "lines", script: "seq 1 200000", stdout: lines, stderr: Data()),
            Case(
                name: "binary",
                script: #"b=''; for i in $(seq 0 255); do b="$b\\$(printf %o $i)"; done; i=0; while [ $i -lt 1000 ]; do printf "$b"; i=$((i+1)); done"#,
                stdout: binary, stderr: Data()),
            Case(
                name: "interleaved", script: "for i in $(seq 1 2000); do echo out$i; echo err$i >&2; done",
                stdout: Data(out.utf8), stderr: Data(err.utf8)),
            Case(name: "silent", script: "true", stdout: Data(), stderr: Data()),
            Case(name: "large", script: "yes \(pattern.dropLast()) | head -c \(50 << 20)", stdout: large, stderr: Data()),
        ]
    }()

    func testEveryStreamIsArchivedByteExactForBothRuntimes() async throws {
        _ = try await TestServices.requireDocker()
        try await startCluster(workers: [("w1", "4", "8Gi")], masterFlags: ["--log-archive-cap", "64Mi"])
        let cluster = self.cluster!

        var submitted: [(Case, Runtime, JobID)] = []
        for runtime in [Runtime.exec, .docker] {
            for item in Self.cases {
                var spec = runtime == .docker ? dockerJob(item.script, memory: 256 << 20) : scriptJob(item.script, memory: 256 << 20)
                spec.name = item.name
                let job = spec
                let id = try await cluster.withClient { try await $0.submitAll([job]) }[0]
                submitted.append((item, runtime, id))
            }
        }
        let submittedIDs = submitted.map(\.2)
        try await waitUntil("every job final", timeout: .seconds(120)) {
            for id in submittedIDs where try await !cluster.job(id).status.state.isFinal { return false }
            return true
        }
        for (item, runtime, id) in submitted {
            let status = try await cluster.job(id).status
            XCTAssertEqual(status.state, .succeeded, "\(item.name) on \(runtime): \(status)")
            let logs = try await cluster.logs(id, timeout: .seconds(60))
            XCTAssertEqual(logs.exitCode, 0, "\(item.name) on \(runtime): \(logs.stderr.prefix(300))")
            XCTAssertTrue(logs.stdoutBytes == item.stdout, "\(item.name) on \(runtime): stdout differs (\(logs.stdoutBytes.count) bytes, expected \(item.stdout.count))")
            XCTAssertTrue(logs.stderrBytes == item.stderr, "\(item.name) on \(runtime): stderr differs (\(logs.stderrBytes.count) bytes, expected \(item.stderr.count))")
        }

        // --stream and --tail on one of them.
        let interleaved = submitted.first { $0.0.name == "interleaved" }!.2
        let onlyErr = try await runProgram(
            cluster.binaries + "/titan-cli",
            ["logs", interleaved.rawValue, "--stream", "stderr", "--etcd", cluster.etcdEndpoint, "--token-file", cluster.tokenFile],
            in: cluster.root)
        XCTAssertEqual(onlyErr.stdout, "")
        XCTAssertEqual(onlyErr.stderrBytes, Self.cases[2].stderr)
        let lines = submitted.first { $0.0.name == "lines" }!.2
        let tail = try await runProgram(
            cluster.binaries + "/titan-cli",
            ["logs", lines.rawValue, "--tail", "3", "--etcd", cluster.etcdEndpoint, "--token-file", cluster.tokenFile],
            in: cluster.root)
        XCTAssertEqual(tail.stdout, "199998\n199999\n200000\n")
    }

    func testOutputPastTheArchiveCapIsCutWithAMarker() async throws {
        try await startCluster(workers: [("w1", "4", "8Gi")], masterFlags: ["--log-archive-cap", "1Mi"])
        let cluster = self.cluster!
        // Random bytes do not compress: about 1 MiB of the 4 MiB is kept.
        let id = try await cluster.withClient { try await $0.submitAll([scriptJob("head -c 4194304 /dev/urandom")]) }[0]
        try await waitUntil("the job final", timeout: .seconds(60)) { try await cluster.job(id).status.state.isFinal }
        let logs = try await cluster.logs(id)
        XCTAssertEqual(logs.exitCode, 0, logs.stderr)
        let kept = logs.stdoutBytes.count
        XCTAssertGreaterThan(kept, 512 << 10)
        XCTAssertLessThanOrEqual(kept, 1 << 20)
        XCTAssertTrue(
            logs.stderr.contains("reached its cap; \(4_194_304 - kept) more bytes of output were cut"), logs.stderr)
    }

    /// A new leader inherits an attempt past its cap: it reads what earlier terms archived, so
    /// it stores nothing more and continues the marker's count (which may miss up to a second's
    /// worth of cut bytes acknowledged after the old leader's last marker write).
    func testTheCapHoldsAcrossALeaderFailOver() async throws {
        try cluster.startMaster("m1", extra: ["--log-archive-cap", "1Mi"])
        try await cluster.waitForLeader("m1")
        try cluster.startMaster("m2", extra: ["--log-archive-cap", "1Mi"])
        try cluster.startWorker("w1", cpu: "4", memory: "8Gi")
        try await cluster.waitForNodes(1)
        let cluster = self.cluster!
        // 4 MiB of random bytes, 128 KiB at a time about ten times a second: the cap is reached
        // within the first second, the fail-over comes at two, the rest goes to the new leader.
        let total = 32 * 131_072
        let id = try await cluster.withClient {
            try await $0.submitAll([scriptJob("i=0; while [ $i -lt 32 ]; do head -c 131072 /dev/urandom; sleep 0.1; i=$((i+1)); done")])
        }[0]
        try await waitUntil("the job running", timeout: .seconds(20)) { try await cluster.job(id).status.state == .running }
        try await Task.sleep(for: .seconds(2))
        await cluster.process(named: "master m1")?.kill9()
        try await cluster.waitForLeader("m2", timeout: .seconds(15))
        try await waitUntil("the job final", timeout: .seconds(60)) { try await cluster.job(id).status.state.isFinal }
        let logs = try await cluster.logs(id)
        XCTAssertEqual(logs.exitCode, 0, logs.stderr)
        let kept = logs.stdoutBytes.count
        XCTAssertLessThanOrEqual(kept, 1 << 20, "the new leader stored past the cap")
        let marker = try XCTUnwrap(logs.stderr.range(of: "reached its cap; "), logs.stderr)
        let cut = Int(logs.stderr[marker.upperBound...].prefix { $0.isNumber }) ?? -1
        XCTAssertLessThanOrEqual(cut, total - kept, logs.stderr)
        XCTAssertGreaterThanOrEqual(cut, total - kept - (3 << 19), "the new leader did not continue the count: \(logs.stderr)")
    }

    func testACancelledJobsLastWordsAreArchived() async throws {
        try await startCluster(workers: [("w1", "2", "2Gi")])
        let cluster = self.cluster!
        let id = try await cluster.withClient {
            try await $0.submitAll([scriptJob("trap 'echo bye; exit 143' TERM; echo up; while true; do sleep 0.1; done")])
        }[0]
        try await waitUntil("the job running", timeout: .seconds(20)) { try await cluster.job(id).status.state == .running }
        try await Task.sleep(for: .milliseconds(500))
        _ = try await cluster.withClient { try await $0.cancel(id) }
        let seen = Mutex("")
        do {
            try await waitUntil("the output written after the cancel archived", timeout: .seconds(20)) {
                let text = try await cluster.logs(id).stdout
                seen.withLock { $0 = text }
                return text == "up\nbye\n"
            }
        } catch {
            XCTFail("\(error); the archive holds: \(seen.withLock { $0 }.debugDescription)")
        }
    }
}
