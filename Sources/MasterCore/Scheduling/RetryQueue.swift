import ClusterModel

/// Pending jobs that wait out a retry delay, ordered by the time each may be placed again.
///
/// A sorted array: inserting and taking the due ones are a binary search and a move of the
/// entries after it, cheap even with tens of thousands of crash-looping jobs; removing one
/// (a cancel) is a scan. Bounded by the number of live jobs.
public struct RetryQueue: Sendable, Equatable {
    private var entries: [(at: UnixMillis, id: JobID)] = []

    /// Creates an empty queue.
    public init() {}

    /// How many jobs wait.
    public var count: Int { entries.count }

    /// The earliest time a waiting job may be placed; `nil` when none waits.
    public var next: UnixMillis? { entries.first?.at }

    /// Whether `id` waits here.
    public func contains(_ id: JobID) -> Bool {
        entries.contains { $0.id == id }
    }

    /// Adds `id`, to be placed no earlier than `at` (replacing an earlier entry of it).
    public mutating func insert(_ id: JobID, at: UnixMillis) {
        remove(id)
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].at <= at { low = middle + 1 } else { high = middle }
        }
        entries.insert((at, id), at: low)
    }

    /// Removes `id` if it waits.
    public mutating func remove(_ id: JobID) {
        entries.removeAll { $0.id == id }
    }

    /// Removes and returns the jobs whose time has come by `now`, earliest first.
    public mutating func takeDue(now: UnixMillis) -> [JobID] {
        let due = entries.prefix { $0.at <= now }.map(\.id)
        entries.removeFirst(due.count)
        return due
    }

    public static func == (lhs: RetryQueue, rhs: RetryQueue) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.at == $1.at && $0.id == $1.id }
    }
}
