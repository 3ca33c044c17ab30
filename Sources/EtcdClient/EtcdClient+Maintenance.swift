/// The state of the member that answered ``EtcdClient/status()``.
public struct EtcdStatus: Sendable, Equatable {
    /// The response header; `header.revision` is the current store revision.
    public var header: ResponseHeader
    /// The server version, e.g. `3.4.23`.
    public var version: String
    /// The size of the backend database file, in bytes.
    public var dbSize: Int64
    /// The bytes of the database file in use (the rest is free pages a defragment would return).
    public var dbSizeInUse: Int64
    /// The member id of the current leader (0 when there is none).
    public var leader: UInt64

    /// Creates a status.
    public init(header: ResponseHeader, version: String, dbSize: Int64, dbSizeInUse: Int64, leader: UInt64) {
        self.header = header
        self.version = version
        self.dbSize = dbSize
        self.dbSizeInUse = dbSizeInUse
        self.leader = leader
    }
}

extension EtcdClient {
    /// The version, database size and leader of the member that answers.
    public func status() async throws -> EtcdStatus {
        let response = try await call("/v3/maintenance/status", WireEmpty(), as: WireStatusResponse.self)
        return EtcdStatus(
            header: response.header.typed,
            version: response.version ?? "",
            dbSize: response.dbSize?.value ?? 0,
            dbSizeInUse: response.dbSizeInUse?.value ?? 0,
            leader: response.leader?.value ?? 0
        )
    }

    /// Discards the history before `revision`, for every key of the cluster (not only Titan's).
    ///
    /// With `physical` the call returns once the space is really freed. Reads and watches at an
    /// older revision then fail with ``EtcdError/compacted(requestedRevision:compactRevision:)``;
    /// compacting at an already compacted revision throws that error too.
    @discardableResult
    public func compact(revision: Int64, physical: Bool = false) async throws -> ResponseHeader {
        var context = ErrorContext()
        context.revision = revision
        let response = try await call(
            "/v3/kv/compaction",
            WireCompactionRequest(revision: WireInt64(revision), physical: physical ? true : nil),
            as: WireHeaderOnly.self,
            context: context
        )
        return response.header.typed
    }
}

struct WireEmpty: Encodable {}

struct WireHeaderOnly: Decodable {
    var header: WireHeader?
}

struct WireCompactionRequest: Encodable {
    var revision: WireInt64
    var physical: Bool?
}

struct WireStatusResponse: Decodable {
    var header: WireHeader?
    var version: String?
    var dbSize: WireInt64?
    var dbSizeInUse: WireInt64?
    var leader: WireUInt64?
}
