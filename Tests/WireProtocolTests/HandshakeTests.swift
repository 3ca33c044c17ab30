import ClusterModel
import XCTest

@testable import WireProtocol

final class HandshakeTests: XCTestCase {
    private let token = VectorCatalog.token
    private let nonce = VectorCatalog.nonce

    func testMACKnownAnswer() {
        // python3: hmac.new(b'titan-test-token', bytes(range(32)) + b'\x02' + b'worker-1', 'sha256')
        let mac = HandshakeAuth.mac(token: self.token, nonce: self.nonce, role: .worker, nodeID: "worker-1")
        XCTAssertEqual(
            mac.map { String(format: "%02x", $0) }.joined(),
            "87bcac1fec2c4367fd683b73026c9db3612cb413f27b2e7099ab40ac87e5b448"
        )
    }

    func testFullHandshakeAccepts() throws {
        let serverHello = Handshake.serverHello()
        XCTAssertEqual(serverHello.nonce.count, 32)
        XCTAssertEqual(serverHello.version, 1)
        let hello = try Handshake.hello(answering: serverHello, role: .client, nodeID: "titan-cli@host", token: self.token)
        XCTAssertNoThrow(try Handshake.verify(hello, nonce: serverHello.nonce, token: self.token))
    }

    func testEveryCoveredInputChangesTheMAC() throws {
        let hello = try Handshake.hello(answering: ServerHello(nonce: self.nonce), role: .worker, nodeID: "worker-1", token: self.token)
        func rejects(_ hello: Hello, nonce: [UInt8]? = nil, token: [UInt8]? = nil, _ why: String) {
            XCTAssertThrowsError(try Handshake.verify(hello, nonce: nonce ?? self.nonce, token: token ?? self.token), why) { error in
                XCTAssertEqual(error as? WireError, .authenticationFailed, why)
            }
        }
        rejects(hello, token: Array("titan-test-tokem".utf8), "another token")
        rejects(hello, token: [], "an empty token")
        rejects(hello, nonce: self.nonce.reversed(), "another nonce (a replayed Hello)")
        var asClient = hello
        asClient.role = .client
        rejects(asClient, "the role is covered")
        var otherNode = hello
        otherNode.nodeID = "worker-2"
        rejects(otherNode, "the node id is covered")
        for index in [0, 15, 31] {
            var flipped = hello
            flipped.mac[index] ^= 0x01
            rejects(flipped, "bit flipped in MAC byte \(index)")
        }
        var short = hello
        short.mac.removeLast()
        rejects(short, "a truncated MAC")
    }

    func testVersionIsCheckedBeforeTheMAC() throws {
        var hello = try Handshake.hello(answering: ServerHello(nonce: self.nonce), role: .worker, nodeID: "worker-1", token: self.token)
        hello.version = 2
        hello.mac = Array(repeating: 0, count: 32)
        XCTAssertThrowsError(try Handshake.verify(hello, nonce: self.nonce, token: self.token)) { error in
            XCTAssertEqual(error as? WireError, .unsupportedVersion(2))
            XCTAssertEqual((error as? WireError)?.code, .unsupportedVersion)
        }
    }

    func testClientRefusesAnotherServerVersion() {
        XCTAssertThrowsError(
            try Handshake.hello(answering: ServerHello(version: 2, nonce: self.nonce), role: .client, nodeID: "c", token: self.token)
        ) { error in
            XCTAssertEqual(error as? WireError, .unsupportedVersion(2))
        }
        XCTAssertThrowsError(
            try Handshake.hello(answering: ServerHello(version: 1, nonce: [1]), role: .client, nodeID: "c", token: self.token)
        ) { error in
            XCTAssertEqual((error as? WireError)?.kind, "invalidValue")
        }
    }

    func testNoncesAreFresh() {
        let nonces = Set((0..<64).map { _ in HandshakeAuth.makeNonce() })
        XCTAssertEqual(nonces.count, 64)
        XCTAssertTrue(nonces.allSatisfy { $0.count == WireLimits.nonceBytes })
    }
}
