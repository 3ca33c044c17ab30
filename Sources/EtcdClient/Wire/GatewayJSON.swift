import Foundation

// The etcd v3 JSON gateway speaks proto3 JSON:
// - bytes (`key`, `value`, `range_end`) are standard base64 with padding;
// - int64/uint64 come back as JSON *strings* ("revision":"4"); lease IDs exceed 2^53, so they
//   are parsed from the string straight into Int64, never through Double;
// - a field holding its default value (false, 0, empty list) is left out, so every decoded
//   field is optional and defaults to zero/false/empty.
// Requests use the same conventions (the gateway accepts strings for int64 and lowerCamelCase
// field names, and silently ignores unknown fields, so names here are checked by the tests).

/// An int64 on the wire: decoded from a JSON string or number, encoded as a string.
struct WireInt64: Codable, Sendable, Equatable {
    var value: Int64

    init(_ value: Int64) {
        self.value = value
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let parsed = Int64(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an int64: \(text)")
            }
            value = parsed
        } else {
            value = try container.decode(Int64.self)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }
}

/// A uint64 on the wire (cluster and member ids): decoded from a JSON string or number.
struct WireUInt64: Decodable, Sendable, Equatable {
    var value: UInt64

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let parsed = UInt64(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a uint64: \(text)")
            }
            value = parsed
        } else {
            value = try container.decode(UInt64.self)
        }
    }
}

/// Bytes on the wire: standard base64 with padding.
struct WireBytes: Codable, Sendable, Equatable {
    var bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let data = Data(base64Encoded: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not base64: \(text.prefix(64))")
        }
        bytes = [UInt8](data)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Data(bytes).base64EncodedString())
    }
}

/// The encoder and decoder every request and response goes through.
enum GatewayJSON {
    /// Encodes a request body. Property names are the gateway's lowerCamelCase field names.
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return [UInt8](try encoder.encode(value))
    }

    /// Decodes a response body; `path` names the call in the error.
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], path: String) throws -> T {
        let decoder = JSONDecoder()
        // Responses use the proto names (`prev_kv`, `create_revision`); `TTL`, `ID`, `dbSize`
        // have no underscore and pass through unchanged.
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(type, from: Data(body))
        } catch {
            throw EtcdError.malformedResponse(path: path, detail: String(describing: error))
        }
    }
}

/// A response header as sent (every field may be left out).
struct WireHeader: Decodable, Sendable {
    var clusterId: WireUInt64?
    var memberId: WireUInt64?
    var revision: WireInt64?
    var raftTerm: WireUInt64?

    var typed: ResponseHeader {
        ResponseHeader(
            clusterID: clusterId?.value ?? 0,
            memberID: memberId?.value ?? 0,
            revision: revision?.value ?? 0,
            raftTerm: raftTerm?.value ?? 0
        )
    }
}

/// A key-value pair as sent.
struct WireKeyValue: Decodable, Sendable {
    var key: WireBytes?
    var value: WireBytes?
    var createRevision: WireInt64?
    var modRevision: WireInt64?
    var version: WireInt64?
    var lease: WireInt64?

    var typed: KeyValue {
        KeyValue(
            key: key?.bytes ?? [],
            value: value?.bytes ?? [],
            createRevision: createRevision?.value ?? 0,
            modRevision: modRevision?.value ?? 0,
            version: version?.value ?? 0,
            lease: lease?.value ?? 0
        )
    }
}

extension Optional where Wrapped == WireHeader {
    /// The typed header, all zeros when the gateway left it out.
    var typed: ResponseHeader {
        self?.typed ?? ResponseHeader(clusterID: 0, memberID: 0, revision: 0, raftTerm: 0)
    }
}
