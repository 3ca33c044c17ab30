/// The answer to a ``RangeRequest``.
public struct RangeResponse: Sendable, Equatable {
    /// The response header; `header.revision` is the revision the read saw.
    public var header: ResponseHeader
    /// The matching key-value pairs (empty for `countOnly`).
    public var kvs: [KeyValue]
    /// True when `limit` cut the result short and more keys match.
    public var more: Bool
    /// How many keys match in total, whatever the limit.
    public var count: Int64

    /// Creates a range response.
    public init(header: ResponseHeader, kvs: [KeyValue], more: Bool, count: Int64) {
        self.header = header
        self.kvs = kvs
        self.more = more
        self.count = count
    }
}

/// The answer to a ``PutRequest``.
public struct PutResponse: Sendable, Equatable {
    /// The response header; `header.revision` is the revision of this write.
    public var header: ResponseHeader
    /// The key's previous value, when `prevKV` was asked for and the key existed.
    public var prevKV: KeyValue?

    /// Creates a put response.
    public init(header: ResponseHeader, prevKV: KeyValue?) {
        self.header = header
        self.prevKV = prevKV
    }
}

/// The answer to a ``DeleteRangeRequest``.
public struct DeleteRangeResponse: Sendable, Equatable {
    /// The response header.
    public var header: ResponseHeader
    /// How many keys were deleted.
    public var deleted: Int64
    /// The deleted pairs, when `prevKV` was asked for.
    public var prevKVs: [KeyValue]

    /// Creates a delete response.
    public init(header: ResponseHeader, deleted: Int64, prevKVs: [KeyValue]) {
        self.header = header
        self.deleted = deleted
        self.prevKVs = prevKVs
    }
}

struct WireRangeResponse: Decodable {
    var header: WireHeader?
    var kvs: [WireKeyValue]?
    var more: Bool?
    var count: WireInt64?

    var typed: RangeResponse {
        RangeResponse(header: header.typed, kvs: (kvs ?? []).map(\.typed), more: more ?? false, count: count?.value ?? 0)
    }
}

struct WirePutResponse: Decodable {
    var header: WireHeader?
    var prevKv: WireKeyValue?

    var typed: PutResponse {
        PutResponse(header: header.typed, prevKV: prevKv?.typed)
    }
}

struct WireDeleteRangeResponse: Decodable {
    var header: WireHeader?
    var deleted: WireInt64?
    var prevKvs: [WireKeyValue]?

    var typed: DeleteRangeResponse {
        DeleteRangeResponse(header: header.typed, deleted: deleted?.value ?? 0, prevKVs: (prevKvs ?? []).map(\.typed))
    }
}
