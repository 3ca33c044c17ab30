// Request bodies of the KV calls, written by hand: the gateway's field names (lowerCamelCase),
// bytes as base64, int64 as strings, and a field at its default (0, false, none) left out, as
// proto3 JSON does. A txn of 128 puts was encoded with `JSONEncoder` before: an eighth of the
// leader's CPU under load (docs/benchmarks.md).

/// A request body the gateway reads: written straight into a ``JSONWriter``.
protocol GatewayRequest: Sendable {
    /// Writes the request as one JSON object.
    func write(to out: inout JSONWriter)
}

extension GatewayRequest {
    /// The request's JSON bytes.
    var gatewayBody: [UInt8] {
        var out = JSONWriter()
        write(to: &out)
        return out.bytes
    }
}

extension RangeRequest: GatewayRequest {
    func write(to out: inout JSONWriter) {
        out.beginObject()
        out.key("key"); out.base64(key)
        if let rangeEnd { out.key("rangeEnd"); out.base64(rangeEnd) }
        if limit != 0 { out.key("limit"); out.int64String(limit) }
        if revision != 0 { out.key("revision"); out.int64String(revision) }
        if sortOrder != .none { out.key("sortOrder"); out.string(sortOrder.rawValue) }
        if sortTarget != .key { out.key("sortTarget"); out.string(sortTarget.rawValue) }
        if serializable { out.key("serializable"); out.bool(true) }
        if keysOnly { out.key("keysOnly"); out.bool(true) }
        if countOnly { out.key("countOnly"); out.bool(true) }
        out.endObject()
    }
}

extension PutRequest: GatewayRequest {
    func write(to out: inout JSONWriter) {
        out.beginObject()
        out.key("key"); out.base64(key)
        out.key("value"); out.base64(value)
        if lease != 0 { out.key("lease"); out.int64String(lease) }
        if prevKV { out.key("prevKv"); out.bool(true) }
        out.endObject()
    }
}

extension DeleteRangeRequest: GatewayRequest {
    func write(to out: inout JSONWriter) {
        out.beginObject()
        out.key("key"); out.base64(key)
        if let rangeEnd { out.key("rangeEnd"); out.base64(rangeEnd) }
        if prevKV { out.key("prevKv"); out.bool(true) }
        out.endObject()
    }
}

extension Compare: GatewayRequest {
    func write(to out: inout JSONWriter) {
        out.beginObject()
        out.key("key"); out.base64(key)
        if let rangeEnd { out.key("rangeEnd"); out.base64(rangeEnd) }
        out.key("result"); out.string(result.rawValue)
        // The value field is sent even when 0: the gateway reads a missing one as 0, but being
        // explicit keeps the request readable in logs.
        switch target {
        case let .version(version):
            out.key("target"); out.string("VERSION")
            out.key("version"); out.int64String(version)
        case let .createRevision(revision):
            out.key("target"); out.string("CREATE")
            out.key("createRevision"); out.int64String(revision)
        case let .modRevision(revision):
            out.key("target"); out.string("MOD")
            out.key("modRevision"); out.int64String(revision)
        case let .value(value):
            out.key("target"); out.string("VALUE")
            out.key("value"); out.base64(value)
        case let .lease(lease):
            out.key("target"); out.string("LEASE")
            out.key("lease"); out.int64String(lease)
        }
        out.endObject()
    }
}

extension TxnOp: GatewayRequest {
    func write(to out: inout JSONWriter) {
        out.beginObject()
        switch kind {
        case let .put(request): out.key("requestPut"); request.write(to: &out)
        case let .range(request): out.key("requestRange"); request.write(to: &out)
        case let .deleteRange(request): out.key("requestDeleteRange"); request.write(to: &out)
        }
        out.endObject()
    }
}

extension Txn: GatewayRequest {
    func write(to out: inout JSONWriter) {
        out.beginObject()
        out.key("compare")
        out.beginArray()
        for compare in compares { compare.write(to: &out) }
        out.endArray()
        out.key("success")
        out.beginArray()
        for op in success { op.write(to: &out) }
        out.endArray()
        out.key("failure")
        out.beginArray()
        for op in failure { op.write(to: &out) }
        out.endArray()
        out.endObject()
    }
}
