import Foundation
import Glibc
import TitanClient
import TitanTestSupport
import XCTest

/// A peer that accepts the TCP connection but never speaks does not hold a client for ever.
final class HandshakeTimeoutTests: XCTestCase {
    func testASilentServerFailsTheHandshakeAfterTheTimeout() async throws {
        // A listening socket nobody serves: the kernel completes TCP connections into its backlog.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(listener, 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        XCTAssertEqual(bound, 0)
        XCTAssertEqual(listen(listener, 8), 0)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))

        let started = ContinuousClock.now
        do {
            // The client's own timeout is under test; the deadline only keeps a broken one from hanging the suite.
            _ = try await withDeadline(.seconds(60), waitingFor: "the handshake with a silent server to give up") {
                try await TitanConnection.withConnection(to: "127.0.0.1:\(port)", role: .client, nodeID: "silent-test", token: Array("0123456789abcdef".utf8)) { _ in true }
            }
            XCTFail("a handshake with a silent server succeeded")
        } catch {
            let waited = ContinuousClock.now - started
            XCTAssertGreaterThanOrEqual(waited, .seconds(TitanConnection.handshakeTimeoutSeconds - 1))
            XCTAssertLessThan(waited, .seconds(TitanConnection.handshakeTimeoutSeconds + 5), "the client gave up \(waited) after connecting")
        }
    }
}
