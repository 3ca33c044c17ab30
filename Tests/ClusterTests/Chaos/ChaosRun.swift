import ClusterModel
import DockerClient
import Foundation
import Synchronization
import TitanClient
import TitanTestSupport
import XCTest

/// One row of the chaos report (`Tools/chaos`): what a scenario did to the jobs, counted by
/// the jobs' own side effects.
struct ChaosOutcome: Codable, Equatable {
    /// The scenario's name, as `Tools/chaos` lists it.
    var scenario: String
    /// Jobs the cluster acknowledged.
    var accepted: Int
    /// Jobs that completed exactly once (by their markers) and ended `succeeded`.
    var succeeded: Int
    /// Jobs that never completed, or ended other than `succeeded`.
    var lost: Int
    /// Jobs that completed more than once.
    var completedTwice: Int
    /// Job processes and containers still there after every job ended.
    var leftBehind: Int
    /// Seconds from the fault until the scenario's recovery condition held.
    var recoveryS: Double

    enum CodingKeys: String, CodingKey {
        case scenario, accepted, succeeded, lost
        case completedTwice = "completed_twice"
        case leftBehind = "left_behind"
        case recoveryS = "recovery_s"
    }
}

/// The size of the chaos scenarios: small in `Tools/test`, full in `Tools/chaos`
/// (`TITAN_CHAOS_JOBS`); `TITAN_CHAOS_REPORT` names a file each outcome is appended to, one
/// JSON object per line.
enum ChaosSettings {
    static var jobs: Int {
        ProcessInfo.processInfo.environment["TITAN_CHAOS_JOBS"].flatMap(Int.init).map { max(2, min($0, 2000)) } ?? 8
    }

    static func record(_ outcome: ChaosOutcome) {
        let line = (try? JSONEncoder().encode(outcome)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        print("ChaosTests: \(line)")
        guard let path = ProcessInfo.processInfo.environment["TITAN_CHAOS_REPORT"], !path.isEmpty else { return }
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data((line + "\n").utf8))
            try? handle.close()
        }
    }
}

/// A scenario's jobs on a ``LocalCluster``: each says `start <attempt>` and `done <attempt>` on
/// stdout (and an exec job, which sees the host's files, also appends its attempt to marker
/// files), so that completions are counted by what the jobs did, not by Titan's records.
final class ChaosRun: Sendable {
    let cluster: LocalCluster
    let scenario: String
    let markers: String
    private let submitted = Mutex<[(id: JobID, runtime: Runtime)]>([])

    init(cluster: LocalCluster, scenario: String) throws {
        self.cluster = cluster
        self.scenario = scenario
        markers = cluster.root + "/markers"
        try FileManager.default.createDirectory(atPath: markers, withIntermediateDirectories: true)
    }

    /// Every job submitted so far.
    var ids: [JobID] { submitted.withLock { $0.map(\.id) } }

    /// The spec of a marked job that runs `seconds`.
    func spec(_ runtime: Runtime, seconds: Int) -> JobSpec {
        let mark = "[ -d \(markers) ] && echo $TITAN_ATTEMPT >> \(markers)/$TITAN_JOB_ID"
        let script = "echo start $TITAN_ATTEMPT; \(mark).started; sleep \(seconds); echo done $TITAN_ATTEMPT; \(mark).done; true"
        var spec = runtime == .docker ? dockerJob(script, cpu: 100, memory: 32 << 20) : scriptJob(script, cpu: 100, memory: 32 << 20)
        spec.name = "chaos-\(scenario)"
        return spec
    }

    /// Submits `count` marked jobs through the leader, following it across a fail-over; `runtime`
    /// alternates exec and docker when nil.
    @discardableResult
    func submit(_ count: Int, runtime: Runtime? = nil, seconds: Int) async throws -> [JobID] {
        let specs = (0..<count).map { spec(runtime ?? ($0 % 2 == 0 ? .exec : .docker), seconds: seconds) }
        let locator = LeaderLocator(.etcd(cluster.etcd))
        let outcomes = try await withDeadline(.seconds(60), waitingFor: "the leader to accept \(count) jobs") { [cluster] in
            try await locator.withLeader(token: cluster.token, nodeID: "chaos", retry: .untilSent) { try await $0.submit(specs) }
        }
        var ids: [JobID] = []
        for (outcome, spec) in zip(outcomes, specs) {
            guard case let .accepted(id) = outcome else { throw HarnessFailure("a chaos job was refused: \(outcome)") }
            ids.append(id)
            submitted.withLock { $0.append((id, spec.runtime)) }
        }
        return ids
    }

