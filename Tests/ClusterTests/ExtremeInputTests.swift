import Foundation
import TitanTestSupport
import XCTest

/// Extreme values for every numeric flag of the real binaries: no run ends by a signal, and a
/// refused value exits non-zero with one line on stderr that names it.
///
/// No cluster is needed: the programs are pointed at an etcd endpoint where nothing listens, so a
/// value that passes validation fails fast at connecting; a master or worker still running after
/// 3 s did not crash, and is SIGKILLed by its pid.
final class ExtremeInputTests: XCTestCase {
    /// The values every numeric flag is given.
    static let values = ["99999999Ti", "1e400", "-1", "9223372036854775808", "nan", "inf", "0", "", "1e-300", String(repeating: "9", count: 4000)]

    /// One program run with one extreme value.
    struct Case: Sendable {
        var program: String
        var arguments: [String]
        var flag: String
        var value: String
        /// Whether the value is valid for the flag (then the run only must not end by a signal).
        var valid: Bool
    }

    func testNoNumericFlagValueEndsAProgramBySignal() async throws {
        // About 360 runs, 8 at a time: a refused one ends in well under a second, an accepted
        // master or worker is stopped after 3 s.
        let binaries = try BuildProducts.directory()
        for program in ["titan-load", "titan-bench"] where !FileManager.default.isExecutableFile(atPath: "\(binaries)/\(program)") {
            throw HarnessFailure("build the binaries first: swift build (no \(program) in \(binaries))")
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("titan-extreme-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root + "/work", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let token = root + "/token"
        try Data(String(repeating: "7", count: 32).utf8).write(to: URL(fileURLWithPath: token))

        let cases = try Self.cases(token: token, workDir: root + "/work")
        let started = ContinuousClock.now
        let outcomes = try await withThrowingTaskGroup(of: (Case, Outcome).self) { group in
            var results: [(Case, Outcome)] = []
            var pending = cases[...]
            // At most 8 programs at once: each is a debug build that links the whole stack.
            for _ in 0..<8 {
                guard let next = pending.popFirst() else { break }
                group.addTask { (next, try await Self.run(binaries + "/" + next.program, next.arguments, in: root)) }
            }
            while let result = try await group.next() {
                results.append(result)
                if let next = pending.popFirst() {
                    group.addTask { (next, try await Self.run(binaries + "/" + next.program, next.arguments, in: root)) }
                }
            }
            return results
        }
        XCTAssertEqual(outcomes.count, cases.count)
        for (run, outcome) in outcomes {
            let what = "\(run.program) \(run.flag) '\(run.value.prefix(40))\(run.value.count > 40 ? "…" : "")'"
            XCTAssertNil(outcome.signal, "\(what) ended by signal \(outcome.signal ?? 0); stderr: \(outcome.stderr.suffix(2000))")
            guard outcome.signal == nil else { continue }
            if run.valid {
                // Past validation: a client fails at connecting (exit 1, not a usage error's 2 or
                // 64); a master or worker keeps retrying until it is killed.
                XCTAssertTrue(outcome.killedAfterTimeout || outcome.status == 1, "\(what) was refused: \(outcome.stderr.prefix(2000))")
                continue
            }
            XCTAssertFalse(outcome.killedAfterTimeout, "\(what) was not refused: it still ran after 3 s")
            XCTAssertNotEqual(outcome.status, 0, "\(what) was not refused")
            let lines = outcome.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            XCTAssertEqual(lines.count, 1, "\(what): one line on stderr, got: \(outcome.stderr.prefix(2000))")
            XCTAssertTrue(
                outcome.stderr.contains(run.value.isEmpty ? "''" : run.value), "\(what): the sentence names the value; stderr: \(outcome.stderr.prefix(2000))")
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(60), "the runs should take well under a minute")
    }

    /// Every numeric flag of every program with every one of ``values`` and with the values at
    /// and just past its bounds; `valid` lists the values the flag takes.
    static func cases(token: String, workDir: String) throws -> [Case] {
        let etcd = ["--etcd", "http://127.0.0.1:1"]
        let client = etcd + ["--token-file", token]
        var cases: [Case] = []
        func add(_ program: String, _ before: [String], _ flag: String, after: [String] = [], valid: Set<String> = [], invalid: [String] = []) {
            for value in values + valid.sorted() + invalid {
                cases.append(Case(program: program, arguments: before + [flag, value] + after, flag: flag, value: value, valid: valid.contains(value)))
            }
        }
        let submit = ["submit"] + client + ["--runtime", "exec"]
        let job = ["--", "true"]
        add("titan-cli", submit, "--cpu", after: job, valid: ["1024", "1m"], invalid: ["1024001m", "1025"])
        add("titan-cli", submit, "--memory", after: job, valid: ["4Ti", "1"], invalid: ["4398046511105", "4.0001Ti"])
        add("titan-cli", submit, "--max-attempts", after: job, valid: ["100", "1"], invalid: ["101", "4294967296"])
        add("titan-cli", submit, "--count", after: job, valid: ["1000000"], invalid: ["1000001"])
        add("titan-cli", submit, "--priority", after: job, valid: ["0", "-1", "-2147483648", "2147483647"], invalid: ["2147483648", "-2147483649"])
        add("titan-cli", submit, "--timeout", after: job, valid: ["0", "30d", "2592000"], invalid: ["2592001", "31d"])
        add("titan-cli", ["list"] + client, "--limit", valid: ["0", "9223372036854775807"], invalid: ["-9223372036854775808"])
        add("titan-cli", ["logs"] + client + ["job-1"], "--tail", valid: ["0", "9223372036854775807"])
        add("titan-cli", ["logs"] + client + ["job-1"], "--attempt", valid: ["1", "100"], invalid: ["101"])

        let load = client + ["--runtime", "exec"]
        add("titan-load", load, "-n", valid: ["1", "1000000"], invalid: ["1000001"])
        add("titan-load", load, "-t", valid: ["0", "0.001", "86400"], invalid: ["0.0009", "86400.001"])
        add("titan-load", load, "--batch", valid: ["1024"], invalid: ["1025"])
        add("titan-load", load, "--connections", valid: ["64"], invalid: ["65"])
        add("titan-load", load, "--deadline", valid: ["1", "2592000"], invalid: ["0.999", "2592001"])
        add("titan-load", load, "--rate", valid: ["0", "0.01", "1000000"], invalid: ["0.009", "1000001"])
        add("titan-load", load, "--cpu", valid: ["1024"], invalid: ["1025"])
        add("titan-load", load, "--memory", valid: ["4Ti"], invalid: ["5Ti"])

        let worker = client + ["--no-docker", "--id", "extreme-input", "--work-dir", workDir]
        add("titan-worker", worker, "--cpu", valid: ["1m", "1000000"], invalid: ["1000000.001"])
        add("titan-worker", worker, "--memory", valid: ["1", "1Pi"], invalid: ["1125899906842625"])
        add("titan-worker", worker, "--lease-ttl", valid: ["2", "3600"], invalid: ["1", "3601"])
        add("titan-worker", worker, "--docker-parallel", valid: ["1", "64"], invalid: ["65"])
        let badMetricsAddresses = ["127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:" + String(repeating: "9", count: 4000), ":9464"]
        add("titan-worker", worker, "--metrics-listen", invalid: badMetricsAddresses)

        let master = client + ["--listen", "127.0.0.1:PORT"]
        add("titan-master", master, "--lease-ttl", valid: ["2", "3600"], invalid: ["1", "3601"])
        add("titan-master", master, "--log-archive-cap", valid: ["1", "8Gi"], invalid: ["8589934593"])
        add("titan-master", master, "--retention", valid: ["0", "1s", "36500d"], invalid: ["36501d"])
        add("titan-master", master, "--metrics-listen", invalid: badMetricsAddresses)

        add("titan-bench", etcd, "--puts", valid: ["10000000"], invalid: ["10000001"])
        add("titan-bench", etcd, "--per-txn", valid: ["128"], invalid: ["129"])
        add("titan-bench", etcd, "--in-flight", valid: ["64"], invalid: ["65"])
        add("titan-bench", etcd, "--value-bytes", valid: ["0", "1048576"], invalid: ["1048577"])

        // Each master its own loopback port, should one get as far as listening.
        for index in cases.indices {
            if let port = cases[index].arguments.firstIndex(of: "127.0.0.1:PORT") {
                cases[index].arguments[port] = "127.0.0.1:\(try freeLoopbackPort())"
            }
        }
        return cases
    }

    /// How a run ended.
    struct Outcome: Sendable {
        var status: Int32
        /// The signal that ended it, unless it was our SIGKILL after the time limit.
        var signal: Int32?
        var killedAfterTimeout: Bool
        var stderr: String
    }

    /// Runs `executable` for at most 3 s (then SIGKILL by its pid), without the environment's
    /// TITAN_ variables or DOCKER_HOST (``spawnAndWait(_:_:in:timeout:environment:)``).
    static func run(_ executable: String, _ arguments: [String], in dir: String) async throws -> Outcome {
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TITAN_") && $0.key != "DOCKER_HOST" }
        let run = try await spawnAndWait(executable, arguments, in: dir, timeout: .seconds(3), environment: environment)
        return Outcome(
            status: run.exitCode, signal: run.signal, killedAfterTimeout: run.killedAfterTimeout,
            stderr: String(decoding: run.stderr, as: UTF8.self))
    }
}
