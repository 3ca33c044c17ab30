import ClusterModel
import Foundation
import TitanClient
import TitanTestSupport
import XCTest

/// A client that reaches a standby is told, in one sentence, where the leader is.
final class StandbyTests: ClusterTestCase {
    func testAStandbyAnswersWithTheLeadersAddress() async throws {
        let cluster = self.cluster!
        try cluster.startMaster("m1")
        try await cluster.waitForLeader("m1")
        let leader = try await cluster.leader()
        let leaderAddress = try XCTUnwrap(leader?.address)
        try cluster.startMaster("m2")
        let standby = "127.0.0.1:\(try XCTUnwrap(cluster.port(ofMaster: "m2")))"
        let token = cluster.token
        let message = try await waitFor("m2 answers as a standby", timeout: .seconds(10)) { () -> String? in
            do {
                _ = try await TitanConnection.withConnection(to: standby, role: .client, nodeID: "test-client", token: token) {
                    try await $0.nodes()
                }
                return "a standby served a request"
            } catch let TitanClientError.notLeader(message) {
                return message
            } catch {
                return nil  // not listening yet
            }
        }
        XCTAssertTrue(message.contains("standby"), message)
        XCTAssertTrue(message.contains(leaderAddress), "the refusal names the leader's address: \(message)")
    }
}
