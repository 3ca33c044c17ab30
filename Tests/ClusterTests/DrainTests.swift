import ClusterModel
import Foundation
import TitanClient
import TitanTestSupport
import WireProtocol
import XCTest

/// `titan-cli drain` / `uncordon` against the real binaries: a drained node takes no new job
/// while its running job finishes there; a deadline moves the jobs left as a node loss; uncordon
/// brings placements back; `nodes` shows SCHEDULABLE and AGE; bad input is one sentence.
/// Outcomes are counted by the jobs' own marker files.
final class DrainTests: ClusterTestCase {
    func testADrainedNodeTakesNoNewJobsItsRunningJobFinishesAndUncordonBringsItBack() async throws {
        // w1 is smaller, so binpack places there first (ClusterTests' WorkerLossTests spell the scores).
        try await startCluster(workers: [("w1", "2", "2Gi"), ("w2", "4", "4Gi")])
        let cluster = self.cluster!
        let markers = try cluster.markerDirectory()
        let running = try await cluster.withClient { try await $0.submitAll([markerJob(markers, sleep: "3")]) }[0]
        try await cluster.waitForJob(running, "running on w1") { $0.state == .running && $0.node == "w1" }

        let drained = try await cluster.cli(["drain", "w1"])
        XCTAssertEqual(drained.exitCode, 0, "stderr: \(drained.stderr)")
        XCTAssertEqual(drained.stdout, "drained w1: it takes no new jobs; 1 job on it runs to its end\n")
        let impatient = try await cluster.cli(["drain", "w1", "--wait", "--wait-timeout", "1s"])
        XCTAssertEqual(impatient.exitCode, 1, "the 3 s job still runs: \(impatient.stdout)")
        XCTAssertEqual(impatient.stderr, "titan-cli: w1 still had jobs after --wait-timeout 1s: it stays drained; see titan-cli list --node w1\n")
        let table = try await cluster.cli(["nodes"])
        XCTAssertTrue(table.stdout.contains("SCHEDULABLE") && table.stdout.contains("AGE"), table.stdout)
        XCTAssertTrue(try XCTUnwrap(table.line(of: "w1")).contains("no (drained)"), table.stdout)
        XCTAssertTrue(try XCTUnwrap(table.line(of: "w2")).contains(" yes "), table.stdout)
        XCTAssertNotNil(try XCTUnwrap(table.line(of: "w2")).range(of: #" [0-9]+s "#, options: .regularExpression), "AGE in seconds: \(table.stdout)")

        let later = try await cluster.withClient { try await $0.submitAll((0..<4).map { _ in markerJob(markers, sleep: "1") }) }
        for id in later {
            try await cluster.waitForJob(id, "succeeded") { $0.state == .succeeded }
            let nodeId = try await cluster.job(id).status.node
            XCTAssertEqual(nodeId, "w2", "a drained node takes no new job")
        }
        try await cluster.waitForJob(running, "succeeded") { $0.state == .succeeded }
        let finished = try await cluster.job(running)
        XCTAssertEqual(finished.status.node, "w1", "the running job finished where it ran")
        XCTAssertEqual(finished.status.attempt, 1)
        XCTAssertEqual(markerLines(markers, running, "done"), ["1"])

        let uncordoned = try await cluster.cli(["uncordon", "w1"])
        XCTAssertEqual(uncordoned.stdout, "uncordoned w1: it takes new jobs again\n", "stderr: \(uncordoned.stderr)")
        let back = try await cluster.withClient { try await $0.submitAll([markerJob(markers, sleep: "0")]) }[0]
        try await cluster.waitForJob(back, "succeeded") { $0.state == .succeeded }
        let nodeBack = try await cluster.job(back).status.node
        XCTAssertEqual(nodeBack, "w1", "binpack prefers the emptier, smaller w1 again")
    }

    func testADeadlineMovesTheJobsLeftAndEachEndsOnceWithoutUsingItsAttempts() async throws {
        try await startCluster(workers: [("w1", "2", "2Gi"), ("w2", "4", "4Gi")])
        let cluster = self.cluster!
        let markers = try cluster.markerDirectory()
        // The first attempt outlasts any deadline; a moved one ends at once.
        let spec = markerJob(markers, sleep: "$([ $TITAN_ATTEMPT = 1 ] && echo 60 || echo 1)")
        let ids = try await cluster.withClient { try await $0.submitAll([spec, spec]) }
        for id in ids { try await cluster.waitForJob(id, "running on w1") { $0.state == .running && $0.node == "w1" } }

        let listed = try await cluster.cli(["drain", "w1", "--deadline", "3s", "--output", "json"])
        XCTAssertTrue(listed.stdout.contains(#""origin" : "user""#), listed.stdout)
        let table = try await cluster.cli(["nodes"])
        XCTAssertTrue(try XCTUnwrap(table.line(of: "w1")).contains("no (draining, deadline in "), table.stdout)
        // The same drain again, waiting until the deadline has moved both jobs off w1.
        let drained = try await cluster.cli(["drain", "w1", "--wait", "--wait-timeout", "20s"])
        XCTAssertEqual(drained.exitCode, 0, "stderr: \(drained.stderr)")
        XCTAssertTrue(drained.stdout.hasPrefix("w1 was already drained; 2 jobs on it move elsewhere in "), drained.stdout)
        XCTAssertTrue(drained.stdout.hasSuffix("\nw1 has no jobs left\n"), drained.stdout)

        for id in ids {
            try await cluster.waitForJob(id, "succeeded", timeout: .seconds(20)) { $0.state == .succeeded }
            let job = try await cluster.job(id)
            XCTAssertEqual(job.status.node, "w2")
            XCTAssertEqual(job.status.attempt, 2)
            XCTAssertEqual(job.status.failures, 0, "the retry budget is untouched")
            XCTAssertEqual(job.status.nodeLosses, 1)
            XCTAssertEqual(job.attempts.first?.outcome, .nodeLost)
            XCTAssertEqual(markerLines(markers, id, "started"), ["1", "2"])
            XCTAssertEqual(markerLines(markers, id, "done"), ["2"], "each job ended exactly once")
        }
        try await waitUntil("w1's moved attempts gone", timeout: .seconds(10)) {
            jobProcesses(workingUnder: cluster.root + "/work-w1").isEmpty
        }
    }

    func testADrainSurvivesALeaderFailOverAndItsDeadlineIsKept() async throws {
        try await startCluster(workers: [("w1", "2", "2Gi"), ("w2", "4", "4Gi")])
        let cluster = self.cluster!
        try cluster.startMaster("m2")
        let markers = try cluster.markerDirectory()
        let spec = markerJob(markers, sleep: "$([ $TITAN_ATTEMPT = 1 ] && echo 60 || echo 1)")
        let id = try await cluster.withClient { try await $0.submitAll([spec]) }[0]
        try await cluster.waitForJob(id, "running on w1") { $0.state == .running && $0.node == "w1" }
        let drained = try await cluster.cli(["drain", "w1", "--deadline", "8s"])
        XCTAssertEqual(drained.exitCode, 0, "stderr: \(drained.stderr)")

        await cluster.process(named: "master m1")?.kill9()
        try await cluster.waitForLeader("m2")
        try await cluster.waitForNodes(2)
        let listed = try await cluster.cli(["nodes"])
        XCTAssertTrue(try XCTUnwrap(listed.line(of: "w1")).contains("no (draining"), "the new leader keeps the drain")
        let later = try await cluster.withClient { try await $0.submitAll([markerJob(markers, sleep: "0")]) }[0]
        try await cluster.waitForJob(later, "succeeded") { $0.state == .succeeded }
        let nodeLater = try await cluster.job(later).status.node
        XCTAssertEqual(nodeLater, "w2", "the new leader places nothing on w1")

        try await cluster.waitForJob(id, "moved at the deadline and succeeded", timeout: .seconds(25)) { $0.state == .succeeded }
        let job = try await cluster.job(id)
        XCTAssertEqual(job.status.node, "w2")
        XCTAssertEqual(job.status.failures, 0)
        XCTAssertEqual(markerLines(markers, id, "done"), ["2"])
    }

    func testBadInputIsOneSentenceAndANonZeroExit() async throws {
        try await startCluster(workers: [("w1", "2", "2Gi")])
        for arguments in [["drain", "ghost"], ["uncordon", "ghost"]] {
            let run = try await cluster.cli(arguments)
            XCTAssertEqual(run.exitCode, 1, "\(arguments): stderr: \(run.stderr)")
            XCTAssertEqual(run.stderr, "titan-cli: node ghost is not registered: check the name with titan-cli nodes\n")
        }
        for (value, exitCode) in [("5x", Int32(2)), ("31d", 2), ("-1s", 2)] {
            let run = try await cluster.cli(["drain", "w1", "--deadline", value])
            XCTAssertEqual(run.exitCode, exitCode, "--deadline \(value): stderr: \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("--deadline '\(value)'"), run.stderr)
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        }
        let nodes = try await cluster.withClient { try await $0.nodes() }
        XCTAssertNil(nodes.first?.drain, "a refused drain changes nothing")
    }
}

/// A job that appends its attempt to `<markers>/<job>.started`, sleeps, then to `.done`.
func markerJob(_ markers: String, sleep: String) -> JobSpec {
    scriptJob("echo $TITAN_ATTEMPT >> \(markers)/$TITAN_JOB_ID.started; sleep \(sleep); echo $TITAN_ATTEMPT >> \(markers)/$TITAN_JOB_ID.done", cpu: 500, memory: 256 << 20)
}

/// The lines of a job's marker file.
func markerLines(_ markers: String, _ id: JobID, _ kind: String) -> [String] {
    ((try? String(contentsOfFile: "\(markers)/\(id.rawValue).\(kind)", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
}

extension LocalCluster {
    /// `titan-cli ARGS` against this cluster.
    func cli(_ arguments: [String]) async throws -> ProgramRun {
        try await runProgram(binaries + "/titan-cli", arguments + ["--etcd", etcdEndpoint, "--token-file", tokenFile], in: root)
    }

    /// A fresh directory for marker files.
    func markerDirectory() throws -> String {
        let markers = root + "/markers"
        try FileManager.default.createDirectory(atPath: markers, withIntermediateDirectories: true)
        return markers
    }

    /// Waits until the job's status satisfies `condition`.
    func waitForJob(_ id: JobID, _ what: String, timeout: Duration = .seconds(15), _ condition: @escaping @Sendable (JobStatus) -> Bool) async throws {
        try await waitUntil("job \(id.rawValue) \(what)", timeout: timeout) {
            (try? await self.job(id)).map { condition($0.status) } ?? false
        }
    }
}

extension ProgramRun {
    /// The table line of a node.
    func line(of node: String) -> String? {
        stdout.split(separator: "\n").first { $0.hasPrefix(node + " ") }.map(String.init)
    }
}
