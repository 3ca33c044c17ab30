import Foundation
import TitanTestSupport
import XCTest

/// The web UI in headless Chromium (Debian's `chromium`, driven by Playwright for Python through
/// `Tests/ui/ui_check.py`) against real masters, a real worker and a real etcd: a wrong token gets
/// nothing, a job submitted with the CLI appears within 1 s, its log streams into the page, a
/// cancel from the page stops the job (counted by its own progress file), a standby redirects to
/// the leader. The pages' pictures go to `$TITAN_UI_SCREENSHOTS` when set (docs/images takes
/// them from there), else into the cluster's directory.
final class WebUIBrowserTests: ClusterTestCase {
    func testTheUIShowsJobsStreamsLogsCancelsAndRefusesAWrongToken() async throws {
        let cluster = self.cluster!
        let leaderUI = try freeLoopbackPort()
        let standbyUI = try freeLoopbackPort()
        try cluster.startMaster("m1", extra: ["--ui-listen", "127.0.0.1:\(leaderUI)"])
        try await cluster.waitForLeader("m1")
        try cluster.startMaster("m2", extra: ["--ui-listen", "127.0.0.1:\(standbyUI)"])
        try cluster.startWorker("w1", cpu: "4", memory: "4Gi")
        try await cluster.waitForNodes(1)
        try await waitUntil("m2 listening", timeout: .seconds(10)) { cluster.port(ofMaster: "m2") != nil }

        let work = cluster.root + "/ui-work"
        let screenshots = ProcessInfo.processInfo.environment["TITAN_UI_SCREENSHOTS"] ?? cluster.root + "/screenshots"
        for directory in [work, screenshots] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("ui/ui_check.py").path
        let masters = ["m1", "m2"].compactMap { cluster.port(ofMaster: $0).map { "127.0.0.1:\($0)" } }.joined(separator: ",")
        let run = try await runProgram("/usr/bin/env", [
            "python3", script,
            "--leader-ui", "http://127.0.0.1:\(leaderUI)", "--standby-ui", "http://127.0.0.1:\(standbyUI)",
            "--token-file", cluster.tokenFile, "--cli", cluster.binaries + "/titan-cli", "--master", masters,
            "--work", work, "--screenshots", screenshots,
        ], in: cluster.root, timeout: .seconds(120))
        print(run.stdout, terminator: "")
        XCTAssertEqual(run.exitCode, 0, "ui_check.py failed (python3 with playwright and /usr/bin/chromium come from Tools/install-deps): \(run.stderr.suffix(3000))")
        for picture in ["ui-jobs.png", "ui-job.png", "ui-nodes.png"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: screenshots + "/" + picture)[.size] as? Int) ?? 0
            XCTAssertGreaterThan(size, 10_000, "\(picture) was not written")
        }
    }

    func testABadUIListenAddressIsOneSentenceAndExit64() async throws {
        let run = try await runProgram(cluster.binaries + "/titan-master", ["--ui-listen", "localhost", "--etcd", "http://127.0.0.1:1"], in: cluster.root)
        XCTAssertEqual(run.exitCode, 64)
        XCTAssertEqual(run.stderr, "titan-master: --ui-listen 'localhost' is not host:port with a port from 1 to 65535\n")
    }
}
