import Foundation

/// Anything that can stand for an etcd key or value: the raw bytes, or a UTF-8 string.
public protocol EtcdBytes: Sendable {
    /// The bytes etcd stores.
    var etcdBytes: [UInt8] { get }
}

extension String: EtcdBytes {
    /// The string's UTF-8 bytes.
    public var etcdBytes: [UInt8] { Array(utf8) }
}

extension Substring: EtcdBytes {
    /// The substring's UTF-8 bytes.
    public var etcdBytes: [UInt8] { Array(utf8) }
}

extension Array: EtcdBytes where Element == UInt8 {
    /// The bytes themselves.
    public var etcdBytes: [UInt8] { self }
}

extension Data: EtcdBytes {
    /// The data's bytes.
    public var etcdBytes: [UInt8] { [UInt8](self) }
}

/// The header etcd puts on every response: who answered, and the store revision at that time.
public struct ResponseHeader: Sendable, Equatable, Hashable {
    /// The cluster's id.
    public var clusterID: UInt64
    /// The id of the member that answered.
    public var memberID: UInt64
    /// The key-value store's revision when the request was applied (0 when not sent).
    public var revision: Int64
    /// The raft term of the member that answered.
    public var raftTerm: UInt64

    /// Creates a header.
    public init(clusterID: UInt64, memberID: UInt64, revision: Int64, raftTerm: UInt64) {
        self.clusterID = clusterID
        self.memberID = memberID
        self.revision = revision
        self.raftTerm = raftTerm
    }
}

/// One key and its value, with the revisions that describe its history.
public struct KeyValue: Sendable, Equatable, Hashable {
    /// The key's bytes.
    public var key: [UInt8]
    /// The value's bytes (empty for a `keysOnly` read or a delete event).
    public var value: [UInt8]
    /// The revision of the last creation of this key.
    public var createRevision: Int64
    /// The revision of the last modification of this key.
    public var modRevision: Int64
    /// The number of modifications since creation (1 for a new key; 0 once deleted).
    public var version: Int64
    /// The lease the key is attached to, 0 for none.
    public var lease: Int64

    /// Creates a key-value pair.
    public init(key: [UInt8], value: [UInt8], createRevision: Int64, modRevision: Int64, version: Int64, lease: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }

    /// The key decoded as UTF-8 (invalid sequences are replaced).
    public var keyString: String { String(decoding: key, as: UTF8.self) }

    /// The value decoded as UTF-8 (invalid sequences are replaced).
    public var valueString: String { String(decoding: value, as: UTF8.self) }
}

/// The first key after every key that starts with `prefix`: the `rangeEnd` of a prefix query.
///
/// `"/jobs/"` gives `"/jobs0"`; a trailing `0xff` is dropped and the byte before it is
/// incremented; a prefix of only `0xff` bytes (or an empty one) gives `[0]`, which etcd reads as
/// "every key at or after `key`".
public func prefixEnd(_ prefix: some EtcdBytes) -> [UInt8] {
    var end = prefix.etcdBytes
    while let last = end.last {
        if last < 0xff {
            end[end.count - 1] = last + 1
            return end
        }
        end.removeLast()
    }
    return [0]
}
