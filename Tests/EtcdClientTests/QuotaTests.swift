import EtcdClient
import TitanTestSupport
import XCTest

/// Runs its own etcd with a tiny backend quota.
final class QuotaTests: XCTestCase {
    func testAFullDatabaseIsQuotaExceededWhileReadsAndDeletesStillWork() async throws {
        let etcd = try LocalEtcd(extraArguments: ["--quota-backend-bytes", "262144"])
        try await etcd.start()
        defer { etcd.stop() }
        let client = EtcdClient(endpoints: [etcd.endpoint])
        defer { client.shutdown() }

        let value = [UInt8](repeating: 0x71, count: 100_000)
        var refused: EtcdError?
        for index in 0..<40 {
            do {
                try await client.put(key: "/q/\(index)", value: value)
            } catch let error as EtcdError {
                refused = error
                break
            }
        }
        XCTAssertEqual(refused, .quotaExceeded)
        let count = try await client.range(prefix: "/q/", countOnly: true).count
        XCTAssertGreaterThan(count, 0)
        let deleted = try await client.deleteRange(prefix: "/q/")
        XCTAssertEqual(deleted.deleted, count)
    }
}
