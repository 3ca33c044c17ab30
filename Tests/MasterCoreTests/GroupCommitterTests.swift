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
}

/// What the test bodies need, without capturing the test case.
struct Fixture: Sendable {
    let etcd: EtcdClient
    let prefix: String

    func put(_ key: String, _ value: String, _ expectation: StoreWrite.Expectation = .absent) -> StoreWrite {
        StoreWrite(key: prefix + key, operation: .put(Array(value.utf8)), expectation: expectation)
    }
}
