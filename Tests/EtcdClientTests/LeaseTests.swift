import EtcdClient
import XCTest

final class LeaseTests: EtcdTestCase {
    func testGrantParsesLargeIDsExactlyAndPutUnderLease() async throws {
        let lease = try await client.grantLease(ttl: 30)
        XCTAssertNotEqual(lease.id, 0)
        XCTAssertEqual(lease.ttl, 30)
        try await client.put(key: key("leased"), value: "v", lease: lease.id)
        let kv = try await client.get(key("leased"))
        // Lease IDs are above 2^53; a trip through Double would change them.
        XCTAssertEqual(kv?.lease, lease.id)
        let info = try await client.leaseTimeToLive(id: lease.id, keys: true)
        XCTAssertEqual(info.id, lease.id)
        XCTAssertEqual(info.grantedTTL, 30)
        XCTAssertGreaterThan(info.ttl, 0)
        XCTAssertEqual(info.keys, [Array(key("leased").utf8)])
        try await client.revokeLease(id: lease.id)
    }

    func testKeysVanishAfterExpiry() async throws {
        let lease = try await client.grantLease(ttl: 2)
        try await client.put(key: key("ephemeral"), value: "v", lease: lease.id)
        let present = try await client.get(key("ephemeral"))
        XCTAssertNotNil(present)
        // etcd deletes the keys about 2 s after a TTL-2 grant; allow for a slow machine.
        let deadline = ContinuousClock.now + .seconds(8)
        while try await client.get(key("ephemeral")) != nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        let gone = try await client.get(key("ephemeral"))
        XCTAssertNil(gone)
        let info = try await client.leaseTimeToLive(id: lease.id)
        XCTAssertTrue(info.isExpired)
        let ttl = try await client.keepAliveOnce(id: lease.id)
        XCTAssertEqual(ttl, 0, "a keep-alive of an expired lease reports no TTL")
    }

    func testKeepAliveKeepsTheLeaseAliveUntilCancelled() async throws {
        let lease = try await client.grantLease(ttl: 2)
        try await client.put(key: key("kept"), value: "v", lease: lease.id)
        let client = try XCTUnwrap(self.client)
        let keeper = Task {
            try await client.keepAlive(id: lease.id)
        }
        try await Task.sleep(for: .milliseconds(3500))
        let kept = try await client.get(key("kept"))
        XCTAssertEqual(kept?.valueString, "v", "the lease expired although it was kept alive")
        let once = try await client.keepAliveOnce(id: lease.id)
        XCTAssertGreaterThan(once, 0)
        keeper.cancel()
        let outcome = await keeper.result
        XCTAssertThrowsError(try outcome.get()) { XCTAssertTrue($0 is CancellationError, "\($0)") }
        try await client.revokeLease(id: lease.id)
    }

    func testRevokeDeletesKeysAndKeepAliveReportsLeaseLost() async throws {
        let lease = try await client.grantLease(ttl: 30)
        try await client.put(key: key("revoked"), value: "v", lease: lease.id)
        let client = try XCTUnwrap(self.client)
        let keeper = Task {
            try await client.keepAlive(id: lease.id, interval: .milliseconds(100))
        }
        try await Task.sleep(for: .milliseconds(250))
        try await client.revokeLease(id: lease.id)
        let gone = try await client.get(key("revoked"))
        XCTAssertNil(gone)
        let outcome = await keeper.result
        XCTAssertThrowsError(try outcome.get()) {
            XCTAssertEqual($0 as? EtcdError, .leaseLost(id: lease.id))
        }
        await assertThrowsEtcdError(try await client.revokeLease(id: lease.id)) {
            $0 == .leaseNotFound(id: lease.id)
        }
        await assertThrowsEtcdError(try await client.put(key: self.key("late"), value: "v", lease: lease.id)) {
            $0 == .leaseNotFound(id: lease.id)
        }
    }
}
