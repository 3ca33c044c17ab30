import EtcdClient
import Foundation
import TitanTestSupport
import XCTest

@testable import MasterCore

/// The group committer against a real etcd (the one Tools/test starts, named by
/// TITAN_TEST_ETCD); each test works under its own key prefix.
final class GroupCommitterTests: XCTestCase {
    private var etcd: EtcdClient!
    private var prefix = ""

    override func setUp() async throws {
        guard let endpoint = ProcessInfo.processInfo.environment["TITAN_TEST_ETCD"] else {
            throw HarnessFailure("TITAN_TEST_ETCD is not set: run these tests through Tools/test, which starts etcd")
        }
        try await TestServices.requireEtcd(endpoint)
        etcd = EtcdClient(endpoints: [endpoint])
        prefix = "/titan-test/committer/\(UUID().uuidString)/"
        // The fence: a key this test creates, standing in for the leader key.
        try await etcd.put(key: prefix + "leader", value: "me")
    }

    override func tearDown() async throws {
        _ = try? await etcd?.deleteRange(prefix: prefix)
        etcd?.shutdown()
    }

    private func fence() async throws -> Compare {
        let leader = try await etcd.get(prefix + "leader")
        return .createRevision(prefix + "leader", .equal, try XCTUnwrap(leader).createRevision)
    }

