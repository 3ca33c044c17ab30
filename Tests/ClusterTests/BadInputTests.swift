import ClusterModel
import Foundation
import TitanClient
import TitanTestSupport
import XCTest

/// Bad input reaching the real binaries: a wrong token and a bad flag through `titan-cli`, and a
/// hostile frame header straight on the master's socket.
final class BadInputTests: ClusterTestCase {
    func testCLIWithAWrongTokenFailsWithExitCode1AndSaysWhatToCheck() async throws {
        try await startCluster(workers: [])
        let wrongToken = cluster.root + "/wrong-token"
        try Data((String(repeating: "f", count: 64) + "\n").utf8).write(to: URL(fileURLWithPath: wrongToken))
        let run = try await runProgram(
            cluster.binaries + "/titan-cli",
            ["nodes", "--etcd", cluster.etcdEndpoint, "--token-file", wrongToken],
            in: cluster.root
        )
        XCTAssertEqual(run.exitCode, 1, "stderr: \(run.stderr)")
        XCTAssertTrue(run.stderr.contains("authentication failed: check TITAN_TOKEN_FILE"), "stderr: \(run.stderr)")
        XCTAssertEqual(run.stdout, "")
    }

    func testCLISubmitWithZeroCPUIsAUsageErrorNamingTheValue() async throws {
        try await startCluster(workers: [])
        let run = try await runProgram(
            cluster.binaries + "/titan-cli",
            ["submit", "--etcd", cluster.etcdEndpoint, "--token-file", cluster.tokenFile, "--runtime", "exec", "--cpu", "0", "--", "true"],
            in: cluster.root
        )
        XCTAssertEqual(run.exitCode, 2, "stderr: \(run.stderr)")
        XCTAssertTrue(run.stderr.contains("--cpu '0'"), "the message names the flag and its value; stderr: \(run.stderr)")
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, "one sentence; stderr: \(run.stderr)")
        // Nothing was submitted.
        let jobs = try await cluster.withClient { try await $0.allJobs() }
        XCTAssertTrue(jobs.isEmpty, "jobs: \(jobs)")
    }

    /// A node record that declares what no node may (here 2^62 bytes of memory, whose placement
    /// scores would overflow) is skipped by the leader with a warning; the leader keeps serving
    /// and schedules on the good node.
    func testANodeRecordOutOfBoundsIsSkippedAndTheMasterKeepsServing() async throws {
        try await startCluster(workers: [("w1", "2", "2Gi")])
        let cluster = self.cluster!
        let huge = NodeDescriptor(id: "huge", capacity: Resources(cpuMillis: 1_000, memoryBytes: 1 << 62), runtimes: [.exec])
        let lease = try await cluster.etcd.grantLease(ttl: 30)
        try await cluster.etcd.put(key: Keys.nodes + "huge", value: Array(try JSONEncoder().encode(huge)), lease: lease.id)
        let id = try await cluster.withClient { try await $0.submitAll([execJob(["true"])]) }[0]
        try await waitUntil("the job final", timeout: .seconds(20)) { try await cluster.job(id).status.state.isFinal }
        let status = try await cluster.job(id).status
        XCTAssertEqual(status.state, .succeeded, "\(status)")
        XCTAssertEqual(status.node, NodeID("w1"))
        XCTAssertTrue(cluster.process(named: "master m1")?.isRunning ?? false, "the master died")
        let nodes = try await cluster.withClient { try await $0.nodes() }
        XCTAssertEqual(nodes.map(\.descriptor.id), [NodeID("w1")], "the out-of-bounds node is not scheduled on")
        let log = cluster.process(named: "master m1")?.logTail(bytes: 20_000) ?? ""
        XCTAssertTrue(log.contains("skipping a node record out of bounds") && log.contains("declares \(Int64(1) << 62) bytes"), log)
    }

    /// Protocol/README §1: a length above 4 MiB is refused as soon as the 4 length bytes arrive
    /// (`Error(0, frameTooLarge)`, then close), and only that connection suffers.
    func testOversizeFrameHeaderIsRefusedAndTheMasterKeepsServing() async throws {
        try await startCluster(workers: [])
        let port = try XCTUnwrap(cluster.port(ofMaster: "m1"))
        let socket = try RawSocket(port: port)
        // ServerHello: length 36 = type (2) + version (2) + nonce (32).
        let hello = try RawFrame.split(try socket.read(exactly: 40))
        XCTAssertEqual(hello.first?.type, 0x0002, "the server speaks first with ServerHello")
        // A header announcing 1 GiB, and nothing after it.
        try socket.write([0x40, 0x00, 0x00, 0x00])
        let answer = try RawFrame.split(try socket.readToEnd())
        XCTAssertEqual(answer.count, 1, "one Error frame, then the close: \(answer)")
        let error = try XCTUnwrap(answer.first?.errorFields, "not an Error frame: \(answer)")
        XCTAssertEqual(error.correlationID, 0)
        XCTAssertEqual(error.code, 2, "frameTooLarge; message: \(error.message)")
        XCTAssertFalse(error.message.isEmpty)

        XCTAssertTrue(cluster.process(named: "master m1")?.isRunning ?? false, "the master died")
        let nodes = try await cluster.withClient { try await $0.nodes() }
        XCTAssertEqual(nodes, [])
    }
}
