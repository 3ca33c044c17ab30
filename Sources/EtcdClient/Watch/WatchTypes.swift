/// One change seen by a watch.
public struct WatchEvent: Sendable, Equatable {
    /// What happened to the key.
    public enum Kind: Sendable, Equatable {
        /// The key was created or updated.
        case put
        /// The key was deleted (by a delete, or because its lease expired).
        case delete
    }

    /// What happened.
    public var kind: Kind
    /// The key after the change; for a delete only `key` and `modRevision` are set.
    public var kv: KeyValue
    /// The key before the change, when the watch asked for `prevKV` and the key existed.
    public var prevKV: KeyValue?

    /// Creates an event.
    public init(kind: Kind, kv: KeyValue, prevKV: KeyValue?) {
        self.kind = kind
        self.kv = kv
        self.prevKV = prevKV
    }
}

/// A batch of events from a watch: everything one revision (one txn) changed, or a replay of
/// several past revisions.
public struct WatchResponse: Sendable, Equatable {
    /// The response header.
    public var header: ResponseHeader
    /// The events, in revision order; never empty.
    public var events: [WatchEvent]

    /// Creates a watch response.
    public init(header: ResponseHeader, events: [WatchEvent]) {
        self.header = header
        self.events = events
    }
}

/// What a watch looks at, and from when.
public struct WatchRequest: Sendable, Equatable {
    /// The key, or the first key of the range.
    public var key: [UInt8]
    /// The end of the range (exclusive); `nil` watches `key` alone.
    public var rangeEnd: [UInt8]?
    /// The first revision to report; 0 for "changes after now".
    public var startRevision: Int64
    /// Report each key's previous value with its events.
    public var prevKV: Bool
    /// Leave out PUT events.
    public var noPut: Bool
    /// Leave out DELETE events.
    public var noDelete: Bool

    /// Creates a watch request.
    public init(
        key: some EtcdBytes,
        rangeEnd: (any EtcdBytes)? = nil,
        startRevision: Int64 = 0,
        prevKV: Bool = false,
        noPut: Bool = false,
        noDelete: Bool = false
    ) {
        self.key = key.etcdBytes
        self.rangeEnd = rangeEnd?.etcdBytes
        self.startRevision = startRevision
        self.prevKV = prevKV
        self.noPut = noPut
        self.noDelete = noDelete
    }

    /// The request body that opens this watch at `startRevision` (0 for "now").
    func body(startRevision: Int64) throws -> [UInt8] {
        var filters: [String] = []
        if noPut { filters.append("NOPUT") }
        if noDelete { filters.append("NODELETE") }
        let create = WireWatchCreate(
            key: WireBytes(key),
            rangeEnd: rangeEnd.map(WireBytes.init),
            startRevision: startRevision > 0 ? WireInt64(startRevision) : nil,
            filters: filters.isEmpty ? nil : filters,
            prevKv: prevKV ? true : nil
        )
        return try GatewayJSON.encode(WireWatchRequest(createRequest: create))
    }
}

/// How a watch survives a dropped stream (etcd restarted, connection reset).
public struct WatchRetryPolicy: Sendable, Equatable {
    /// How many reconnections in a row may fail before the watch throws
    /// ``EtcdError/unreachable(endpoints:)``; the count restarts once a stream is established.
    public var maxAttempts: Int
    /// The pause before the first reconnection; it doubles with every failed one.
    public var initialBackoff: Duration
    /// The longest pause between reconnections.
    public var maxBackoff: Duration

    /// Creates a policy; the default rides out about 10 s of outage.
    public init(maxAttempts: Int = 8, initialBackoff: Duration = .milliseconds(100), maxBackoff: Duration = .seconds(2)) {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }

    /// The pause before reconnection number `attempt` (1-based).
    func backoff(attempt: Int) -> Duration {
        var pause = initialBackoff
        for _ in 1..<max(1, attempt) where pause < maxBackoff {
            pause *= 2
        }
        return min(pause, maxBackoff)
    }
}

struct WireWatchRequest: Encodable {
    var createRequest: WireWatchCreate
}

struct WireWatchCreate: Encodable {
    var key: WireBytes
    var rangeEnd: WireBytes?
    var startRevision: WireInt64?
    var filters: [String]?
    var prevKv: Bool?
}

struct WireWatchResponse: Decodable {
    var header: WireHeader?
    var created: Bool?
    var canceled: Bool?
    var compactRevision: WireInt64?
    var cancelReason: String?
    var events: [WireEvent]?
}

struct WireEvent: Decodable {
    var type: String?
    var kv: WireKeyValue?
    var prevKv: WireKeyValue?

    var typed: WatchEvent {
        // PUT is the enum's default (0), so the gateway leaves `type` out for it.
        WatchEvent(kind: type == "DELETE" ? .delete : .put, kv: kv?.typed ?? WireKeyValue().typed, prevKV: prevKv?.typed)
    }
}

typealias WireWatchLine = WireStreamLine<WireWatchResponse>
