/// A protocol error code, as carried by the `Error` message (`u16`).
///
/// A struct rather than an enum so that a code added by a newer peer is still representable:
/// an unknown code is shown as `code(<n>)` and treated like `internal`.
public struct WireErrorCode: RawRepresentable, Hashable, Sendable {
    /// The code on the wire.
    public var rawValue: UInt16

    /// Wraps a code as read from the wire.
    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// A frame or payload violates the framing or a field's encoding (short read, bad value,
    /// length or count above its limit, invalid UTF-8). The connection is closed.
    public static let badFrame = WireErrorCode(rawValue: 1)
    /// A frame's length is above the maximum frame length. The connection is closed.
    public static let frameTooLarge = WireErrorCode(rawValue: 2)
    /// The message type is unknown to the receiver. The connection stays open.
    public static let unknownType = WireErrorCode(rawValue: 3)
    /// The peer speaks a protocol version the receiver does not. The connection is closed.
    public static let unsupportedVersion = WireErrorCode(rawValue: 4)
    /// The `Hello` MAC does not verify under the cluster token. The connection is closed.
    public static let authFailed = WireErrorCode(rawValue: 5)
    /// A well-formed request is not acceptable (an invalid job spec, a request before `Welcome`,
    /// a message the peer's role may not send).
    public static let invalidRequest = WireErrorCode(rawValue: 6)
    /// This master is not the leader; the message is the leader's `host:port`, or empty if unknown.
    public static let notLeader = WireErrorCode(rawValue: 7)
    /// The job (or node) named by the request does not exist.
    public static let notFound = WireErrorCode(rawValue: 8)
    /// A worker's report carries an epoch that is no longer the job's current one.
    public static let staleEpoch = WireErrorCode(rawValue: 9)
    /// The server is at a bound (in-flight requests, pending queue); retry later.
    public static let overloaded = WireErrorCode(rawValue: 10)
    /// The server cannot reach its store (etcd) right now; retry later.
    public static let unavailable = WireErrorCode(rawValue: 11)
    /// Anything else went wrong on the server; the message says what.
    public static let `internal` = WireErrorCode(rawValue: 12)

    /// Every code this version defines, in code order.
    public static let allKnown: [WireErrorCode] = [
        .badFrame, .frameTooLarge, .unknownType, .unsupportedVersion, .authFailed, .invalidRequest,
        .notLeader, .notFound, .staleEpoch, .overloaded, .unavailable, .internal,
    ]

    /// The name used in `Protocol/README.md` and in the test vectors, e.g. `frameTooLarge`.
    public var name: String {
        switch self.rawValue {
        case 1: return "badFrame"
        case 2: return "frameTooLarge"
        case 3: return "unknownType"
        case 4: return "unsupportedVersion"
        case 5: return "authFailed"
        case 6: return "invalidRequest"
        case 7: return "notLeader"
        case 8: return "notFound"
        case 9: return "staleEpoch"
        case 10: return "overloaded"
        case 11: return "unavailable"
        case 12: return "internal"
        default: return "code(\(self.rawValue))"
        }
    }
}

extension WireErrorCode: CustomStringConvertible {
    /// The code's name and number, e.g. `frameTooLarge(2)`.
    public var description: String {
        "\(self.name)(\(self.rawValue))"
    }
}

