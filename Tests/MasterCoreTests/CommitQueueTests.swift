import EtcdClient
import Synchronization
import XCTest

@testable import MasterCore

/// The group committer's queue, event by event: no etcd, no locks, no sleeps.
final class CommitQueueTests: XCTestCase {

    /// Results told to waiters, by the name given to each waiter.
    private final class Told: Sendable {
        let results = Mutex<[String: [String]]>([:])

        func waiter(_ name: String) -> CommitQueue.Waiter {
            { result in
                let text: String
                switch result {
                case let .success(.committed(revision)): text = "committed \(revision)"
                case .success(.conflict): text = "conflict"
                case let .failure(error): text = "failed: \(error)"
                }
                self.results.withLock { $0[name, default: []].append(text) }
            }
        }

        subscript(_ name: String) -> [String] { results.withLock { $0[name] ?? [] } }
    }

    private func put(_ key: String, _ value: String = "v", expecting: StoreWrite.Expectation = .current) -> StoreWrite {
        StoreWrite(key: key, operation: .put(Array(value.utf8)), expectation: expecting)
    }

    private func tell(_ told: [(CommitQueue.Waiter, Result<StoreWriteResult, any Error>)]) {
        told.forEach { waiter, result in waiter(result) }
    }

    func testWritesToOneKeyCoalesceIntoItsFirstConditionWithTheLastValueAndEveryWaiterHearsOnce() {
        var queue = CommitQueue(maxQueued: 2, maxOpsPerTxn: 127)
        let told = Told()
        XCTAssertNil(queue.enqueue([(put("a", "1", expecting: .absent), told.waiter("first"))]))
        XCTAssertNil(queue.enqueue([(put("a", "2"), told.waiter("second"))]))
        XCTAssertFalse(queue.isFull, "one key queued")
        XCTAssertNil(queue.enqueue([(put("b"), told.waiter("b"))]))
        XCTAssertTrue(queue.isFull, "admission stops at maxQueued keys")

        let batch = queue.takeBatch()
        XCTAssertEqual(batch.map(\.write.key), ["a", "b"])
        XCTAssertEqual(batch[0].write.operation, .put(Array("2".utf8)))
        XCTAssertEqual(batch[0].write.expectation, .absent)
        XCTAssertFalse(queue.isFull)
        tell(queue.finish(batch[...], results: [.committed(revision: 7), .committed(revision: 7)]))
        XCTAssertEqual(told["first"], ["committed 7"])
        XCTAssertEqual(told["second"], ["committed 7"])
        XCTAssertEqual(queue.revisions["a"], 7)
    }

    func testABatchTakesTheOldestKeysNotInFlightAndLeavesTheRestInOrder() {
        var queue = CommitQueue(maxQueued: 100, maxOpsPerTxn: 2)
        let told = Told()
        for key in ["a", "b", "c"] { _ = queue.enqueue([(put(key), told.waiter(key))]) }
        XCTAssertTrue(queue.isReady)
        let first = queue.takeBatch()
        XCTAssertEqual(first.map(\.write.key), ["a", "b"])
        XCTAssertTrue(queue.isReady, "one key is takeable: a partial txn may go beside a full one")

        // "a" again while its txn is in flight: it waits, so that its condition sees that txn's revision.
        _ = queue.enqueue([(put("a", "again"), told.waiter("a2"))])
        _ = queue.enqueue([(put("d"), told.waiter("d"))])
        XCTAssertTrue(queue.hasTakeableWork)
        XCTAssertEqual(queue.takeBatch().map(\.write.key), ["c", "d"])
        XCTAssertFalse(queue.hasTakeableWork, "only the key in flight is left")
        XCTAssertEqual(queue.takeBatch().map(\.write.key), [])

        tell(queue.finish(first[...], results: [.committed(revision: 5), .conflict]))
        XCTAssertTrue(queue.isReady, "\"a\" is takeable again and no partial txn awaits its answer")
        XCTAssertTrue(queue.hasTakeableWork)
        let retry = queue.takeBatch()
        XCTAssertEqual(retry.map(\.write.key), ["a"])
        XCTAssertEqual(queue.conditions(for: retry), [.modRevision("a", .equal, 5)], "the condition is the revision the first txn produced")
        XCTAssertEqual(told["b"], ["conflict"])
    }

    func testConditionsFollowEachWritesExpectation() {
        var queue = CommitQueue(maxQueued: 100, maxOpsPerTxn: 127)
        queue.track("tracked", revision: 3)
        let told = Told()
        _ = queue.enqueue(
            [
                (put("new", expecting: .absent), told.waiter("1")),
                (put("exact", expecting: .modRevision(9)), told.waiter("2")),
                (put("tracked"), told.waiter("3")),
                (put("untracked"), told.waiter("4")),
            ])
        let batch = queue.takeBatch()
        XCTAssertEqual(
            queue.conditions(for: batch),
            [.keyMissing("new"), .modRevision("exact", .equal, 9), .modRevision("tracked", .equal, 3), .keyMissing("untracked")])
        tell(queue.finish(batch[...], results: Array(repeating: .committed(revision: 10), count: 4)))
        _ = queue.enqueue([(StoreWrite(key: "tracked", operation: .delete, expectation: .current), told.waiter("5"))])
        tell(queue.finish(queue.takeBatch()[...], results: [.committed(revision: 11)]))
        XCTAssertNil(queue.revisions["tracked"], "a deleted key is no longer tracked")
    }

