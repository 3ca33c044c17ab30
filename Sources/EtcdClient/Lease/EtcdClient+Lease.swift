/// A lease as granted.
public struct LeaseGrant: Sendable, Equatable {
    /// The response header.
    public var header: ResponseHeader
    /// The lease id, to attach keys with `put(…, lease:)`.
    public var id: Int64
    /// The TTL etcd granted, in seconds (at least its minimum, 2 s on a single member).
    public var ttl: Int64

    /// Creates a grant.
    public init(header: ResponseHeader, id: Int64, ttl: Int64) {
        self.header = header
        self.id = id
        self.ttl = ttl
    }
}

/// What etcd knows about a lease.
public struct LeaseTimeToLive: Sendable, Equatable {
    /// The response header.
    public var header: ResponseHeader
    /// The lease id.
    public var id: Int64
    /// The seconds left; -1 when the lease has expired or was revoked.
    public var ttl: Int64
    /// The TTL the lease was granted with; 0 when it is gone.
    public var grantedTTL: Int64
    /// The keys attached to the lease (when asked for).
    public var keys: [[UInt8]]

    /// Creates a time-to-live answer.
    public init(header: ResponseHeader, id: Int64, ttl: Int64, grantedTTL: Int64, keys: [[UInt8]]) {
        self.header = header
        self.id = id
        self.ttl = ttl
        self.grantedTTL = grantedTTL
        self.keys = keys
    }

    /// True when the lease no longer exists.
    public var isExpired: Bool { ttl < 0 }
}

extension EtcdClient {
    /// Grants a lease of `ttl` seconds; keys put under it are deleted when it expires.
    public func grantLease(ttl: Int64) async throws -> LeaseGrant {
        let response = try await call("/v3/lease/grant", WireLeaseRequest(ttl: WireInt64(ttl)), as: WireLeaseResponse.self)
        guard let id = response.id?.value else {
            throw EtcdError.malformedResponse(path: "/v3/lease/grant", detail: "no lease ID in the answer")
        }
        return LeaseGrant(header: response.header.typed, id: id, ttl: response.ttl?.value ?? 0)
    }

    /// Renews lease `id` once and returns the seconds it now has left; 0 means the lease is gone
    /// (expired or revoked), which etcd reports with a 200 and no TTL, not with an error.
    public func keepAliveOnce(id: Int64) async throws -> Int64 {
        try await keepAliveOnce(id: id, timeout: requestTimeout)
    }

    func keepAliveOnce(id: Int64, timeout: Duration) async throws -> Int64 {
        // The keep-alive RPC is a stream; one request body gives one `{"result":…}` line and
        // the server ends the response when the body ends.
        let body = try await call(
            "/v3/lease/keepalive", WireLeaseRequest(id: WireInt64(id)), as: WireKeepAliveLine.self,
            context: ErrorContext(leaseID: id), timeout: timeout)
        if let error = body.error {
            throw EtcdError.from(
                status: error.httpCode ?? 500, code: error.grpcCode, message: error.message ?? "",
                body: error.message ?? "", endpoint: currentEndpoint, context: ErrorContext(leaseID: id))
        }
        return body.result?.ttl?.value ?? 0
    }

    /// Revokes lease `id` and deletes every key attached to it.
    ///
    /// Throws ``EtcdError/leaseNotFound(id:)`` when the lease is already gone.
    public func revokeLease(id: Int64) async throws {
        _ = try await call(
            "/v3/lease/revoke", WireLeaseRequest(id: WireInt64(id)), as: WireLeaseResponse.self,
            context: ErrorContext(leaseID: id))
    }

    /// Gives lease `id` back on the way out of a cancelled task (a master stepping down, a worker
    /// shutting down), so that others need not wait out its TTL. Runs in a task the caller's
    /// cancellation does not reach, bounded by the request timeout; any failure is ignored (the
    /// lease then simply expires).
    public func revokeLeaseOnExit(id: Int64) async {
        // An unstructured task on purpose: the caller is being cancelled, and this one request
        // must still reach etcd. It awaits the result, so nothing outlives the caller.
        _ = await Task { try? await self.revokeLease(id: id) }.value
    }

    /// What etcd knows about lease `id`; with `keys`, the keys attached to it. A lease that is
    /// gone is reported with `ttl == -1`, not as an error.
    public func leaseTimeToLive(id: Int64, keys: Bool = false) async throws -> LeaseTimeToLive {
        let response = try await call(
            "/v3/lease/timetolive", WireLeaseRequest(id: WireInt64(id), keys: keys ? true : nil),
            as: WireLeaseResponse.self, context: ErrorContext(leaseID: id))
        return LeaseTimeToLive(
            header: response.header.typed,
            id: response.id?.value ?? id,
            ttl: response.ttl?.value ?? 0,
            grantedTTL: response.grantedTTL?.value ?? 0,
            keys: (response.keys ?? []).map(\.bytes)
        )
    }
}

struct WireLeaseRequest: Encodable {
    var ttl: WireInt64?
    var id: WireInt64?
    var keys: Bool?

    init(ttl: WireInt64? = nil, id: WireInt64? = nil, keys: Bool? = nil) {
        self.ttl = ttl
        self.id = id
        self.keys = keys
    }

    // The gateway ignores unknown fields, so `ttl` instead of `TTL` would silently grant the
    // minimum TTL: the names are spelled out.
    enum CodingKeys: String, CodingKey {
        case ttl = "TTL"
        case id = "ID"
        case keys
    }
}

struct WireLeaseResponse: Decodable {
    var header: WireHeader?
    var id: WireInt64?
    var ttl: WireInt64?
    var grantedTTL: WireInt64?
    var keys: [WireBytes]?

    enum CodingKeys: String, CodingKey {
        case header
        case id = "ID"
        case ttl = "TTL"
        case grantedTTL
        case keys
    }
}

/// One line of a gateway stream: `{"result":…}` or, when the stream fails, `{"error":…}`.
struct WireStreamLine<Result: Decodable>: Decodable {
    var result: Result?
    var error: WireStreamError?
}

/// The error object grpc-gateway puts on a stream line.
struct WireStreamError: Decodable {
    var grpcCode: Int?
    var httpCode: Int?
    var message: String?
    var httpStatus: String?
}

typealias WireKeepAliveLine = WireStreamLine<WireLeaseResponse>
