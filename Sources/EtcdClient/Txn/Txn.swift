/// One operation of a txn: a put, a range or a delete.
public struct TxnOp: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case put(PutRequest)
        case range(RangeRequest)
        case deleteRange(DeleteRangeRequest)
    }

    let kind: Kind

    /// A put of `key` to `value`, under `lease` (0 for none).
    public static func put(key: some EtcdBytes, value: some EtcdBytes, lease: Int64 = 0, prevKV: Bool = false) -> TxnOp {
        TxnOp(kind: .put(PutRequest(key: key, value: value, lease: lease, prevKV: prevKV)))
    }

    /// A put described by `request`.
    public static func put(_ request: PutRequest) -> TxnOp {
        TxnOp(kind: .put(request))
    }

    /// A read of one key (or of `[key, rangeEnd)`).
    public static func range(key: some EtcdBytes, rangeEnd: (any EtcdBytes)? = nil) -> TxnOp {
        TxnOp(kind: .range(RangeRequest(key: key, rangeEnd: rangeEnd)))
    }

    /// A read described by `request`.
    public static func range(_ request: RangeRequest) -> TxnOp {
        TxnOp(kind: .range(request))
    }

    /// A delete of one key (or of `[key, rangeEnd)`).
    public static func delete(key: some EtcdBytes, rangeEnd: (any EtcdBytes)? = nil, prevKV: Bool = false) -> TxnOp {
        TxnOp(kind: .deleteRange(DeleteRangeRequest(key: key, rangeEnd: rangeEnd, prevKV: prevKV)))
    }

    /// A delete described by `request`.
    public static func delete(_ request: DeleteRangeRequest) -> TxnOp {
        TxnOp(kind: .deleteRange(request))
    }
}

/// A transaction: if every compare holds, the `success` ops run, otherwise the `failure` ops;
/// all of it atomically at one new revision.
///
/// ```swift
/// let txn = Txn()
///     .when(.keyMissing("/titan/v1/leader"))
///     .then(.put(key: "/titan/v1/leader", value: me, lease: lease))
///     .orElse(.range(key: "/titan/v1/leader"))
/// let response = try await client.txn(txn)
/// ```
///
/// etcd runs at most ``EtcdClient/maxTxnOps`` ops per branch; ``EtcdClient/txn(_:)`` refuses a
/// bigger txn before sending it.
public struct Txn: Sendable, Equatable {
    /// The conditions, all of which must hold for `success` to run.
    public var compares: [Compare]
    /// The ops run when every compare holds.
    public var success: [TxnOp]
    /// The ops run when some compare fails.
    public var failure: [TxnOp]

    /// Creates a txn; with no compares, `success` always runs.
    public init(compares: [Compare] = [], success: [TxnOp] = [], failure: [TxnOp] = []) {
        self.compares = compares
        self.success = success
        self.failure = failure
    }

    /// This txn with `compares` added.
    public func when(_ compares: Compare...) -> Txn {
        var copy = self
        copy.compares += compares
        return copy
    }

    /// This txn with `ops` added to the success branch.
    public func then(_ ops: TxnOp...) -> Txn {
        var copy = self
        copy.success += ops
        return copy
    }

    /// This txn with `ops` added to the success branch.
    public func then(_ ops: [TxnOp]) -> Txn {
        var copy = self
        copy.success += ops
        return copy
    }

    /// This txn with `ops` added to the failure branch.
    public func orElse(_ ops: TxnOp...) -> Txn {
        var copy = self
        copy.failure += ops
        return copy
    }

    /// This txn with `ops` added to the failure branch.
    public func orElse(_ ops: [TxnOp]) -> Txn {
        var copy = self
        copy.failure += ops
        return copy
    }

    /// The largest count etcd checks against `--max-txn-ops`: compares or either branch.
    var opCount: Int {
        max(compares.count, success.count, failure.count)
    }
}

extension EtcdClient {
    /// Runs `txn` atomically.
    ///
    /// A txn whose compares fail is not an error: the response says `succeeded == false`.
    /// Throws ``EtcdError/tooManyOps(count:limit:)`` without sending anything when the compares
    /// or a branch exceed ``maxTxnOps``, and ``EtcdError/invalidArgument(message:)`` when etcd
    /// refuses the txn (for example, the same key put twice).
    /// Runs a txn and returns only whether it applied and at which revision: cheaper than
    /// ``txn(_:)`` for large batches of writes whose per-op answers the caller does not need.
    public func txnOutcome(_ txn: Txn) async throws -> TxnOutcome {
        guard txn.opCount <= Self.maxTxnOps else {
            throw EtcdError.tooManyOps(count: txn.opCount, limit: Self.maxTxnOps)
        }
        var context = ErrorContext()
        context.opCount = txn.opCount
        let body = try await post("/v3/kv/txn", body: txn.gatewayBody, context: context)
        if let outcome = TxnOutcome.scan(body) { return outcome }
        let wire = try GatewayJSON.decode(WireTxnOutcome.self, from: body, path: "/v3/kv/txn")
        return TxnOutcome(header: wire.header.typed, succeeded: wire.succeeded ?? false)
    }

    public func txn(_ txn: Txn) async throws -> TxnResponse {
        guard txn.opCount <= Self.maxTxnOps else {
            throw EtcdError.tooManyOps(count: txn.opCount, limit: Self.maxTxnOps)
        }
        var context = ErrorContext()
        context.opCount = txn.opCount
        return try await call("/v3/kv/txn", txn, as: WireTxnResponse.self, context: context).typed
    }
}
