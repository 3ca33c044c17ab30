import EtcdClient
import XCTest

final class KVTests: EtcdTestCase {
    func testPutThenGet() async throws {
        let put = try await client.put(key: key("a"), value: "hello")
        XCTAssertGreaterThan(put.header.revision, 0)
        let kv = try await client.get(key("a"))
        XCTAssertEqual(kv?.valueString, "hello")
        XCTAssertEqual(kv?.keyString, key("a"))
        XCTAssertEqual(kv?.version, 1)
        XCTAssertEqual(kv?.createRevision, put.header.revision)
        XCTAssertEqual(kv?.modRevision, put.header.revision)
        XCTAssertEqual(kv?.lease, 0)
        let missing = try await client.get(key("nope"))
        XCTAssertNil(missing)
    }

    func testPutReturnsPreviousValueAndBinaryBytesRoundTrip() async throws {
        let bytes: [UInt8] = [0, 1, 0xff, 0x0a, 0x7b]
        try await client.put(key: key("bin"), value: bytes)
        let second = try await client.put(key: key("bin"), value: "two", prevKV: true)
        XCTAssertEqual(second.prevKV?.value, bytes)
        XCTAssertEqual(second.prevKV?.version, 1)
        let kv = try await client.get(key("bin"))
        XCTAssertEqual(kv?.valueString, "two")
        XCTAssertEqual(kv?.version, 2)
    }

    func testRangeWithPrefixLimitKeysOnlyCountOnlyAndSort() async throws {
        for name in ["a", "b", "c", "d"] {
            try await client.put(key: key("jobs/\(name)"), value: "v\(name)")
        }
        try await client.put(key: key("jobs0"), value: "outside the prefix")

        let all = try await client.range(prefix: key("jobs/"))
        XCTAssertEqual(all.kvs.map(\.keyString), ["a", "b", "c", "d"].map { key("jobs/\($0)") })
        XCTAssertEqual(all.count, 4)
        XCTAssertFalse(all.more)

        let limited = try await client.range(prefix: key("jobs/"), limit: 2, sortOrder: .descend, sortTarget: .key)
        XCTAssertEqual(limited.kvs.map(\.keyString), [key("jobs/d"), key("jobs/c")])
        XCTAssertTrue(limited.more)
        XCTAssertEqual(limited.count, 4)

        let keysOnly = try await client.range(prefix: key("jobs/"), keysOnly: true)
        XCTAssertEqual(keysOnly.kvs.count, 4)
        XCTAssertTrue(keysOnly.kvs.allSatisfy { $0.value.isEmpty })

        let countOnly = try await client.range(prefix: key("jobs/"), countOnly: true)
        XCTAssertEqual(countOnly.count, 4)
        XCTAssertTrue(countOnly.kvs.isEmpty)

        let explicit = try await client.range(key: key("jobs/b"), rangeEnd: key("jobs/d"))
        XCTAssertEqual(explicit.kvs.map(\.keyString), [key("jobs/b"), key("jobs/c")])
    }

    func testForEachPageReadsEveryKeyOfThePrefixInOrder() async throws {
        for index in 0..<25 {
            try await client.put(key: key("paged/\(String(format: "%02d", index))"), value: "v\(index)")
        }
        try await client.put(key: key("paged0"), value: "outside the prefix")
        var pages: [Int] = []
        var values: [String] = []
        try await client.forEachPage(prefix: key("paged/"), pageSize: 7) { page in
            pages.append(page.kvs.count)
            values += page.kvs.map { String(decoding: $0.value, as: UTF8.self) }
        }
        XCTAssertEqual(pages, [7, 7, 7, 4])
        XCTAssertEqual(values, (0..<25).map { "v\($0)" })
    }

    func testRangeAtAnOlderRevisionSeesTheOldValue() async throws {
        let first = try await client.put(key: key("r"), value: "old")
        try await client.put(key: key("r"), value: "new")
        let past = try await client.range(key: key("r"), revision: first.header.revision)
        XCTAssertEqual(past.kvs.first?.valueString, "old")
        let now = try await client.range(key: key("r"))
        XCTAssertEqual(now.kvs.first?.valueString, "new")
        XCTAssertGreaterThan(now.header.revision, first.header.revision)
    }

    func testRangeAtAFutureRevisionIsATypedError() async throws {
        let now = try await client.range(key: key("x")).header.revision
        await assertThrowsEtcdError(try await self.client.range(key: self.key("x"), revision: now + 1000)) {
            $0 == .futureRevision(requestedRevision: now + 1000)
        }
    }

    func testDeleteRangeReportsCountAndPreviousValues() async throws {
        try await client.put(key: key("d/1"), value: "one")
        try await client.put(key: key("d/2"), value: "two")
        try await client.put(key: key("keep"), value: "k")
        let single = try await client.deleteRange(key: key("d/1"), prevKV: true)
        XCTAssertEqual(single.deleted, 1)
        XCTAssertEqual(single.prevKVs.map(\.valueString), ["one"])
        let nothing = try await client.deleteRange(key: key("d/1"))
        XCTAssertEqual(nothing.deleted, 0)
        let byPrefix = try await client.deleteRange(prefix: key("d/"))
        XCTAssertEqual(byPrefix.deleted, 1)
        let left = try await client.range(prefix: prefix)
        XCTAssertEqual(left.kvs.map(\.keyString), [key("keep")])
    }

    func testEmptyKeyIsInvalidArgument() async throws {
        await assertThrowsEtcdError(try await self.client.put(key: "", value: "x")) {
            if case let .invalidArgument(message) = $0 { return message.contains("key is not provided") }
            return false
        }
    }

    func testRequestTooLargeIsATypedError() async throws {
        let big = [UInt8](repeating: 0x61, count: 1_600_000)
        await assertThrowsEtcdError(try await self.client.put(key: self.key("big"), value: big)) {
            if case let .requestTooLarge(bytes, _) = $0 { return bytes > 1_600_000 }
            return false
        }
        let huge = [UInt8](repeating: 0x61, count: 2_200_000)
        await assertThrowsEtcdError(try await self.client.put(key: self.key("huge"), value: huge)) {
            if case .requestTooLarge = $0 { return true }
            return false
        }
    }

    func testStatusReportsVersionAndDatabaseSize() async throws {
        let status = try await client.status()
        XCTAssertTrue(status.version.hasPrefix("3."), status.version)
        XCTAssertGreaterThan(status.dbSize, 0)
        XCTAssertGreaterThan(status.header.revision, 0)
        XCTAssertNotEqual(status.leader, 0)
    }

    func testManyConcurrentCallsShareOneClient() async throws {
        let client = try XCTUnwrap(self.client)
        let keys = (0..<200).map { key("par/\($0)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in keys {
                group.addTask { try await client.put(key: name, value: name) }
            }
            try await group.waitForAll()
        }
        let all = try await client.range(prefix: key("par/"))
        XCTAssertEqual(all.count, 200)
        XCTAssertTrue(all.kvs.allSatisfy { $0.keyString == $0.valueString })
    }

    func testPrefixEnd() {
        XCTAssertEqual(prefixEnd("/titan/v1/jobs/"), Array("/titan/v1/jobs0".utf8))
        XCTAssertEqual(prefixEnd([0x61, 0xff] as [UInt8]), [0x62])
        XCTAssertEqual(prefixEnd([0xff, 0xff] as [UInt8]), [0])
        XCTAssertEqual(prefixEnd(""), [0])
    }
}
