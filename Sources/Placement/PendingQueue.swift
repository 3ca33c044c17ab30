import ClusterModel

/// Jobs waiting for capacity, ordered by priority (highest first) and then by submission order.
///
/// ``drain(_:)`` offers every waiting job to a placement function in that order and skips the
/// ones that do not fit, so one huge job never blocks the small jobs behind it. A job whose
/// request is at least as large (same runtime and selector) as one that just failed is skipped
/// without asking, which keeps a retry cheap when thousands of identical jobs wait.
public struct PendingQueue: Sendable {
    /// One waiting job.
    public struct Entry: Hashable, Sendable {
        /// The job.
        public var id: JobID
        /// Its priority; higher is placed first.
        public var priority: Int32
        /// Submission order, unique and increasing; earlier is placed first among equals.
        public var sequence: UInt64
        /// What it needs.
        public var request: PlacementRequest

        /// Creates an entry.
        public init(id: JobID, priority: Int32, sequence: UInt64, request: PlacementRequest) {
            self.id = id
            self.priority = priority
            self.sequence = sequence
            self.request = request
        }

        fileprivate func precedes(_ other: Entry) -> Bool {
            priority != other.priority ? priority > other.priority : sequence < other.sequence
        }
    }

    private var entries: [Entry] = []
    private var members: Set<JobID> = []

    /// Creates an empty queue.
    public init() {}

    /// How many jobs wait.
    public var count: Int { entries.count }

    /// True when no job waits.
    public var isEmpty: Bool { entries.isEmpty }

    /// Whether `id` waits here.
    public func contains(_ id: JobID) -> Bool { members.contains(id) }

    /// The waiting jobs in placement order.
    public var ordered: [Entry] { entries }

    /// Adds a job in its place; a job already queued is left where it is.
    public mutating func insert(_ entry: Entry) {
        guard members.insert(entry.id).inserted else { return }
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].precedes(entry) { low = middle + 1 } else { high = middle }
        }
        entries.insert(entry, at: low)
    }

    /// Removes a job (cancelled, say); true if it was queued.
    @discardableResult
    public mutating func remove(_ id: JobID) -> Bool {
        guard members.remove(id) != nil else { return false }
        entries.removeAll { $0.id == id }
        return true
    }

    /// Offers each waiting job, in order, to `tryPlace`, and removes those it placed (returned
    /// true for). Returns the placed jobs in the order they were placed.
    public mutating func drain(_ tryPlace: (Entry) -> Bool) -> [Entry] {
        var placed: [Entry] = []
        var kept: [Entry] = []
        kept.reserveCapacity(entries.count)
        // Requests that failed in this pass; bounded so that a queue of many shapes stays linear.
        var failed: [PlacementRequest] = []
        for entry in entries {
            let hopeless = failed.contains { entry.request.isAtLeast($0) }
            if !hopeless, tryPlace(entry) {
                placed.append(entry)
                members.remove(entry.id)
            } else {
                kept.append(entry)
                if !hopeless, failed.count < 64 { failed.append(entry.request) }
            }
        }
        entries = kept
        return placed
    }
}

extension PlacementRequest {
    /// True when this request cannot fit where `other` did not: same runtime and selector, and
    /// at least as much of every resource.
    func isAtLeast(_ other: PlacementRequest) -> Bool {
        runtime == other.runtime && nodeSelector == other.nodeSelector
            && resources.cpuMillis >= other.resources.cpuMillis
            && resources.memoryBytes >= other.resources.memoryBytes
    }
}