    /// Runs `body` with a committer whose loop runs in a child task.
    private func withCommitter(_ body: @escaping @Sendable (GroupCommitter, Fixture) async throws -> Void) async throws {
        let committer = GroupCommitter(etcd: etcd, fence: try await fence())
        let fixture = Fixture(etcd: etcd, prefix: prefix)
        try await withDeadline(.seconds(60), waitingFor: "the committer's writes in \(name)") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await committer.run() }
                try await body(committer, fixture)
                group.cancelAll()
            }
        }
    }

    func testManyWritesGoInFewTxnsAndEachIsDurable() async throws {
        let before = try await etcd.range(prefix: prefix, countOnly: true).header.revision
        try await withCommitter { committer, f in
            let writes = (0..<500).map { f.put("job-\($0)", "v\($0)") }
            let results = try await committer.commit(writes)
            let revisions = Set(results.compactMap { result -> Int64? in
                if case let .committed(revision) = result { return revision }
                return nil
            })
            XCTAssertEqual(results.count, 500)
            // 500 writes at 127 per txn need at least 4 txns; group commit must not use one per write.
            XCTAssertLessThanOrEqual(revisions.count, 8, "500 writes took \(revisions.count) txns")
        }
        let stored = try await etcd.range(prefix: prefix + "job-", countOnly: true)
        XCTAssertEqual(stored.count, 500)
        XCTAssertLessThanOrEqual(stored.header.revision - before, 8)
    }

    func testWritesToOneKeyInOneWindowCoalesceToTheLast() async throws {
        try await withCommitter { committer, f in
            // Queued in this order in one turn, as the scheduler queues a job's changes (three
            // `async let`s would race each other to the queue).
            let tickets = [
                committer.enqueue([f.put("k", "scheduled")]),
                committer.enqueue([f.put("k", "running", .current)]),
                committer.enqueue([f.put("k", "succeeded", .current)]),
            ]
            var results: [StoreWriteResult] = []
            for ticket in tickets { results += try await ticket.value() }
            guard case .committed = results[2] else { return XCTFail("\(results)") }
            let kv = try await f.etcd.get(f.prefix + "k")
            XCTAssertEqual(kv?.valueString, "succeeded")
            // Coalesced writes share one txn, so the key was written once or, if the window
            // split them, in order; either way the last value is what etcd holds.
            XCTAssertLessThanOrEqual(kv?.version ?? 99, 3)
        }
    }

    func testAStaleWriteConflictsWithoutSinkingItsNeighbours() async throws {
        try await etcd.put(key: prefix + "taken", value: "someone else")
        try await withCommitter { committer, f in
            let results = try await committer.commit([f.put("taken", "mine"), f.put("free-1", "a"), f.put("free-2", "b")])
            XCTAssertEqual(results[0], .conflict)
            guard case .committed = results[1], case .committed = results[2] else { return XCTFail("\(results)") }
        }
        let taken = try await etcd.get(prefix + "taken")
        XCTAssertEqual(taken?.valueString, "someone else")
        let freeTwo = try await etcd.get(prefix + "free-2")
        XCTAssertEqual(freeTwo?.valueString, "b")
    }

    func testALostFenceEndsTheCommitterAndWritesNothing() async throws {
        let committer = GroupCommitter(etcd: etcd, fence: try await fence())
        let f = Fixture(etcd: etcd, prefix: prefix)
        // Another "leader" replaces the key: the fence compare on its create revision now fails.
        try await etcd.deleteRange(key: prefix + "leader")
        try await etcd.put(key: prefix + "leader", value: "usurper")
        try await withDeadline(.seconds(60), waitingFor: "the committer to refuse writes after losing the fence") {
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await committer.run() }
                do {
                    _ = try await committer.commit(f.put("after", "x"))
                    XCTFail("a write went through a lost fence")
                } catch {
                    XCTAssertEqual(error as? StoreError, .notLeader)
                }
                do {
                    _ = try await committer.commit(f.put("later", "y"))
                    XCTFail("the committer accepted a write after losing the fence")
                } catch {}
                group.cancelAll()
            }
        }
        let after = try await etcd.get(prefix + "after")
        XCTAssertNil(after)
    }

    /// The batch goes write by write (its first write conflicts), and part-way etcd's quota is
    /// exceeded: the writes committed before report `.committed`, the one refused and the ones
    /// never tried report etcd's error, etcd holds exactly the committed ones, and the committer
    /// stops. Runs its own etcd, since it fills that etcd's quota.
    func testAnEtcdErrorPartWayThroughTheRetriesLeavesEachWriteItsOwnResult() async throws {
        let local = try LocalEtcd(extraArguments: ["--quota-backend-bytes", "\(256 << 10)"])
        try await local.start()
        defer { local.stop() }
        let client = EtcdClient(endpoints: [local.endpoint])
        defer { client.shutdown() }
        let f = Fixture(etcd: client, prefix: "/titan-test/committer-quota/")
        let outcome = try await runRetriesUntil(f) {
            // A value bigger than the whole quota: etcd refuses it and raises its NOSPACE
            // alarm, after which it refuses every put, the committer's included.
            do {
                try await f.etcd.put(key: f.prefix + "ballast", value: [UInt8](repeating: 0x62, count: 300 << 10))
                XCTFail("etcd took a value bigger than its quota")
            } catch {
                XCTAssertEqual(error as? EtcdError, .quotaExceeded)
            }
        }
        try await outcome.check(against: f) { error in
            XCTAssertEqual(error as? EtcdError, .quotaExceeded, "a write after the quota was exceeded failed with \(error)")
        }
    }

    /// As above, but the fence is lost part-way: the writes committed before it report
    /// `.committed`, the rest ``StoreError/notLeader``, and etcd holds exactly the committed ones.
    func testAFenceLostPartWayThroughTheRetriesLeavesEachWriteItsOwnResult() async throws {
        let f = Fixture(etcd: etcd, prefix: prefix)
        let outcome = try await runRetriesUntil(f) {
            // Another "leader" replaces the key: the fence compare on its create revision fails.
            try await f.etcd.deleteRange(key: f.prefix + "leader")
            try await f.etcd.put(key: f.prefix + "leader", value: "usurper")
        }
        try await outcome.check(against: f) { error in
            XCTAssertEqual(error as? StoreError, .notLeader, "a write after the fence was lost failed with \(error)")
        }
    }

    /// A caller waiting for room in a full queue leaves when its task is cancelled (the
    /// committer's loop is not running, so the queue stays full).
    func testAWaitForRoomEndsWhenItsTaskIsCancelled() async throws {
        let committer = GroupCommitter(etcd: etcd, fence: try await fence(), maxQueued: 1)
        _ = committer.enqueue([Fixture(etcd: etcd, prefix: prefix).put("a", "1")])
        let waiter = Task { try await committer.waitForRoom() }
        waiter.cancel()
        let outcome = try await withDeadline(.seconds(10), waitingFor: "a cancelled waitForRoom to end") {
            await waiter.result
        }
        XCTAssertThrowsError(try outcome.get()) { XCTAssertTrue($0 is CancellationError, "it ended with \($0)") }
    }

    /// Queues one full batch whose first write conflicts, so that the committer retries it write
    /// by write, and runs `failure` as soon as the first retried write is in etcd.
    private func runRetriesUntil(_ f: Fixture, failure: @escaping @Sendable () async throws -> Void) async throws -> RetryOutcome {
        try await f.etcd.put(key: f.prefix + "leader", value: "me")
        let taken = try await f.etcd.put(key: f.prefix + "taken", value: "someone else")
        let leaderKey = try await f.etcd.get(f.prefix + "leader")
        let leader = try XCTUnwrap(leaderKey)
        let committer = GroupCommitter(etcd: f.etcd, fence: .createRevision(f.prefix + "leader", .equal, leader.createRevision))
        let keys = ["taken"] + (1..<GroupCommitter.maxOpsPerTxn).map { "w-" + String(1000 + $0) }
        // All queued before the committer runs: a full txn's worth, so one lane takes them all
        // in one batch at once.
        let tickets = keys.map { committer.enqueue([f.put($0, "v-" + $0)]) }
        let watch = f.etcd.watch(prefix: f.prefix + "w-", startRevision: taken.header.revision + 1)
        return try await withDeadline(.seconds(60), waitingFor: "the committer's retries to meet a failure") {
            try await withThrowingTaskGroup(of: (any Error)?.self) { group in
                group.addTask {
                    do {
                        try await committer.run()
                        return nil
                    } catch {
                        return error
                    }
                }
                group.addTask {
                    for try await response in watch where !response.events.isEmpty { break }
                    try await failure()
                    return nil
                }
                var results: [Result<StoreWriteResult, any Error>] = []
                for ticket in tickets {
                    do {
                        results.append(.success(try await ticket.value()[0]))
                    } catch {
                        results.append(.failure(error))
                    }
                }
                // A failed write ends the term: the committer stops by itself (waitForRoom throws
                // once it has), and its run() ends with an error.
                let stopped = (try? await waitUntil("the committer to stop after a failed write", timeout: .seconds(10), interval: .milliseconds(10)) {
                    (try? await committer.waitForRoom()) == nil
                }) != nil
                if !stopped { group.cancelAll() }
                var runFailed = false
                for try await error in group where error != nil { runFailed = true }
                return RetryOutcome(committer: committer, keys: keys, results: results, stopped: stopped, runFailed: runFailed)
            }
        }
    }
}

