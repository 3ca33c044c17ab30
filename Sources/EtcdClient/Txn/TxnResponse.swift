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
    /// gateway writes fields in proto order: `{"header":{"cluster_id":"…",…,"revision":"N",…},
    /// "succeeded":true,…` (`succeeded` left out when false). Anything else: nil, and the caller
    /// decodes the answer fully.
    static func scan(_ body: [UInt8]) -> TxnOutcome? {
        let opening = Array(#"{"header":{"#.utf8)
        guard body.starts(with: opening), let close = body[opening.count...].firstIndex(of: UInt8(ascii: "}")) else { return nil }
        let header = body[opening.count..<close]
        guard let revision = number("revision", in: header) else { return nil }
        let succeeded = body[(close + 1)...].starts(with: Array(#","succeeded":true"#.utf8))
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

    /// The unsigned number in `"name":"digits"` inside `header`; nil when absent or malformed.
    private static func number(_ name: String, in header: ArraySlice<UInt8>) -> UInt64? {
        guard let start = header.firstRange(of: Array("\"\(name)\":\"".utf8))?.upperBound else { return nil }
        var value: UInt64 = 0
        var index = start
        while index < header.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(header[index]) {
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = shifted.addingReportingOverflow(UInt64(header[index] - UInt8(ascii: "0")))
            guard !overflow, !carry else { return nil }
            value = sum
            index += 1
        }
        guard index > start, index < header.endIndex, header[index] == UInt8(ascii: "\"") else { return nil }
        return value
    }
}