    func testAPartialFailureReportsCommittedWritesAsSuchAndTheRestAsFailedAndFreesTheirKeys() {
        var queue = CommitQueue(maxQueued: 100, maxOpsPerTxn: 127)
        let told = Told()
        for key in ["a", "b", "c"] { _ = queue.enqueue([(put(key), told.waiter(key))]) }
        let batch = queue.takeBatch()
        tell(queue.finish(batch[..<1], results: [.committed(revision: 4)]))
        tell(queue.fail(batch[1...], with: StoreError.notLeader))
        XCTAssertEqual(told["a"], ["committed 4"])
        XCTAssertEqual(told["b"], ["failed: \(StoreError.notLeader)"])
        XCTAssertEqual(told["c"], ["failed: \(StoreError.notLeader)"])
        _ = queue.enqueue([(put("b"), told.waiter("b2"))])
        XCTAssertEqual(queue.takeBatch().map(\.write.key), ["b"], "a failed key is no longer in flight")
    }

    func testAStoppedQueueFailsWhatItHoldsAndEveryLaterWriteAndACancelledCommitCountsAsStopped() {
        var queue = CommitQueue(maxQueued: 100, maxOpsPerTxn: 127)
        let told = Told()
        _ = queue.enqueue([(put("a"), told.waiter("a"))])
        let inFlight = queue.takeBatch()
        _ = queue.enqueue([(put("b"), told.waiter("b"))])
        tell(queue.stop(with: .notLeader))
        tell(queue.stop(with: .stopped))
        XCTAssertEqual(told["b"], ["failed: \(StoreError.notLeader)"], "the first reason stays")
        XCTAssertEqual(queue.enqueue([(put("c"), told.waiter("c"))]), .notLeader)
        XCTAssertFalse(queue.hasTakeableWork)
        XCTAssertFalse(queue.isReady)
        tell(queue.fail(inFlight[...], with: CancellationError()))
        XCTAssertEqual(told["a"], ["failed: \(StoreError.stopped)"])
    }

    /// When a lane commits: at once on an idle store; while a txn is in flight, only a full txn's
    /// worth (writes gather meanwhile); as soon as the txn in flight lands, whatever gathered.
    func testABatchIsReadyWhenIdleOrFullAndWritesGatherWhileATxnIsInFlight() {
        var queue = CommitQueue(maxQueued: 100, maxOpsPerTxn: 3)
        let told = Told()
        XCTAssertFalse(queue.isReady, "nothing queued")
        _ = queue.enqueue([(put("a"), told.waiter("a"))])
        XCTAssertTrue(queue.isReady, "an idle store commits a single write at once")
        let first = queue.takeBatch()
        _ = queue.enqueue([(put("b"), told.waiter("b")), (put("c"), told.waiter("c"))])
        XCTAssertFalse(queue.isReady, "two writes gather while the first txn is in flight")
        _ = queue.enqueue([(put("a", "again"), told.waiter("a2"))])
        XCTAssertFalse(queue.isReady, "a write to the key in flight is not takeable yet")
        _ = queue.enqueue([(put("d"), told.waiter("d"))])
        XCTAssertTrue(queue.isReady, "a full txn's worth goes beside the one in flight")
        XCTAssertEqual(queue.takeBatch().map(\.write.key), ["b", "c", "d"])
        XCTAssertFalse(queue.hasTakeableWork)
        queue.txnAnswered(first)
        tell(queue.finish(first[...], results: [.committed(revision: 2)]))
        XCTAssertTrue(queue.hasTakeableWork, "the write to \"a\" is takeable once its key lands")
        XCTAssertTrue(queue.isReady, "the partial txn answered: the next one goes beside the full one in flight")
    }

    /// A partial batch whose txn failed its compares goes write by write, its keys still in
    /// flight: it no longer holds other writes back.
    func testAPartialBatchGoingWriteByWriteDoesNotHoldTheNextOneBack() {
        var queue = CommitQueue(maxQueued: 100, maxOpsPerTxn: 127)
        let told = Told()
        _ = queue.enqueue([(put("a"), told.waiter("a")), (put("b"), told.waiter("b"))])
        let slow = queue.takeBatch()
        _ = queue.enqueue([(put("c"), told.waiter("c"))])
        XCTAssertFalse(queue.isReady, "waits for the partial txn's answer")
        queue.txnAnswered(slow)
        XCTAssertTrue(queue.isReady, "its writes now go one by one; \"c\" need not wait for all of them")
        XCTAssertEqual(queue.takeBatch().map(\.write.key), ["c"])
        tell(queue.finish(slow[...], results: [.committed(revision: 3), .conflict]))
        XCTAssertEqual(told["b"], ["conflict"])
    }
}