/// What became of each write of ``GroupCommitterTests``' retried batch, in batch order.
private struct RetryOutcome: Sendable {
    let committer: GroupCommitter
    let keys: [String]
    let results: [Result<StoreWriteResult, any Error>]
    /// Whether the committer stopped taking writes by itself after the failure.
    let stopped: Bool
    /// Whether the committer's `run()` ended with an error.
    let runFailed: Bool

    /// Checks each write's result against what etcd holds: the conflicting first write kept the
    /// other value; then a run of committed writes, each in etcd at its revision; then failed
    /// writes (each passed to `checkFailure`), none in etcd; and the committer stopped.
    func check(against f: Fixture, file: StaticString = #filePath, line: UInt = #line, checkFailure: (any Error) -> Void) async throws {
        let stored = try await f.etcd.range(prefix: f.prefix).kvs
        let byKey = Dictionary(uniqueKeysWithValues: stored.map { ($0.keyString, $0) })
        XCTAssertEqual(byKey[f.prefix + "taken"]?.valueString, "someone else", file: file, line: line)
        switch results[0] {
        case .success(.conflict): break
        default: XCTFail("the conflicting write got \(results[0])", file: file, line: line)
        }
        var committed = 0
        var failed = 0
        for (key, result) in zip(keys, results).dropFirst() {
            let kv = byKey[f.prefix + key]
            switch result {
            case let .success(.committed(revision)):
                XCTAssertEqual(failed, 0, "\(key) committed after an earlier write failed", file: file, line: line)
                XCTAssertEqual(kv?.modRevision, revision, "\(key) reported committed at \(revision); etcd holds \(String(describing: kv))", file: file, line: line)
                XCTAssertEqual(kv?.valueString, "v-" + key, file: file, line: line)
                XCTAssertEqual(committer.revision(of: f.prefix + key), revision, "the committer tracks \(key)'s revision", file: file, line: line)
                committed += 1
            case .success(.conflict):
                XCTFail("\(key) conflicted; nothing else holds it", file: file, line: line)
            case let .failure(error):
                XCTAssertNil(kv, "\(key) reported failed, yet etcd holds it", file: file, line: line)
                checkFailure(error)
                failed += 1
            }
        }
        // The failure is set off by the first retried write: at least that one committed.
        XCTAssertGreaterThan(committed, 0, "no retried write committed", file: file, line: line)
        XCTAssertGreaterThan(failed, 0, "every write committed before the failure: the test did not meet its case", file: file, line: line)
        XCTAssertTrue(stopped, "the committer did not stop after a failed write", file: file, line: line)
        XCTAssertTrue(runFailed, "the committer's run() did not end with an error", file: file, line: line)
    }
}

/// What the test bodies need, without capturing the test case.
struct Fixture: Sendable {
    let etcd: EtcdClient
    let prefix: String

    func put(_ key: String, _ value: String, _ expectation: StoreWrite.Expectation = .absent) -> StoreWrite {
        StoreWrite(key: prefix + key, operation: .put(Array(value.utf8)), expectation: expectation)
    }
}
