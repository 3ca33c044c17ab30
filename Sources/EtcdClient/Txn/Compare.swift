/// How a ``Compare`` relates the key's current field to the given value.
public enum CompareResult: String, Sendable, Equatable {
    /// The field equals the value.
    case equal = "EQUAL"
    /// The field is greater than the value.
    case greater = "GREATER"
    /// The field is less than the value.
    case less = "LESS"
    /// The field differs from the value.
    case notEqual = "NOT_EQUAL"
}

/// The field of a key a ``Compare`` looks at, with the value to compare it to.
public enum CompareTarget: Sendable, Equatable {
    /// The key's version (0 when the key does not exist).
    case version(Int64)
    /// The key's create revision (0 when the key does not exist).
    case createRevision(Int64)
    /// The key's mod revision (0 when the key does not exist).
    case modRevision(Int64)
    /// The key's value.
    case value([UInt8])
    /// The key's lease id (0 for none).
    case lease(Int64)
}

/// One condition of a txn: a field of `key` (or of every key in `[key, rangeEnd)`) compared
/// to a value.
public struct Compare: Sendable, Equatable {
    /// The key compared.
    public var key: [UInt8]
    /// With a range end, the compare must hold for every key in `[key, rangeEnd)`.
    public var rangeEnd: [UInt8]?
    /// The field and the value it is compared to.
    public var target: CompareTarget
    /// The relation that must hold.
    public var result: CompareResult

    /// Creates a compare of `key`'s `target` field by `result`.
    public init(key: some EtcdBytes, rangeEnd: (any EtcdBytes)? = nil, _ target: CompareTarget, _ result: CompareResult) {
        self.key = key.etcdBytes
        self.rangeEnd = rangeEnd?.etcdBytes
        self.target = target
        self.result = result
    }

    /// Holds when `key` does not exist (its create revision is 0): create-if-absent.
    public static func keyMissing(_ key: some EtcdBytes) -> Compare {
        Compare(key: key, .createRevision(0), .equal)
    }

    /// Holds when `key` exists.
    public static func keyExists(_ key: some EtcdBytes) -> Compare {
        Compare(key: key, .createRevision(0), .greater)
    }

    /// Holds when `key` was last modified at `revision`: compare-and-swap.
    public static func modRevision(_ key: some EtcdBytes, _ result: CompareResult = .equal, _ revision: Int64) -> Compare {
        Compare(key: key, .modRevision(revision), result)
    }

    /// Holds when `key` was created at `revision`.
    public static func createRevision(_ key: some EtcdBytes, _ result: CompareResult = .equal, _ revision: Int64) -> Compare {
        Compare(key: key, .createRevision(revision), result)
    }

    /// Holds when `key`'s version relates to `version` by `result`.
    public static func version(_ key: some EtcdBytes, _ result: CompareResult = .equal, _ version: Int64) -> Compare {
        Compare(key: key, .version(version), result)
    }

    /// Holds when `key`'s value relates to `value` by `result`.
    public static func value(_ key: some EtcdBytes, _ result: CompareResult = .equal, _ value: some EtcdBytes) -> Compare {
        Compare(key: key, .value(value.etcdBytes), result)
    }

    /// Holds when `key` is attached to `lease` (compared by `result`).
    public static func lease(_ key: some EtcdBytes, _ result: CompareResult = .equal, _ lease: Int64) -> Compare {
        Compare(key: key, .lease(lease), result)
    }
}
