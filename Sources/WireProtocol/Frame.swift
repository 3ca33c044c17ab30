import ClusterModel
import NIOCore

/// The bounds of protocol v1. Each is explained in `Protocol/README.md` (§ Bounds).
///
/// Every length and count the decoder reads is checked against one of these *before* it reserves
/// memory or waits for bytes, so a peer announcing a huge value costs nothing.
public enum WireLimits {
    /// The protocol version this module speaks.
    public static let protocolVersion: UInt16 = 1
    /// The size of a frame header: `u32` length + `u16` message type.
    public static let frameHeaderSize = 6
    /// The largest allowed value of a frame's length field (type + payload): 4 MiB.
    public static let maxFrameLength = 4 << 20
    /// The smallest allowed value of a frame's length field: the 2 bytes of the message type.
    public static let minFrameLength = 2

    /// Bytes of a `JobID` or `NodeID` (and of a server id): 1 to 128.
    public static let maxIDBytes = 128
    // Job spec fields: each bound is at least the admission bound of `JobSpec.validate()`
    // (`JobSpecLimits`), so every spec the leader would accept can be sent; a test checks it.
    /// Bytes of a job name.
    public static let maxNameBytes = 256
    /// Bytes of a container image reference.
    public static let maxImageBytes = 1024
    /// Arguments in an argv command.
    public static let maxArgvCount = 1024
    /// Bytes of one argument (`str32`, since it may reach 64 KiB).
    public static let maxArgBytes = 64 << 10
    /// Bytes of a script command.
    public static let maxScriptBytes = 128 << 10
    /// Environment variables of a job.
    public static let maxEnvCount = 1024
    /// Bytes of an environment variable name.
    public static let maxEnvKeyBytes = 256
    /// Bytes of an environment variable value.
    public static let maxEnvValueBytes = 32 << 10
    /// Entries of a job's label map and of its node selector.
    public static let maxJobLabelCount = 64
    /// Bytes of a job label or node selector key.
    public static let maxJobLabelKeyBytes = 256
    /// Bytes of a job label or node selector value.
    public static let maxJobLabelValueBytes = 8 << 10
    /// Bytes of an encoded `JobSpec` record, its length prefix excluded: 1 MiB. Each field is
    /// bounded on its own; this bounds their sum.
    public static let maxJobSpecBytes = 1 << 20
    /// Entries of a node's label map.
    public static let maxNodeLabelCount = 32
    /// Bytes of a node label key.
    public static let maxNodeLabelKeyBytes = 64
    /// Bytes of a node label value.
    public static let maxNodeLabelValueBytes = 64
    /// Bytes of a `JobStatus`, `JobSummary` or `NodeStatus` record, its length prefix excluded.
    public static let maxSmallRecordBytes = 16 << 10
    /// Jobs in one `SubmitJobs` (and results in one `SubmitResult`).
    public static let maxSubmitBatch = 1024
    /// Jobs in one `JobList`; also the largest `ListJobs` limit a server honours.
    public static let maxListJobs = 1000
    /// Nodes in one `NodeList`.
    public static let maxListNodes = 512
    /// Job ids in one `WatchJobs`.
    public static let maxWatchJobs = 1024
    /// Bytes of a human-readable message: a job status message, a rejection, an exit reason.
    public static let maxMessageBytes = JobStatus.maxMessageBytes
    /// Ended attempts in one `JobInfo`: a job record keeps no more.
    public static let maxAttemptRecords = AttemptRecord.historyLimit
    /// Bytes of the message of an `Error`.
    public static let maxErrorMessageBytes = 4096
    /// Bytes of a node address.
    public static let maxAddressBytes = 256
    /// Bytes of a node's software version string.
    public static let maxVersionBytes = 64
    /// Uncompressed bytes of one log chunk: 64 KiB.
    public static let maxLogChunkUncompressedBytes = 64 << 10
    /// Compressed bytes of one log chunk: 64 KiB plus 1 KiB for the LZ4 frame's overhead on
    /// incompressible data (a 64 KiB block stored raw plus headers is 64 KiB + 31 bytes).
    public static let maxLogChunkDataBytes = (64 << 10) + 1024
    /// Bytes of the server nonce and of the `Hello` MAC (HMAC-SHA256).
    public static let nonceBytes = 32
    /// Bytes of the `Hello` MAC (HMAC-SHA256 output).
    public static let macBytes = 32
}

/// The `u16` message type of a frame.
///
/// A struct so that a frame of a type unknown to this version can still be represented, skipped
/// and answered (`Protocol/README.md`, § Compatibility).
public struct WireMessageType: RawRepresentable, Hashable, Sendable {
    /// The type on the wire.
    public var rawValue: UInt16

    /// Wraps a type as read from the wire.
    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    // 0x00xx: connection.
    /// `Error`: a refused request or a protocol violation.
    public static let error = WireMessageType(rawValue: 0x0001)
    /// `ServerHello`: the server's first frame (version, nonce).
    public static let serverHello = WireMessageType(rawValue: 0x0002)
    /// `Hello`: the client's or worker's answer to `ServerHello`.
    public static let hello = WireMessageType(rawValue: 0x0003)
    /// `Welcome`: the server accepted the `Hello`.
    public static let welcome = WireMessageType(rawValue: 0x0004)
    /// `Ping`: a liveness probe, either direction.
    public static let ping = WireMessageType(rawValue: 0x0005)
    /// `Pong`: the answer to a `Ping`.
    public static let pong = WireMessageType(rawValue: 0x0006)