/// Why bytes could not be framed, decoded or encoded, or why a handshake was refused.
///
/// Every case maps to the protocol `code` a receiver sends back in an `Error` message. Decoding
/// never traps and never allocates for a length it has not checked: each of these is thrown
/// instead.
public enum WireError: Error, Hashable, Sendable {
    /// A frame header announces more bytes than the maximum frame length.
    case frameTooLarge(length: UInt32, limit: Int)
    /// A frame header announces fewer than the 2 bytes of the message type.
    case frameTooShort(length: UInt32)
    /// The stream ended inside a frame; `bufferedBytes` were left over.
    case truncatedFrame(bufferedBytes: Int)
    /// The frame's message type is not one this version knows.
    case unknownMessageType(UInt16)
    /// The payload ended before `field` was complete.
    case truncatedPayload(field: String)
    /// A string, byte field or record announces a length above its limit.
    case lengthAboveLimit(field: String, length: Int, limit: Int)
    /// A list or map announces more items than its limit.
    case countAboveLimit(field: String, count: Int, limit: Int)
    /// A string field is not valid UTF-8.
    case invalidUTF8(field: String)
    /// A field holds a value its type does not allow (an unknown enum code, a boolean other than
    /// 0 or 1, an empty identifier, map keys out of order).
    case invalidValue(field: String, detail: String)
    /// A `Hello` or `ServerHello` names a protocol version this side does not speak.
    case unsupportedVersion(UInt16)
    /// A `Hello` MAC does not verify under the cluster token.
    case authenticationFailed

    /// The protocol error code a receiver answers with.
    public var code: WireErrorCode {
        switch self {
        case .frameTooLarge:
            return .frameTooLarge
        case .frameTooShort, .truncatedFrame, .truncatedPayload, .lengthAboveLimit, .countAboveLimit,
            .invalidUTF8, .invalidValue:
            return .badFrame
        case .unknownMessageType:
            return .unknownType
        case .unsupportedVersion:
            return .unsupportedVersion
        case .authenticationFailed:
            return .authFailed
        }
    }

    /// The case's name, as written in the `expect:` line of a hostile test vector.
    public var kind: String {
        switch self {
        case .frameTooLarge: return "frameTooLarge"
        case .frameTooShort: return "frameTooShort"
        case .truncatedFrame: return "truncatedFrame"
        case .unknownMessageType: return "unknownMessageType"
        case .truncatedPayload: return "truncatedPayload"
        case .lengthAboveLimit: return "lengthAboveLimit"
        case .countAboveLimit: return "countAboveLimit"
        case .invalidUTF8: return "invalidUTF8"
        case .invalidValue: return "invalidValue"
        case .unsupportedVersion: return "unsupportedVersion"
        case .authenticationFailed: return "authenticationFailed"
        }
    }

    /// Whether the connection must be closed after answering.
    ///
    /// Only an unknown message type leaves the stream usable: the frame was delimited correctly,
    /// so the receiver skips it (the compatibility rule of `Protocol/README.md`).
    public var isConnectionFatal: Bool {
        switch self {
        case .unknownMessageType:
            return false
        default:
            return true
        }
    }
}

extension WireError: CustomStringConvertible {
    /// One sentence saying what was wrong, with the offending value.
    public var description: String {
        switch self {
        case .frameTooLarge(let length, let limit):
            return "Frame length \(length) is above the maximum of \(limit) bytes; closing the connection."
        case .frameTooShort(let length):
            return "Frame length \(length) is below the 2 bytes of a message type; closing the connection."
        case .truncatedFrame(let buffered):
            return "The stream ended inside a frame with \(buffered) bytes left over."
        case .unknownMessageType(let type):
            return "Message type 0x\(String(type, radix: 16)) is unknown to this protocol version; it is skipped."
        case .truncatedPayload(let field):
            return "The payload ended before field '\(field)' was complete."
        case .lengthAboveLimit(let field, let length, let limit):
            return "Field '\(field)' announces \(length) bytes, above its limit of \(limit)."
        case .countAboveLimit(let field, let count, let limit):
            return "Field '\(field)' announces \(count) items, above its limit of \(limit)."
        case .invalidUTF8(let field):
            return "Field '\(field)' is not valid UTF-8."
        case .invalidValue(let field, let detail):
            return "Field '\(field)' has an invalid value: \(detail)."
        case .unsupportedVersion(let version):
            return "Protocol version \(version) is not supported; this side speaks version \(WireLimits.protocolVersion)."
        case .authenticationFailed:
            return "The Hello MAC does not verify: check that both sides use the same cluster token."
        }
    }
}
