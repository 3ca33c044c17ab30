import EtcdClient
import XCTest

final class TxnTests: EtcdTestCase {
    func testCreateIfAbsentWinsThenLoses() async throws {
        let lock = key("lock")
        let create = Txn()
            .when(.keyMissing(lock))
            .then(.put(key: lock, value: "owner1"))
            .orElse(.range(key: lock))
        let won = try await client.txn(create)
        XCTAssertTrue(won.succeeded)
        XCTAssertEqual(won.responses.count, 1)
        XCTAssertNotNil(won.responses.first?.putResponse)

        // The gateway leaves "succeeded" out of a lost txn: it must read as false.
        let lost = try await client.txn(create)
        XCTAssertFalse(lost.succeeded)
        let holder = try XCTUnwrap(lost.responses.first?.rangeResponse)
        XCTAssertEqual(holder.kvs.first?.valueString, "owner1")
        XCTAssertEqual(holder.kvs.first?.modRevision, won.header.revision)

        // With no failure ops a lost txn is just a header.
        let bare = try await client.txn(Txn().when(.keyMissing(lock)).then(.put(key: lock, value: "owner2")))
        XCTAssertFalse(bare.succeeded)
        XCTAssertTrue(bare.responses.isEmpty)
    }

    func testTxnOutcomeReportsApplicationAndRevisionOnly() async throws {
        let keys = (0..<100).map { key("batch-\($0)") }
        let txn = Txn(compares: keys.map { .keyMissing($0) }, success: keys.map { .put(key: $0, value: "v") })
        let applied = try await client.txnOutcome(txn)
        XCTAssertTrue(applied.succeeded)
        let stored = try await client.get(keys[99])
        XCTAssertEqual(stored?.modRevision, applied.header.revision, "every op wrote at the outcome's revision")
        // The same compares now fail; the absent "succeeded" reads as false.
        let refused = try await client.txnOutcome(txn)
        XCTAssertFalse(refused.succeeded)
        XCTAssertGreaterThanOrEqual(refused.header.revision, applied.header.revision)
        do {
            _ = try await client.txnOutcome(Txn(success: (0..<129).map { .put(key: key("x\($0)"), value: "v") }))
            XCTFail("a txn over etcd's op limit was sent")
        } catch EtcdError.tooManyOps(let count, _) {
            XCTAssertEqual(count, 129)
        }
    }

    func testCompareAndSwapOnModRevision() async throws {
        let job = key("job")
        let first = try await client.put(key: job, value: "pending")
        let swap = Txn()
            .when(.modRevision(job, .equal, first.header.revision))
            .then(.put(key: job, value: "scheduled", prevKV: true))
        let swapped = try await client.txn(swap)
        XCTAssertTrue(swapped.succeeded)
        XCTAssertEqual(swapped.responses.first?.putResponse?.prevKV?.valueString, "pending")
        XCTAssertGreaterThan(swapped.header.revision, first.header.revision)

        // The same compare is now stale: nothing is written.
        let stale = try await client.txn(swap)
        XCTAssertFalse(stale.succeeded)
        let value = try await client.get(job)
        XCTAssertEqual(value?.valueString, "scheduled")
    }

    func testEveryCompareTargetAndResult() async throws {
        let k = key("k")
        try await client.put(key: k, value: "b")
        try await client.put(key: k, value: "b")
        let holds = Txn().when(
            .version(k, .equal, 2),
            .version(k, .greater, 1),
            .value(k, .equal, "b"),
            .value(k, .less, "c"),
            .value(k, .notEqual, "a"),
            .createRevision(k, .greater, 0),
            .modRevision(k, .less, Int64.max),
            .lease(k, .equal, 0),
            .keyExists(k)
        ).then(.delete(key: k, prevKV: true))
        let response = try await client.txn(holds)
        XCTAssertTrue(response.succeeded)
        XCTAssertEqual(response.responses.first?.deleteRangeResponse?.deleted, 1)
        XCTAssertEqual(response.responses.first?.deleteRangeResponse?.prevKVs.first?.valueString, "b")
    }

    func testAllOpsOfOneTxnShareOneRevision() async throws {
        let ops = (0..<100).map { TxnOp.put(key: key("batch/\($0)"), value: "v\($0)") }
        let response = try await client.txn(Txn().then(ops))
        XCTAssertTrue(response.succeeded)
        XCTAssertEqual(response.responses.count, 100)
        let all = try await client.range(prefix: key("batch/"))
        XCTAssertEqual(all.count, 100)
        XCTAssertEqual(Set(all.kvs.map(\.modRevision)), [response.header.revision])
    }

    func testMoreThan128OpsIsRefusedBeforeSending() async throws {
        let ops = (0..<129).map { TxnOp.put(key: key("many/\($0)"), value: "v") }
        await assertThrowsEtcdError(try await self.client.txn(Txn().then(ops))) {
            $0 == .tooManyOps(count: 129, limit: 128)
        }
        let written = try await client.range(prefix: key("many/"), countOnly: true)
        XCTAssertEqual(written.count, 0)
        let exactly128 = (0..<128).map { TxnOp.put(key: key("many/\($0)"), value: "v") }
        let response = try await client.txn(Txn().then(exactly128))
        XCTAssertTrue(response.succeeded)
    }

    func testDuplicateKeyInTxnIsInvalidArgument() async throws {
        let txn = Txn().then(.put(key: key("dup"), value: "1"), .put(key: key("dup"), value: "2"))
        await assertThrowsEtcdError(try await self.client.txn(txn)) {
            if case let .invalidArgument(message) = $0 { return message.contains("duplicate key") }
            return false
        }
    }
}