    // 0x01xx: client requests.
    /// `SubmitJobs`: a batch of job specs.
    public static let submitJobs = WireMessageType(rawValue: 0x0101)
    /// `GetJob`: one job in full.
    public static let getJob = WireMessageType(rawValue: 0x0102)
    /// `ListJobs`: a filtered page of job summaries.
    public static let listJobs = WireMessageType(rawValue: 0x0103)
    /// `CancelJob`: cancel one job.
    public static let cancelJob = WireMessageType(rawValue: 0x0104)
    /// `ListNodes`: every node.
    public static let listNodes = WireMessageType(rawValue: 0x0105)
    /// `FollowLogs`: a job's log chunks, from a sequence number on.
    public static let followLogs = WireMessageType(rawValue: 0x0106)
    /// `WatchJobs`: a subscription to job state changes.
    public static let watchJobs = WireMessageType(rawValue: 0x0107)
    /// `DrainNode`: the node takes no new jobs; its jobs move at an optional deadline.
    public static let drainNode = WireMessageType(rawValue: 0x0108)
    /// `UncordonNode`: the node takes new jobs again.
    public static let uncordonNode = WireMessageType(rawValue: 0x0109)

    // 0x02xx: responses and pushes to clients.
    /// `SubmitResult`: one result per submitted job.
    public static let submitResult = WireMessageType(rawValue: 0x0201)
    /// `JobInfo`: the answer to `GetJob`.
    public static let jobInfo = WireMessageType(rawValue: 0x0202)
    /// `JobList`: the answer to `ListJobs`.
    public static let jobList = WireMessageType(rawValue: 0x0203)
    /// `CancelResult`: the answer to `CancelJob`.
    public static let cancelResult = WireMessageType(rawValue: 0x0204)
    /// `NodeList`: the answer to `ListNodes`.
    public static let nodeList = WireMessageType(rawValue: 0x0205)
    /// `Subscribed`: a `FollowLogs` or `WatchJobs` subscription is live.
    public static let subscribed = WireMessageType(rawValue: 0x0206)
    /// `JobEvent`: a pushed job state change.
    public static let jobEvent = WireMessageType(rawValue: 0x0207)
    /// `DrainResult`: the answer to `DrainNode` and `UncordonNode`.
    public static let drainResult = WireMessageType(rawValue: 0x0208)

    // 0x03xx: worker session and logs.
    /// `Assign`: run this job (server to worker).
    public static let assign = WireMessageType(rawValue: 0x0301)
    /// `Cancel`: kill this job (server to worker).
    public static let cancel = WireMessageType(rawValue: 0x0302)
    /// `Started`: the job started (worker to server).
    public static let started = WireMessageType(rawValue: 0x0303)
    /// `Exited`: the job exited (worker to server).
    public static let exited = WireMessageType(rawValue: 0x0304)
    /// `LogChunk`: compressed output (worker to server, server to follower).
    public static let logChunk = WireMessageType(rawValue: 0x0305)
    /// `LogAck`: chunks up to a sequence number are durable (server to worker).
    public static let logAck = WireMessageType(rawValue: 0x0306)
    /// `LogEnd`: a followed job's output is complete (server to follower).
    public static let logEnd = WireMessageType(rawValue: 0x0307)
    /// `ReportAck`: an `Exited` is durable (or was stale); stop re-sending it (server to worker).
    public static let reportAck = WireMessageType(rawValue: 0x0308)
    /// `Synced`: the worker has reported every attempt it holds on this session (worker to server).
    public static let synced = WireMessageType(rawValue: 0x0309)
    /// `Stopping`: the worker is shutting down; place nothing more on it (worker to server).
    public static let stopping = WireMessageType(rawValue: 0x030A)
}

extension WireMessageType: CustomStringConvertible {
    /// The type as four hex digits, e.g. `0x0101`.
    public var description: String {
        let hex = String(self.rawValue, radix: 16)
        return "0x" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}

/// One frame: a message type and its payload, as cut from the stream by `FrameDecoder`.
///
/// ```
/// +----------------+----------------+---------------------------+
/// | length: u32 BE | type: u16 BE   | payload: length - 2 bytes |
/// +----------------+----------------+---------------------------+
/// ```
public struct Frame: Hashable, Sendable {
    /// The frame's message type.
    public var type: WireMessageType
    /// The frame's payload: the bytes after the type.
    public var payload: ByteBuffer

    /// Creates a frame.
    public init(type: WireMessageType, payload: ByteBuffer) {
        self.type = type
        self.payload = payload
    }
}

extension Frame {
    /// The correlation id to echo in an `Error` about this frame.
    ///
    /// Every request starts with its `u64` correlation id, so for a request type, and for a type
    /// unknown to this version (`Protocol/README.md`, § Compatibility), this is the first 8
    /// payload bytes, or 0 if the payload is shorter. For every other known type it is 0: those
    /// messages carry no correlation id.
    public var correlationIDForError: UInt64 {
        let isRequest = (WireMessageType.submitJobs.rawValue...WireMessageType.uncordonNode.rawValue).contains(self.type.rawValue)
        guard isRequest || self.type.name == nil else {
            return 0
        }
        return self.payload.getInteger(at: self.payload.readerIndex, as: UInt64.self) ?? 0
    }
}
