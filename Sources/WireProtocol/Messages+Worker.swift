import ClusterModel
import NIOCore

/// `Assign` (0x0301, server to worker): run this attempt of a job.
///
/// The worker reports on it with `Started` and `Exited` carrying the same epoch.
public struct Assign: Hashable, Sendable, WirePayload {
    /// The job.
    public var jobID: JobID
    /// The attempt number, from 1.
    public var attempt: UInt32
    /// The assignment's fencing epoch.
    public var epoch: Epoch
    /// What to run.
    public var spec: JobSpec

    /// Creates an assignment.
    public init(jobID: JobID, attempt: UInt32, epoch: Epoch, spec: JobSpec) {
        self.jobID = jobID
        self.attempt = attempt
        self.epoch = epoch
        self.spec = spec
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        try buffer.writeWireID(self.jobID.rawValue, field: "Assign.jobID")
        buffer.writeInteger(self.attempt)
        buffer.writeInteger(self.epoch.rawValue)
        try buffer.writeWireJobSpec(self.spec)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.jobID = JobID(try reader.readID("Assign.jobID"))
        self.attempt = try reader.readInteger("Assign.attempt")
        self.epoch = Epoch(try reader.readInteger("Assign.epoch"))
        self.spec = try reader.readJobSpec()
    }
}

/// `Cancel` (0x0302, server to worker): kill the job's container or process if it runs under
/// this epoch (or any older one). Also the answer to a report with a stale epoch.
public struct Cancel: Hashable, Sendable, WirePayload {
    /// The job.
    public var jobID: JobID
    /// The epoch to kill.
    public var epoch: Epoch

    /// Creates a cancellation.
    public init(jobID: JobID, epoch: Epoch) {
        self.jobID = jobID
        self.epoch = epoch
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        try buffer.writeWireID(self.jobID.rawValue, field: "Cancel.jobID")
        buffer.writeInteger(self.epoch.rawValue)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.jobID = JobID(try reader.readID("Cancel.jobID"))
        self.epoch = Epoch(try reader.readInteger("Cancel.epoch"))
    }
}

/// `Started` (0x0303, worker to server): the job of this epoch is running.
public struct Started: Hashable, Sendable, WirePayload {
    /// The job.
    public var jobID: JobID
    /// The epoch of the `Assign` that started it.
    public var epoch: Epoch

    /// Creates a report.
    public init(jobID: JobID, epoch: Epoch) {
        self.jobID = jobID
        self.epoch = epoch
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        try buffer.writeWireID(self.jobID.rawValue, field: "Started.jobID")
        buffer.writeInteger(self.epoch.rawValue)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.jobID = JobID(try reader.readID("Started.jobID"))
        self.epoch = Epoch(try reader.readInteger("Started.epoch"))
    }
}

/// `Exited` (0x0304, worker to server): the job of this epoch has ended.
public struct Exited: Hashable, Sendable, WirePayload {
    /// The job.
    public var jobID: JobID
    /// The epoch of the `Assign` that started it.
    public var epoch: Epoch
    /// The exit code; `-1` if the job never started (the reason says why), `128 + n` if killed
    /// by signal `n`.
    public var exitCode: Int32
    /// Whether the kernel's OOM killer ended the job.
    public var oomKilled: Bool
    /// Why the job ended, for a person (`timed out after 60 s`, `image not found`); may be empty.
    public var reason: String
    /// Whether the infrastructure, not the job, ended the attempt (its container engine went
    /// away under it): the server runs it again against the job's node-loss budget.
    public var lostByInfrastructure: Bool

    /// Creates a report.
    public init(jobID: JobID, epoch: Epoch, exitCode: Int32, oomKilled: Bool = false, reason: String = "", lostByInfrastructure: Bool = false) {
        self.jobID = jobID
        self.epoch = epoch
        self.exitCode = exitCode
        self.oomKilled = oomKilled
        self.reason = reason
        self.lostByInfrastructure = lostByInfrastructure
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        try buffer.writeWireID(self.jobID.rawValue, field: "Exited.jobID")
        buffer.writeInteger(self.epoch.rawValue)
        buffer.writeInteger(self.exitCode)
        buffer.writeWireBool(self.oomKilled)
        try buffer.writeWireString(self.reason, field: "Exited.reason", limit: WireLimits.maxMessageBytes)
        buffer.writeWireBool(self.lostByInfrastructure)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.jobID = JobID(try reader.readID("Exited.jobID"))
        self.epoch = Epoch(try reader.readInteger("Exited.epoch"))
        self.exitCode = try reader.readInteger("Exited.exitCode")
        self.oomKilled = try reader.readBool("Exited.oomKilled")
        self.reason = try reader.readString("Exited.reason", limit: WireLimits.maxMessageBytes)
        // Appended: a worker that predates it ends the payload here.
        self.lostByInfrastructure = reader.remainingBytes > 0 ? try reader.readBool("Exited.lostByInfrastructure") : false
    }
}

/// `ReportAck` (0x0308, server to worker): the `Exited` of this epoch is durable in etcd, or
/// was refused as stale; either way the worker stops re-sending it.
///
/// A worker keeps every `Exited` until it is acknowledged and sends the unacknowledged ones
/// again after each reconnect, so an outcome survives a leader that dies before recording it.
public struct ReportAck: Hashable, Sendable, WirePayload {
    /// The job.
    public var jobID: JobID
    /// The epoch of the acknowledged `Exited`.
    public var epoch: Epoch

    /// Creates an acknowledgement.
    public init(jobID: JobID, epoch: Epoch) {
        self.jobID = jobID
        self.epoch = epoch
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        try buffer.writeWireID(self.jobID.rawValue, field: "ReportAck.jobID")
        buffer.writeInteger(self.epoch.rawValue)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.jobID = JobID(try reader.readID("ReportAck.jobID"))
        self.epoch = Epoch(try reader.readInteger("ReportAck.epoch"))
    }
}

/// `Synced` (0x0309, worker to server): on this session the worker has now reported every
/// attempt it holds (a `Started` for each that runs, an `Exited` for each whose outcome is not
/// yet acknowledged). Sent once per session, right after that replay.
///
/// The server then knows which of the jobs it records as running on the node the worker no
/// longer has (its process restarted under the same lease and could not adopt them) and runs
/// them again as new attempts.
public struct Synced: Hashable, Sendable, WirePayload {
    /// How many attempts the worker reported in its replay (for logs; the server does not trust it).
    public var held: UInt32

    /// Creates the marker.
    public init(held: UInt32) {
        self.held = held
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.held)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.held = try reader.readInteger("Synced.held")
    }
}