    /// The status of every job, read through whichever master leads (nil while none answers).
    func statuses() async -> [JobID: JobStatus]? {
        try? await cluster.withClient(timeout: .seconds(10)) { try await $0.allJobs() }
    }

    /// Waits until every submitted job is final.
    func waitAllFinal(timeout: Duration) async throws {
        let ids = Set(self.ids)
        try await waitUntil("every chaos job of \(scenario) final", timeout: timeout, interval: .milliseconds(250)) { [self] in
            guard let statuses = await statuses() else { return false }
            return ids.allSatisfy { statuses[$0]?.state.isFinal == true }
        }
    }

    /// Measures from `fault` until `recovered` holds (checked every 100 ms, at most `timeout`).
    func recovery(since fault: ContinuousClock.Instant, timeout: Duration, _ recovered: @escaping @Sendable () async -> Bool) async throws -> Double {
        try await waitUntil("\(scenario) to recover", timeout: timeout) { await recovered() }
        let elapsed = ContinuousClock.now - fault
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Counts the outcome by the jobs' side effects, once every job is final; `nodes` are the
    /// node ids whose work directories and containers are checked for leftovers.
    func outcome(recoveryS: Double, nodes: [String], dockerSocket: String = TestServices.dockerSocket) async throws -> ChaosOutcome {
        let jobs = submitted.withLock { $0 }
        guard let statuses = await statuses() else { throw HarnessFailure("no leader answered when counting \(scenario)") }
        var succeeded = 0
        var lost = 0
        var twice = 0
        for (id, runtime) in jobs {
            let status = statuses[id]
            let completions = try await completions(of: id, runtime: runtime, attempts: status?.attempt ?? 0)
            if completions > 1 { twice += 1 }
            if completions == 1, status?.state == .succeeded {
                succeeded += 1
            } else if completions == 0 || status?.state != .succeeded {
                lost += 1
                print("ChaosTests: \(scenario): job \(id) (\(runtime.rawValue)) completed \(completions) times, ended \(status.map { "\($0.state.rawValue) after attempt \($0.attempt): \($0.message)" } ?? "unknown")")
            }
        }
        // Give workers a moment to remove exited containers and guards to settle.
        try await Task.sleep(for: .seconds(2))
        let ids = Set(jobs.map(\.id.rawValue))
        let containers = try await DockerClient(socketPath: dockerSocket).listContainers(labels: ["titan.job": nil], all: true)
            .filter { ids.contains($0.labels["titan.job"] ?? "") }
        var processesLeft = 0
        for node in nodes {
            processesLeft += jobProcesses(workingUnder: cluster.root + "/work-\(node)").count
        }
        let outcome = ChaosOutcome(
            scenario: scenario, accepted: jobs.count, succeeded: succeeded, lost: lost, completedTwice: twice,
            leftBehind: containers.count + processesLeft, recoveryS: (recoveryS * 10).rounded() / 10)
        ChaosSettings.record(outcome)
        return outcome
    }

    /// How many times job `id` completed: its `done` markers (exec), or the attempts whose
    /// archived output says `done` (docker: a container sees only its own files).
    private func completions(of id: JobID, runtime: Runtime, attempts: UInt32) async throws -> Int {
        if runtime == .exec {
            let text = (try? String(contentsOfFile: "\(markers)/\(id.rawValue).done", encoding: .utf8)) ?? ""
            return text.split(separator: "\n").count
        }
        var count = 0
        for attempt in 1...max(attempts, 1) {
            let log = try await runProgram(
                cluster.binaries + "/titan-cli",
                ["logs", id.rawValue, "--attempt", "\(attempt)", "--etcd", cluster.etcdEndpoint, "--token-file", cluster.tokenFile],
                in: cluster.root)
            if log.stdout.contains("done \(attempt)") { count += 1 }
        }
        return count
    }
}

extension XCTestCase {
    /// The promise of every chaos scenario: every accepted job succeeded exactly once, none
    /// lost, none twice, nothing left behind; and, where given, recovery within `recoveryBound`.
    func assertHealed(_ outcome: ChaosOutcome, recoveryBound: Double? = nil, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertGreaterThan(outcome.accepted, 0, "\(outcome)", file: file, line: line)
        XCTAssertEqual(outcome.succeeded, outcome.accepted, "\(outcome)", file: file, line: line)
        XCTAssertEqual(outcome.lost, 0, "\(outcome)", file: file, line: line)
        XCTAssertEqual(outcome.completedTwice, 0, "\(outcome)", file: file, line: line)
        XCTAssertEqual(outcome.leftBehind, 0, "\(outcome)", file: file, line: line)
        if let recoveryBound {
            XCTAssertLessThanOrEqual(outcome.recoveryS, recoveryBound, "\(outcome)", file: file, line: line)
        }
    }
}
