import ClusterModel
import Foundation
import TitanClient
import TitanTestSupport
import XCTest

/// `--log-format json`: every line a master, a worker and the worker's node guard write is one
/// JSON object with time, level, logger and msg, and a line about a job names it and its attempt.
final class LogFormatTests: ClusterTestCase {
    func testJSONLogLinesOfEveryDaemonParseAndNameTheJobAndAttempt() async throws {
        let cluster = self.cluster!
        try cluster.startMaster("m1", extra: ["--log-format", "json"])
        try await cluster.waitForLeader("m1")
        try cluster.startWorker("w1", cpu: "2", memory: "2Gi", extra: ["--log-format", "json"])
        try await cluster.waitForNodes(1)

        // A job killed on the leader's request: the worker logs the kill, naming job and attempt.
        let id = try await cluster.withClient { try await $0.submitAll([execJob(["sleep", "60"])]) }[0]
        try await waitUntil("the job running", timeout: .seconds(20)) { try await cluster.job(id).status.state == .running }
        _ = try await cluster.withClient { try await $0.cancel(id) }
        try await waitUntil("the job final", timeout: .seconds(20)) { try await cluster.job(id).status.state.isFinal }

        let worker = try XCTUnwrap(cluster.process(named: "worker w1"))
        try await waitUntil("the worker's kill line", timeout: .seconds(10)) {
            try Self.objects(in: worker.logTail(bytes: 200_000)).contains { $0["msg"] == "killing on the leader's request" }
        }
        let kill = try Self.objects(in: worker.logTail(bytes: 200_000)).first { $0["msg"] == "killing on the leader's request" }
        XCTAssertEqual(kill?["job.id"], id.rawValue)
        XCTAssertEqual(kill?["job.attempt"], "1")
        XCTAssertEqual(kill?["node.id"], "w1")

        let master = try XCTUnwrap(cluster.process(named: "master m1"))
        let masterLines = try Self.objects(in: master.logTail(bytes: 200_000))
        XCTAssertTrue(masterLines.contains { $0["msg"] == "elected leader" && $0["logger"] == "titan.master" }, "\(masterLines)")
        let guardLines = try Self.objects(in: String(contentsOfFile: cluster.root + "/work-w1/guard.log", encoding: .utf8))
        XCTAssertFalse(guardLines.isEmpty, "the node guard logs in the worker's format")
    }

    func testAnUnknownLogFormatIsRefusedWithASentence() async throws {
        let cluster = self.cluster!
        let run = try await runProgram(cluster.binaries + "/titan-master", ["--listen", "127.0.0.1:1", "--log-format", "yaml"], in: cluster.root)
        XCTAssertEqual(run.exitCode, 64)
        XCTAssertTrue(run.stderr.contains("--log-format 'yaml' is unknown: use text, logfmt or json"), run.stderr)
    }

    /// Every non-empty line of `text` as a JSON object of strings; fails on any other line.
    private static func objects(in text: String) throws -> [[String: String]] {
        try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            guard let object, object["time"] != nil, object["level"] != nil, object["logger"] != nil, object["msg"] != nil else {
                throw HarnessFailure("not a JSON log line: \(line)")
            }
            return object
        }
    }
}
