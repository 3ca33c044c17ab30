import ClusterModel
import Crypto

/// The credential check of the handshake (`Protocol/README.md`, § Handshake).
///
/// ```
/// server ── ServerHello(version, nonce) ─────────────────────────────▶ client/worker
/// server ◀── Hello(version, role, nodeID, mac) ───────────────────────
///            mac = HMAC-SHA256(key: token, message: nonce ‖ role byte ‖ nodeID UTF-8)
/// server ── Welcome(version, serverID)  or  Error(code) + close ─────▶
/// ```
///
/// The nonce makes every MAC single-use: a recorded `Hello` is worthless on another connection.
/// The token itself never crosses the wire.
public enum HandshakeAuth {
    /// Returns a fresh 32-byte nonce from the system's cryptographically secure generator.
    public static func makeNonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<WireLimits.nonceBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Returns the 32-byte `Hello` MAC: HMAC-SHA256 keyed with the cluster token's bytes over
    /// `nonce ‖ role.wireCode ‖ nodeID.rawValue.utf8`.
    ///
    /// No length prefix is needed: the nonce (32) and the role (1) have fixed sizes, so the node
    /// id is exactly the rest of the message.
    public static func mac(token: [UInt8], nonce: [UInt8], role: PeerRole, nodeID: NodeID) -> [UInt8] {
        let key = SymmetricKey(data: token)
        return Array(HMAC<SHA256>.authenticationCode(for: Self.message(nonce: nonce, role: role, nodeID: nodeID), using: key))
    }

    /// Whether `mac` is the MAC of `nonce`, `role` and `nodeID` under `token`, compared in
    /// constant time (the time taken does not depend on how many bytes match).
    public static func isValid(mac: [UInt8], token: [UInt8], nonce: [UInt8], role: PeerRole, nodeID: NodeID) -> Bool {
        let key = SymmetricKey(data: token)
        return HMAC<SHA256>.isValidAuthenticationCode(
            mac,
            authenticating: Self.message(nonce: nonce, role: role, nodeID: nodeID),
            using: key
        )
    }

    private static func message(nonce: [UInt8], role: PeerRole, nodeID: NodeID) -> [UInt8] {
        var message = nonce
        message.reserveCapacity(nonce.count + 1 + nodeID.rawValue.utf8.count)
        message.append(role.wireCode)
        message.append(contentsOf: nodeID.rawValue.utf8)
        return message
    }
}

/// The steps of the handshake, for both sides. Pure: the session handlers call them and send
/// what they return.
public enum Handshake {
    /// The server's first frame on a new connection, with a fresh nonce. Keep the nonce to check
    /// the answer.
    public static func serverHello(nonce: [UInt8] = HandshakeAuth.makeNonce()) -> ServerHello {
        ServerHello(version: WireLimits.protocolVersion, nonce: nonce)
    }

    /// The client's or worker's answer to `serverHello`.
    ///
    /// - Throws: `WireError.unsupportedVersion` if the server speaks another version (close the
    ///   connection: a client cannot talk to it), or `WireError.invalidValue` for a nonce that
    ///   is not 32 bytes.
    public static func hello(answering serverHello: ServerHello, role: PeerRole, nodeID: NodeID, token: [UInt8]) throws(WireError) -> Hello {
        guard serverHello.version == WireLimits.protocolVersion else {
            throw WireError.unsupportedVersion(serverHello.version)
        }
        guard serverHello.nonce.count == WireLimits.nonceBytes else {
            throw WireError.invalidValue(field: "ServerHello.nonce", detail: "\(serverHello.nonce.count) bytes instead of 32")
        }
        let mac = HandshakeAuth.mac(token: token, nonce: serverHello.nonce, role: role, nodeID: nodeID)
        return Hello(version: WireLimits.protocolVersion, role: role, nodeID: nodeID, mac: mac)
    }

    /// The server's check of a `Hello` against the nonce it sent. The version is checked first,
    /// so a peer of another version learns that, not a misleading credential failure.
    ///
    /// On error the server sends `Error(correlationID: 0, error:)` and closes the connection.
    ///
    /// - Throws: `WireError.unsupportedVersion` or `WireError.authenticationFailed`.
    public static func verify(_ hello: Hello, nonce: [UInt8], token: [UInt8]) throws(WireError) {
        guard hello.version == WireLimits.protocolVersion else {
            throw WireError.unsupportedVersion(hello.version)
        }
        guard HandshakeAuth.isValid(mac: hello.mac, token: token, nonce: nonce, role: hello.role, nodeID: hello.nodeID) else {
            throw WireError.authenticationFailed
        }
    }
}
