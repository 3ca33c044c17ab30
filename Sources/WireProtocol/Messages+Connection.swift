import ClusterModel
import NIOCore

/// The payload of one message type: how it is written and read.
protocol WirePayload: Hashable, Sendable {
    /// Appends the payload's fields.
    func encode(into buffer: inout ByteBuffer) throws(WireError)
    /// Reads the payload's fields; trailing bytes are left unread.
    init(from reader: inout WireReader) throws(WireError)
}

/// `Error` (0x0001): a refused request or a protocol violation.
///
/// Its layout is frozen for every protocol version, so that a peer of any version can read why
/// it is being disconnected.
public struct ErrorMessage: Hashable, Sendable, WirePayload {
    /// The correlation id of the request refused, or 0 if the error answers no request.
    public var correlationID: UInt64
    /// What went wrong.
    public var code: WireErrorCode
    /// One sentence for a person (for `notLeader`: the leader's `host:port`, or empty).
    public var message: String

    /// Creates an error message.
    public init(correlationID: UInt64, code: WireErrorCode, message: String) {
        self.correlationID = correlationID
        self.code = code
        self.message = message
    }

    /// The message a receiver sends back for `error`, truncating nothing: every `WireError`
    /// description is far below the 4096-byte limit.
    public init(correlationID: UInt64, error: WireError) {
        self.init(correlationID: correlationID, code: error.code, message: error.description)
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
        buffer.writeInteger(self.code.rawValue)
        try buffer.writeWireString(self.message, field: "Error.message", limit: WireLimits.maxErrorMessageBytes)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("Error.correlationID")
        self.code = WireErrorCode(rawValue: try reader.readInteger("Error.code"))
        reader.annotateLastTraceEntry(self.code.name)
        self.message = try reader.readString("Error.message", limit: WireLimits.maxErrorMessageBytes)
    }
}

/// `ServerHello` (0x0002): the first frame of every connection, sent by the server.
///
/// Its layout (version, then nonce) is frozen for every protocol version.
public struct ServerHello: Hashable, Sendable, WirePayload {
    /// The protocol version the server speaks.
    public var version: UInt16
    /// 32 random bytes, fresh for this connection; the client's `Hello` MAC covers them.
    public var nonce: [UInt8]

    /// Creates a server hello.
    public init(version: UInt16 = WireLimits.protocolVersion, nonce: [UInt8]) {
        self.version = version
        self.nonce = nonce
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.version)
        try buffer.writeWireFixedBytes(self.nonce, field: "ServerHello.nonce", count: WireLimits.nonceBytes)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.version = try reader.readInteger("ServerHello.version")
        self.nonce = try reader.readFixedBytes("ServerHello.nonce", count: WireLimits.nonceBytes)
    }
}

/// `Hello` (0x0003): the client's or worker's answer to `ServerHello`.
public struct Hello: Hashable, Sendable, WirePayload {
    /// The protocol version the peer will speak.
    public var version: UInt16
    /// Whether the peer is a client or a worker.
    public var role: PeerRole
    /// The worker's node id, or a client's self-chosen name (e.g. `titan-cli@host`).
    public var nodeID: NodeID
    /// `HandshakeAuth.mac(token:nonce:role:nodeID:)` over the server's nonce: 32 bytes.
    public var mac: [UInt8]

    /// Creates a hello.
    public init(version: UInt16 = WireLimits.protocolVersion, role: PeerRole, nodeID: NodeID, mac: [UInt8]) {
        self.version = version
        self.role = role
        self.nodeID = nodeID
        self.mac = mac
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.version)
        buffer.writeWireEnum(self.role)
        try buffer.writeWireID(self.nodeID.rawValue, field: "Hello.nodeID")
        try buffer.writeWireFixedBytes(self.mac, field: "Hello.mac", count: WireLimits.macBytes)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.version = try reader.readInteger("Hello.version")
        self.role = try reader.readEnum("Hello.role")
        self.nodeID = NodeID(try reader.readID("Hello.nodeID"))
        self.mac = try reader.readFixedBytes("Hello.mac", count: WireLimits.macBytes)
    }
}

/// `Welcome` (0x0004): the server accepted the `Hello`; requests may follow.
public struct Welcome: Hashable, Sendable, WirePayload {
    /// The protocol version of the session.
    public var version: UInt16
    /// The id of the master that accepted the session.
    public var serverID: String

    /// Creates a welcome.
    public init(version: UInt16 = WireLimits.protocolVersion, serverID: String) {
        self.version = version
        self.serverID = serverID
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.version)
        try buffer.writeWireID(self.serverID, field: "Welcome.serverID")
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.version = try reader.readInteger("Welcome.version")
        self.serverID = try reader.readID("Welcome.serverID")
    }
}

/// `Ping` (0x0005) and `Pong` (0x0006): a liveness probe and its answer, either direction.
public struct PingPayload: Hashable, Sendable, WirePayload {
    /// An opaque value the answer echoes.
    public var token: UInt64

    /// Creates a ping or pong payload.
    public init(token: UInt64) {
        self.token = token
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.token)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.token = try reader.readInteger("Ping.token")
    }
}
