/// How a range sorts its keys.
public enum SortOrder: String, Sendable, Equatable {
    /// etcd's order: ascending by key.
    case none = "NONE"
    /// Ascending by the sort target.
    case ascend = "ASCEND"
    /// Descending by the sort target.
    case descend = "DESCEND"
}

/// What a range sorts by.
public enum SortTarget: String, Sendable, Equatable {
    /// The key bytes.
    case key = "KEY"
    /// The key's version.
    case version = "VERSION"
    /// The key's create revision.
    case create = "CREATE"
    /// The key's mod revision.
    case mod = "MOD"
    /// The value bytes.
    case value = "VALUE"
}

/// A read of one key, or of the keys in `[key, rangeEnd)`.
public struct RangeRequest: Sendable, Equatable {
    /// The key, or the first key of the range.
    public var key: [UInt8]
    /// The end of the range (exclusive); `nil` reads the single key `key`.
    public var rangeEnd: [UInt8]?
    /// The most keys to return; 0 for no limit.
    public var limit: Int64
    /// The revision to read at; 0 for the newest.
    public var revision: Int64
    /// Leave the values out.
    public var keysOnly: Bool
    /// Return only the count of matching keys.
    public var countOnly: Bool
    /// The order of the keys returned.
    public var sortOrder: SortOrder
    /// What the keys are sorted by.
    public var sortTarget: SortTarget
    /// Read from the answering member's local state without a quorum round (may be stale).
    public var serializable: Bool

    /// Creates a range request; every option defaults to etcd's default.
    public init(
        key: some EtcdBytes,
        rangeEnd: (any EtcdBytes)? = nil,
        limit: Int64 = 0,
        revision: Int64 = 0,
        keysOnly: Bool = false,
        countOnly: Bool = false,
        sortOrder: SortOrder = .none,
        sortTarget: SortTarget = .key,
        serializable: Bool = false
    ) {
        self.key = key.etcdBytes
        self.rangeEnd = rangeEnd?.etcdBytes
        self.limit = limit
        self.revision = revision
        self.keysOnly = keysOnly
        self.countOnly = countOnly
        self.sortOrder = sortOrder
        self.sortTarget = sortTarget
        self.serializable = serializable
    }
}

/// A write of one key.
public struct PutRequest: Sendable, Equatable {
    /// The key.
    public var key: [UInt8]
    /// The new value.
    public var value: [UInt8]
    /// The lease to attach the key to; 0 for none (the key then lives until deleted).
    public var lease: Int64
    /// Return the key's previous value in the response.
    public var prevKV: Bool

    /// Creates a put request.
    public init(key: some EtcdBytes, value: some EtcdBytes, lease: Int64 = 0, prevKV: Bool = false) {
        self.key = key.etcdBytes
        self.value = value.etcdBytes
        self.lease = lease
        self.prevKV = prevKV
    }
}

/// A delete of one key, or of the keys in `[key, rangeEnd)`.
public struct DeleteRangeRequest: Sendable, Equatable {
    /// The key, or the first key of the range.
    public var key: [UInt8]
    /// The end of the range (exclusive); `nil` deletes the single key `key`.
    public var rangeEnd: [UInt8]?
    /// Return the deleted key-value pairs in the response.
    public var prevKV: Bool

    /// Creates a delete request.
    public init(key: some EtcdBytes, rangeEnd: (any EtcdBytes)? = nil, prevKV: Bool = false) {
        self.key = key.etcdBytes
        self.rangeEnd = rangeEnd?.etcdBytes
        self.prevKV = prevKV
    }
}
