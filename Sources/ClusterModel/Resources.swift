/// An amount of the two resources Titan schedules: CPU and memory.
///
/// Used both as a job's request and as a node's capacity or allocation. Arithmetic is plain
/// `Int64` arithmetic; callers keep amounts non-negative (admission rejects negative requests).
public struct Resources: Hashable, Sendable, Codable {
    /// CPU in millicores: `1000` is one full core.
    public var cpuMillis: Int64

    /// Memory in bytes.
    public var memoryBytes: Int64

    /// Creates an amount of resources.
    public init(cpuMillis: Int64, memoryBytes: Int64) {
        self.cpuMillis = cpuMillis
        self.memoryBytes = memoryBytes
    }

    /// No CPU and no memory.
    public static let zero = Resources(cpuMillis: 0, memoryBytes: 0)

    /// What a job gets when its spec asks for nothing: a tenth of a core and 64 MiB.
    public static let defaultRequest = Resources(cpuMillis: 100, memoryBytes: 64 << 20)

    /// Whether both amounts are zero or positive.
    public var isNonNegative: Bool {
        self.cpuMillis >= 0 && self.memoryBytes >= 0
    }

    /// Whether this amount fits in `available`, resource by resource.
    public func fits(in available: Resources) -> Bool {
        self.cpuMillis <= available.cpuMillis && self.memoryBytes <= available.memoryBytes
    }

    /// The sum, resource by resource.
    public static func + (lhs: Resources, rhs: Resources) -> Resources {
        Resources(cpuMillis: lhs.cpuMillis + rhs.cpuMillis, memoryBytes: lhs.memoryBytes + rhs.memoryBytes)
    }

    /// The difference, resource by resource.
    public static func - (lhs: Resources, rhs: Resources) -> Resources {
        Resources(cpuMillis: lhs.cpuMillis - rhs.cpuMillis, memoryBytes: lhs.memoryBytes - rhs.memoryBytes)
    }

    /// Adds `rhs` to `lhs`, resource by resource.
    public static func += (lhs: inout Resources, rhs: Resources) {
        lhs = lhs + rhs
    }

    /// Subtracts `rhs` from `lhs`, resource by resource.
    public static func -= (lhs: inout Resources, rhs: Resources) {
        lhs = lhs - rhs
    }
}

extension Resources: CustomStringConvertible {
    /// A compact form for logs and the CLI, e.g. `cpu=500m mem=268435456B`.
    public var description: String {
        "cpu=\(self.cpuMillis)m mem=\(self.memoryBytes)B"
    }
}
