/// The answer to one ``TxnOp``, in the order the ops were given.
public enum TxnOpResponse: Sendable, Equatable {
    /// The answer to a put.
    case put(PutResponse)
    /// The answer to a range.
    case range(RangeResponse)
    /// The answer to a delete.
    case deleteRange(DeleteRangeResponse)

    /// The range response, if this is one.
    public var rangeResponse: RangeResponse? {
        if case let .range(response) = self { return response }
        return nil
    }

    /// The put response, if this is one.
    public var putResponse: PutResponse? {
        if case let .put(response) = self { return response }
        return nil
    }

    /// The delete response, if this is one.
    public var deleteRangeResponse: DeleteRangeResponse? {
        if case let .deleteRange(response) = self { return response }
        return nil
    }
}

/// The answer to a ``Txn``.
public struct TxnResponse: Sendable, Equatable {
    /// The response header; `header.revision` is the txn's revision when it wrote something.
    public var header: ResponseHeader
    /// True when every compare held and the success ops ran; false when the failure ops ran.
    /// (The gateway leaves the field out when false.)
    public var succeeded: Bool
    /// One answer per op of the branch that ran.
    public var responses: [TxnOpResponse]

    /// Creates a txn response.
    public init(header: ResponseHeader, succeeded: Bool, responses: [TxnOpResponse]) {
        self.header = header
        self.succeeded = succeeded
        self.responses = responses
    }
}

struct WireResponseOp: Decodable {
    var responsePut: WirePutResponse?
    var responseRange: WireRangeResponse?
    var responseDeleteRange: WireDeleteRangeResponse?

    var typed: TxnOpResponse? {
        if let responsePut { return .put(responsePut.typed) }
        if let responseRange { return .range(responseRange.typed) }
        if let responseDeleteRange { return .deleteRange(responseDeleteRange.typed) }
        return nil
    }
}

struct WireTxnResponse: Decodable {
    var header: WireHeader?
    // Absent means false: proto3 JSON leaves default values out, so a lost txn has no field.
    var succeeded: Bool?
    var responses: [WireResponseOp]?

    var typed: TxnResponse {
        get throws {
            let ops = try (responses ?? []).map { op -> TxnOpResponse in
                guard let typed = op.typed else {
                    throw EtcdError.malformedResponse(path: "/v3/kv/txn", detail: "a response op of unknown kind")
                }
                return typed
            }
            return TxnResponse(header: header.typed, succeeded: succeeded ?? false, responses: ops)
        }
    }
}

/// Whether a txn applied, and at which revision: a ``TxnResponse`` without its per-op answers.
public struct TxnOutcome: Sendable, Equatable {
    /// The header; `header.revision` is the revision every op of an applied txn wrote at.
    public var header: ResponseHeader
    /// True when every compare held and the success ops were applied.
    public var succeeded: Bool

    /// Creates an outcome.
    public init(header: ResponseHeader, succeeded: Bool) {
        self.header = header
        self.succeeded = succeeded
    }
}

/// The parts of a txn answer an outcome needs; the per-op answers are skipped, not decoded.
struct WireTxnOutcome: Decodable {
    var header: WireHeader?
    var succeeded: Bool?
}

extension TxnOutcome {
    /// Reads an outcome from the start of a txn answer without decoding the per-op answers
    /// (128 of them for a full batch: a JSON decode of those was 2 % of the leader's CPU). The
    /// gateway writes fields in proto order: `{"header":{…,"revision":"N",…},"succeeded":true,…`
    /// (`succeeded` left out when false), with or without spaces after `:` and `,` (protojson
    /// adds them in some builds). Anything else: nil, and the caller decodes the answer fully.
    static func scan(_ body: [UInt8]) -> TxnOutcome? {
        var reader = JSONScanner(body)
        guard reader.take("{"), reader.take("\"header\""), reader.take(":"), reader.take("{"),
            let close = body[reader.index...].firstIndex(of: UInt8(ascii: "}"))
        else { return nil }
        let header = body[reader.index..<close]
        guard let revision = number("revision", in: header) else { return nil }
        var rest = JSONScanner(body, at: close + 1)
        var applied = rest
        let succeeded: Bool
        if rest.take("}") || rest.startsField("responses") {
            succeeded = false
        } else if applied.take(","), applied.take("\"succeeded\""), applied.take(":"), applied.take("true") {
            succeeded = true
        } else {
            return nil
        }
        return TxnOutcome(
            header: ResponseHeader(
                clusterID: number("cluster_id", in: header) ?? 0,
                memberID: number("member_id", in: header) ?? 0,
                revision: Int64(bitPattern: revision),
                raftTerm: number("raft_term", in: header) ?? 0
            ),
            succeeded: succeeded
        )
    }

    /// The unsigned number in `"name": "digits"` inside `header`; nil when absent or malformed.
    private static func number(_ name: String, in header: ArraySlice<UInt8>) -> UInt64? {
        guard let key = header.firstRange(of: Array("\"\(name)\"".utf8)) else { return nil }
        var reader = JSONScanner(Array(header), at: key.upperBound - header.startIndex)
        guard reader.take(":"), reader.take("\"") else { return nil }
        let digits = reader.bytes[reader.index...].prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        guard !digits.isEmpty, digits.count <= 20, reader.bytes.dropFirst(reader.index + digits.count).first == UInt8(ascii: "\"") else { return nil }
        return UInt64(String(decoding: digits, as: UTF8.self))
    }
}

/// Steps through JSON text by expected tokens, skipping whitespace before each.
private struct JSONScanner {
    let bytes: [UInt8]
    var index: Int

    init(_ bytes: [UInt8], at index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    /// Consumes `token` after any whitespace; false (and nothing consumed) when it is not next.
    mutating func take(_ token: String) -> Bool {
        var at = index
        while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
        let expected = Array(token.utf8)
        guard bytes.count - at >= expected.count, bytes[at..<(at + expected.count)].elementsEqual(expected) else { return false }
        index = at + expected.count
        return true
    }

    /// Whether `, "name"` comes next.
    func startsField(_ name: String) -> Bool {
        var copy = self
        return copy.take(",") && copy.take("\"\(name)\"")
    }
}
