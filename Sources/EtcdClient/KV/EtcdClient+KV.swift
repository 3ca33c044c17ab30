extension EtcdClient {
    /// Reads the keys `request` selects.
    ///
    /// Throws ``EtcdError/compacted(requestedRevision:compactRevision:)`` or
    /// ``EtcdError/futureRevision(requestedRevision:)`` for a `revision` etcd no longer or not
    /// yet has.
    public func range(_ request: RangeRequest) async throws -> RangeResponse {
        var context = ErrorContext()
        context.revision = request.revision
        return try await call("/v3/kv/range", request, as: WireRangeResponse.self, context: context).typed
    }

    /// Reads one key, or the keys in `[key, rangeEnd)`.
    ///
    /// - Parameters:
    ///   - key: the key, or the first key of the range.
    ///   - rangeEnd: the end of the range (exclusive); `nil` reads `key` alone.
    ///   - limit: the most keys to return; 0 for all.
    ///   - revision: the revision to read at; 0 for the newest.
    ///   - keysOnly: leave the values out.
    ///   - countOnly: return only ``RangeResponse/count``.
    ///   - sortOrder: the order of the keys.
    ///   - sortTarget: what the keys are sorted by.
    public func range(
        key: some EtcdBytes,
        rangeEnd: (any EtcdBytes)? = nil,
        limit: Int64 = 0,
        revision: Int64 = 0,
        keysOnly: Bool = false,
        countOnly: Bool = false,
        sortOrder: SortOrder = .none,
        sortTarget: SortTarget = .key
    ) async throws -> RangeResponse {
        try await range(RangeRequest(
            key: key, rangeEnd: rangeEnd, limit: limit, revision: revision, keysOnly: keysOnly,
            countOnly: countOnly, sortOrder: sortOrder, sortTarget: sortTarget
        ))
    }

    /// Reads every key that starts with `prefix`; the options are those of
    /// ``range(key:rangeEnd:limit:revision:keysOnly:countOnly:sortOrder:sortTarget:)``.
    public func range(
        prefix: some EtcdBytes,
        limit: Int64 = 0,
        revision: Int64 = 0,
        keysOnly: Bool = false,
        countOnly: Bool = false,
        sortOrder: SortOrder = .none,
        sortTarget: SortTarget = .key
    ) async throws -> RangeResponse {
        try await range(RangeRequest(
            key: prefix, rangeEnd: prefixEnd(prefix), limit: limit, revision: revision, keysOnly: keysOnly,
            countOnly: countOnly, sortOrder: sortOrder, sortTarget: sortTarget
        ))
    }

    /// Reads every key that starts with `prefix`, `pageSize` keys per request, in key order,
    /// calling `body` with each page. Each page is read at the newest revision (the pages are not
    /// one snapshot); a key written behind the cursor meanwhile is not seen.
    public func forEachPage(
        prefix: some EtcdBytes, pageSize: Int64, _ body: (RangeResponse) async throws -> Void
    ) async throws {
        var start = prefix.etcdBytes
        let end = prefixEnd(prefix)
        while true {
            let page = try await range(RangeRequest(key: start, rangeEnd: end, limit: pageSize))
            try await body(page)
            guard page.more, let last = page.kvs.last else { return }
            start = last.key + [0]
        }
    }

    /// The value of one key, or `nil` when the key does not exist.
    public func get(_ key: some EtcdBytes) async throws -> KeyValue? {
        try await range(RangeRequest(key: key)).kvs.first
    }

    /// Writes `request`.
    ///
    /// Throws ``EtcdError/leaseNotFound(id:)`` for a lease that is gone and
    /// ``EtcdError/quotaExceeded`` when etcd's database is full.
    public func put(_ request: PutRequest) async throws -> PutResponse {
        var context = ErrorContext()
        context.leaseID = request.lease
        return try await call("/v3/kv/put", request, as: WirePutResponse.self, context: context).typed
    }

    /// Sets `key` to `value`, attached to `lease` (0 for none); with `prevKV` the response
    /// carries the previous value.
    @discardableResult
    public func put(
        key: some EtcdBytes, value: some EtcdBytes, lease: Int64 = 0, prevKV: Bool = false
    ) async throws -> PutResponse {
        try await put(PutRequest(key: key, value: value, lease: lease, prevKV: prevKV))
    }

    /// Deletes the keys `request` selects.
    public func deleteRange(_ request: DeleteRangeRequest) async throws -> DeleteRangeResponse {
        try await call("/v3/kv/deleterange", request, as: WireDeleteRangeResponse.self).typed
    }

    /// Deletes one key, or the keys in `[key, rangeEnd)`; with `prevKV` the response carries the
    /// deleted pairs.
    @discardableResult
    public func deleteRange(
        key: some EtcdBytes, rangeEnd: (any EtcdBytes)? = nil, prevKV: Bool = false
    ) async throws -> DeleteRangeResponse {
        try await deleteRange(DeleteRangeRequest(key: key, rangeEnd: rangeEnd, prevKV: prevKV))
    }

    /// Deletes every key that starts with `prefix`.
    @discardableResult
    public func deleteRange(prefix: some EtcdBytes, prevKV: Bool = false) async throws -> DeleteRangeResponse {
        try await deleteRange(DeleteRangeRequest(key: prefix, rangeEnd: prefixEnd(prefix), prevKV: prevKV))
    }
}
