import EtcdClient
import TitanTestSupport
import XCTest

final class WatchTests: EtcdTestCase {
    func testWatchSeesPutAndDeleteWithPrevKV() async throws {
        let created = try await client.put(key: key("w/a"), value: "one")
        let watch = client.watch(prefix: key("w/"), startRevision: created.header.revision + 1, prevKV: true)
        let update = try await client.put(key: key("w/a"), value: "two")
        let delete = try await client.deleteRange(key: key("w/a"))
        let events = try await collectEvents(watch, count: 2)
        XCTAssertEqual(events.map(\.kind), [.put, .delete])
        XCTAssertEqual(events[0].kv.valueString, "two")
        XCTAssertEqual(events[0].kv.version, 2)
        XCTAssertEqual(events[0].kv.modRevision, update.header.revision)
        XCTAssertEqual(events[0].prevKV?.valueString, "one")
        XCTAssertEqual(events[1].kv.keyString, key("w/a"))
        XCTAssertEqual(events[1].kv.modRevision, delete.header.revision)
        XCTAssertEqual(events[1].prevKV?.valueString, "two")
    }

    func testWatchFromAStartRevisionReplaysHistoryInOrder() async throws {
        let first = try await client.put(key: key("h/1"), value: "a")
        try await client.put(key: key("h/2"), value: "b")
        _ = try await client.txn(Txn().then(.put(key: key("h/3"), value: "c"), .delete(key: key("h/1"))))
        let events = try await collectEvents(client.watch(prefix: key("h/"), startRevision: first.header.revision), count: 4)
        XCTAssertEqual(events.map(\.kv.keyString), ["h/1", "h/2", "h/3", "h/1"].map(key))
        XCTAssertEqual(events.map(\.kind), [.put, .put, .put, .delete])
        XCTAssertEqual(events[2].kv.modRevision, events[3].kv.modRevision, "one txn, one revision")
    }

    func testWatchFromNowSeesOnlyLaterChanges() async throws {
        try await client.put(key: key("n/before"), value: "x")
        let watch = client.watch(key: key("n/"), rangeEnd: prefixEnd(key("n/")))
        let client = try XCTUnwrap(self.client)
        let after = key("n/after")
        let writer = Task {
            // Give the watch time to be created; a put before that would be missed by design.
            try await Task.sleep(for: .milliseconds(500))
            try await client.put(key: after, value: "y")
        }
        let events = try await collectEvents(watch, count: 1)
        try await withDeadline(.seconds(10), waitingFor: "the writer's put") { try await writer.value }
        XCTAssertEqual(events.map(\.kv.keyString), [key("n/after")])
    }

    func testLeaseExpiryIsADeleteEventWhosePrevKVNamesTheLease() async throws {
        let lease = try await client.grantLease(ttl: 2)
        let put = try await client.put(key: key("node"), value: "alive", lease: lease.id)
        let watch = client.watch(key: key("node"), startRevision: put.header.revision + 1, prevKV: true)
        let events = try await collectEvents(watch, count: 1, timeout: .seconds(10))
        XCTAssertEqual(events.first?.kind, .delete)
        XCTAssertEqual(events.first?.prevKV?.lease, lease.id)
        XCTAssertEqual(events.first?.prevKV?.valueString, "alive")
    }

    func testCompactedStartRevisionIsATypedError() async throws {
        let first = try await client.put(key: key("c"), value: "1")
        try await client.put(key: key("c"), value: "2")
        let last = try await client.put(key: key("c"), value: "3")
        try await client.compact(revision: last.header.revision, physical: true)
        let watch = client.watch(key: key("c"), startRevision: first.header.revision)
        do {
            _ = try await collectEvents(watch, count: 1)
            XCTFail("a watch from a compacted revision delivered events")
        } catch let error as EtcdError {
            XCTAssertEqual(error, .compacted(requestedRevision: first.header.revision, compactRevision: last.header.revision))
        }
        await assertThrowsEtcdError(try await self.client.range(key: self.key("c"), revision: first.header.revision)) {
            $0 == .compacted(requestedRevision: first.header.revision, compactRevision: nil)
        }
        await assertThrowsEtcdError(try await self.client.compact(revision: first.header.revision)) {
            if case .compacted = $0 { return true }
            return false
        }
    }

    func testAMessageLongerThanTheBoundIsAnError() async throws {
        let put = try await client.put(key: key("big"), value: [UInt8](repeating: 0x41, count: 4096))
        let watch = client.watch(
            WatchRequest(key: key("big"), startRevision: put.header.revision), maxMessageBytes: 1024)
        do {
            _ = try await collectEvents(watch, count: 1)
            XCTFail("an oversize watch message was accepted")
        } catch let error as EtcdError {
            XCTAssertEqual(error, .watchMessageTooLarge(limit: 1024))
        }
    }

    func testCancellingTheConsumerEndsTheWatch() async throws {
        let watch = client.watch(prefix: key("quiet/"))
        let consumer = Task {
            for try await _ in watch {}
        }
        try await Task.sleep(for: .milliseconds(200))
        consumer.cancel()
        let outcome = try await withDeadline(.seconds(10), waitingFor: "the cancelled watch consumer to end") { await consumer.result }
        XCTAssertThrowsError(try outcome.get()) { XCTAssertTrue($0 is CancellationError, "\($0)") }
    }
}
