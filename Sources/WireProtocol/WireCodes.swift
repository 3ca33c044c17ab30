import ClusterModel
import NIOCore

/// A closed set of values carried as one byte on the wire.
///
/// Codes start at 1 so that a zeroed byte is never a valid value. The codes are part of the
/// protocol (`Protocol/README.md`, § Enumerations) and never change meaning.
protocol WireEnum: CaseIterable {
    /// The byte on the wire.
    var wireCode: UInt8 { get }
    /// The value's name, for traces and test-vector annotations.
    var wireName: String { get }
}

extension WireEnum where Self: RawRepresentable, RawValue == String {
    var wireName: String { self.rawValue }
}

extension WireEnum {
    /// The value whose code is `code`, if there is one.
    init?(wireCode code: UInt8) {
        guard let value = Self.allCases.first(where: { $0.wireCode == code }) else {
            return nil
        }
        self = value
    }
}

extension JobState: WireEnum {
    var wireCode: UInt8 {
        switch self {
        case .pending: return 1
        case .scheduled: return 2
        case .running: return 3
        case .succeeded: return 4
        case .failed: return 5
        case .cancelled: return 6
        case .lost: return 7
        }
    }
}

extension AttemptOutcome: WireEnum {
    var wireCode: UInt8 {
        switch self {
        case .succeeded: return 1
        case .failed: return 2
        case .nodeLost: return 3
        case .cancelled: return 4
        }
    }
}

extension Runtime: WireEnum {
    var wireCode: UInt8 {
        switch self {
        case .exec: return 1
        case .docker: return 2
        }
    }
}

extension NetworkMode: WireEnum {
    var wireCode: UInt8 {
        switch self {
        case .none: return 1
        case .host: return 2
        }
    }
}

extension LogStreamKind: WireEnum {
    var wireCode: UInt8 { code }
}

extension CancelOutcome: WireEnum {
    var wireCode: UInt8 {
        switch self {
        case .cancelled: return 1
        case .alreadyFinal: return 2
        }
    }
}

/// Who is on the other end of a connection, as declared in `Hello`.
public enum PeerRole: Hashable, Sendable, CaseIterable {
    /// A user's tool: `titan-cli`, `titan-load`, a test.
    case client
    /// A `titan-worker`; its node id is the one it registered in etcd.
    case worker
}

extension PeerRole: WireEnum {
    /// The role byte, also the byte that the handshake MAC covers.
    public var wireCode: UInt8 {
        switch self {
        case .client: return 1
        case .worker: return 2
        }
    }

    /// The role's name: `client` or `worker`.
    public var wireName: String {
        switch self {
        case .client: return "client"
        case .worker: return "worker"
        }
    }
}

extension WireReader {
    /// Reads a one-byte enumeration value.
    mutating func readEnum<Value: WireEnum>(_ field: String, as: Value.Type = Value.self) throws(WireError) -> Value {
        let code = try self.readInteger(field, as: UInt8.self)
        guard let value = Value(wireCode: code) else {
            throw WireError.invalidValue(field: field, detail: "unknown code \(code)")
        }
        self.annotateLastTraceEntry(value.wireName)
        return value
    }

    /// Reads a set of enumeration values as a bit mask: bit `code - 1` stands for the value with
    /// that code. A bit that stands for no value is an error.
    mutating func readEnumSet<Value: WireEnum, Mask: FixedWidthInteger & UnsignedInteger>(
        _ field: String,
        mask: Mask.Type,
        of: Value.Type = Value.self
    ) throws(WireError) -> Set<Value> {
        let bits = try self.readInteger(field, as: Mask.self)
        var set = Set<Value>()
        var known: Mask = 0
        for value in Value.allCases {
            let bit: Mask = 1 << (value.wireCode - 1)
            known |= bit
            if bits & bit != 0 {
                set.insert(value)
            }
        }
        guard bits & ~known == 0 else {
            throw WireError.invalidValue(field: field, detail: "unknown bits in mask \(bits)")
        }
        self.annotateLastTraceEntry(set.map(\.wireCode).sorted().map { "\(Value(wireCode: $0)!.wireName)" }.joined(separator: ", "))
        return set
    }
}

extension ByteBuffer {
    /// Writes a one-byte enumeration value.
    mutating func writeWireEnum<Value: WireEnum>(_ value: Value) {
        self.writeInteger(value.wireCode)
    }

    /// Writes a set of enumeration values as a bit mask (see `WireReader.readEnumSet`).
    mutating func writeWireEnumSet<Value: WireEnum, Mask: FixedWidthInteger & UnsignedInteger>(
        _ set: Set<Value>,
        mask: Mask.Type
    ) {
        var bits: Mask = 0
        for value in set {
            bits |= 1 << (value.wireCode - 1)
        }
        self.writeInteger(bits)
    }
}
