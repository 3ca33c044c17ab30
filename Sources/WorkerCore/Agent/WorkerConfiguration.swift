import ClusterModel
import Foundation

/// Everything a worker needs, from its flags.
public struct WorkerConfiguration: Sendable {
    /// This node's id (unique in the cluster).
    public var nodeID: NodeID
    /// etcd client URLs.
    public var etcdEndpoints: [String]
    /// A fixed master address; nil finds the leader in etcd.
    public var masterAddress: String?
    /// The cluster token.
    public var token: [UInt8]
    /// What this node offers to jobs.
    public var capacity: Resources
    /// Labels jobs can select on.
    public var labels: [String: String]
    /// TTL of the node lease, in seconds: how long after a crash the node counts as alive.
    public var leaseTTLSeconds: Int64
    /// Where exec jobs get their working directories.
    public var workRoot: String

    /// Creates a configuration.
    public init(
        nodeID: NodeID,
        etcdEndpoints: [String],
        masterAddress: String?,
        token: [UInt8],
        capacity: Resources,
        labels: [String: String],
        leaseTTLSeconds: Int64,
        workRoot: String
    ) {
        self.nodeID = nodeID
        self.etcdEndpoints = etcdEndpoints
        self.masterAddress = masterAddress
        self.token = token
        self.capacity = capacity
        self.labels = labels
        self.leaseTTLSeconds = leaseTTLSeconds
        self.workRoot = workRoot
    }

    /// This host's capacity: every online core and all physical memory.
    public static func detectedCapacity() -> Resources {
        Resources(
            cpuMillis: Int64(ProcessInfo.processInfo.activeProcessorCount) * 1000,
            memoryBytes: Int64(ProcessInfo.processInfo.physicalMemory)
        )
    }
}
