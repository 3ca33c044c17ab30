import EtcdClient
import TitanTestSupport
import XCTest

final class ElectionTests: EtcdTestCase {
    func testTheSecondCandidateLeadsOnceTheFirstResigns() async throws {
        let election = Election(client: client, key: key("leader"))
        let first = try await client.grantLease(ttl: 30)
        let second = try await client.grantLease(ttl: 30)

        let leading = try await election.campaign(value: "master-1", lease: first.id)
        let current = try await election.leader()
        XCTAssertEqual(current?.valueString, "master-1")
        XCTAssertEqual(current?.lease, first.id)
        let again = try await election.campaign(value: "master-1", lease: first.id)
        XCTAssertEqual(again, leading, "a campaign under the lease that holds the key has won already")

        let waiting = Task { try await election.campaign(value: "master-2", lease: second.id) }
        try await Task.sleep(for: .milliseconds(300))
        let stillFirst = try await election.leader()
        XCTAssertEqual(stillFirst?.valueString, "master-1", "the second candidate must wait")

        let resigned = try await election.resign(leading)
        XCTAssertTrue(resigned)
        let next = try await withDeadline(.seconds(10), waitingFor: "the second candidate to lead after the first resigned") {
            try await waiting.value
        }
        XCTAssertGreaterThan(next.createRevision, leading.createRevision)
        let now = try await election.leader()
        XCTAssertEqual(now?.valueString, "master-2")

        // The old leadership can no longer write or resign.
        let stale = try await election.proclaim(value: "master-1 again", as: leading)
        XCTAssertFalse(stale)
        let staleResign = try await election.resign(leading)
        XCTAssertFalse(staleResign)
        let proclaimed = try await election.proclaim(value: "master-2 at 127.0.0.1:7000", as: next)
        XCTAssertTrue(proclaimed)
        try await client.revokeLease(id: first.id)
        try await client.revokeLease(id: second.id)
    }

    func testALeaderWhoseLeaseEndsIsReplaced() async throws {
        let election = Election(client: client, key: key("leader"))
        let short = try await client.grantLease(ttl: 2)
        let long = try await client.grantLease(ttl: 30)
        _ = try await election.campaign(value: "doomed", lease: short.id)
        let successor = try await election.campaign(value: "successor", lease: long.id)
        XCTAssertEqual(successor.lease, long.id)
        let now = try await election.leader()
        XCTAssertEqual(now?.valueString, "successor")
        try await client.revokeLease(id: long.id)
    }
}
