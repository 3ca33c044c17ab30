/// The etcd layout of Titan v1: one place that spells every key.
public enum Keys {
    /// Everything Titan v1 stores lives under this prefix.
    public static let root = "/titan/v1/"
    /// Prefix of job records.
    public static let jobs = "/titan/v1/jobs/"
    /// Prefix of node records (each under its worker's lease).
    public static let nodes = "/titan/v1/nodes/"
    /// The leader key (under the leader's lease).
    public static let leader = "/titan/v1/leader"
    /// Prefix of archived log batches.
    public static let logs = "/titan/v1/logs/"
    /// Prefix of the drains users asked for (`titan-cli drain`), one JSON ``NodeDrain`` per node,
    /// written by the leader (fenced) and kept until `titan-cli uncordon`.
    public static let drains = "/titan/v1/drains/"

    /// The record of job `id`.
    public static func job(_ id: JobID) -> String { jobs + id.rawValue }

    /// The record of node `id`.
    public static func node(_ id: NodeID) -> String { nodes + id.rawValue }

    /// The drain of node `id`, if a user drained it.
    public static func drain(_ id: NodeID) -> String { drains + id.rawValue }

    /// Prefix of every archived log batch of job `id`.
    public static func logs(of id: JobID) -> String { logs + id.rawValue + "/" }

    /// Prefix of the archived log batches of one attempt (zero-padded, so keys sort by attempt).
    public static func logs(of id: JobID, attempt: UInt32) -> String {
        logs(of: id) + padded(UInt64(attempt), width: 10) + "/"
    }

    /// The archive batch of an attempt whose first chunk is `firstSeq` (zero-padded: keys sort
    /// by seq).
    public static func logBatch(of id: JobID, attempt: UInt32, firstSeq: UInt64) -> String {
        logs(of: id, attempt: attempt) + padded(firstSeq, width: 20)
    }

    /// The marker of an attempt whose archive reached its cap: the number of output bytes cut,
    /// in decimal. Sorts after every batch of the attempt.
    public static func logCut(of id: JobID, attempt: UInt32) -> String {
        logs(of: id, attempt: attempt) + "cut"
    }

    private static func padded(_ value: UInt64, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// The job id in a job key, or nil for a key outside the jobs prefix.
    public static func jobID(fromKey key: [UInt8]) -> JobID? {
        let text = String(decoding: key, as: UTF8.self)
        guard text.hasPrefix(jobs), text.count > jobs.count else { return nil }
        return JobID(String(text.dropFirst(jobs.count)))
    }

    /// The node id in a node key, or nil for a key outside the nodes prefix.
    public static func nodeID(fromKey key: [UInt8]) -> NodeID? {
        nodeID(fromKey: key, under: nodes)
    }

    /// The node id in a drain key, or nil for a key outside the drains prefix.
    public static func drainedNodeID(fromKey key: [UInt8]) -> NodeID? {
        nodeID(fromKey: key, under: drains)
    }

    private static func nodeID(fromKey key: [UInt8], under prefix: String) -> NodeID? {
        let text = String(decoding: key, as: UTF8.self)
        guard text.hasPrefix(prefix), text.count > prefix.count else { return nil }
        return NodeID(String(text.dropFirst(prefix.count)))
    }
}
