import NIOCore

/// Every message of protocol v1, with its typed payload.
///
/// Encode with `ByteBuffer.writeWireFrame(_:)` (or `WireMessageEncoder` in a channel); decode a
/// frame cut by `FrameDecoder` with `WireMessage(frame:)`.
public enum WireMessage: Hashable, Sendable {
    /// `Error` (0x0001).
    case error(ErrorMessage)
    /// `ServerHello` (0x0002).
    case serverHello(ServerHello)
    /// `Hello` (0x0003).
    case hello(Hello)
    /// `Welcome` (0x0004).
    case welcome(Welcome)
    /// `Ping` (0x0005).
    case ping(PingPayload)
    /// `Pong` (0x0006).
    case pong(PingPayload)
    /// `SubmitJobs` (0x0101).
    case submitJobs(SubmitJobs)
    /// `GetJob` (0x0102).
    case getJob(GetJob)
    /// `ListJobs` (0x0103).
    case listJobs(ListJobs)
    /// `CancelJob` (0x0104).
    case cancelJob(CancelJob)
    /// `ListNodes` (0x0105).
    case listNodes(ListNodes)
    /// `FollowLogs` (0x0106).
    case followLogs(FollowLogs)
    /// `WatchJobs` (0x0107).
    case watchJobs(WatchJobs)
    /// `DrainNode` (0x0108).
    case drainNode(DrainNode)
    /// `UncordonNode` (0x0109).
    case uncordonNode(UncordonNode)
    /// `SubmitResult` (0x0201).
    case submitResult(SubmitResult)
    /// `JobInfo` (0x0202).
    case jobInfo(JobInfoMessage)
    /// `JobList` (0x0203).
    case jobList(JobList)
    /// `CancelResult` (0x0204).
    case cancelResult(CancelResult)
    /// `NodeList` (0x0205).
    case nodeList(NodeList)
    /// `Subscribed` (0x0206).
    case subscribed(Subscribed)
    /// `JobEvent` (0x0207).
    case jobEvent(JobEvent)
    /// `DrainResult` (0x0208).
    case drainResult(DrainResult)
    /// `Assign` (0x0301).
    case assign(Assign)
    /// `Cancel` (0x0302).
    case cancel(Cancel)
    /// `Started` (0x0303).
    case started(Started)
    /// `Exited` (0x0304).
    case exited(Exited)
    /// `LogChunk` (0x0305).
    case logChunk(LogChunk)
    /// `LogAck` (0x0306).
    case logAck(LogAck)
    /// `LogEnd` (0x0307).
    case logEnd(LogEnd)
    /// `ReportAck` (0x0308).
    case reportAck(ReportAck)
    /// `Synced` (0x0309).
    case synced(Synced)
    /// `Stopping` (0x030A).
    case stopping(Stopping)

    /// The message's type on the wire.
    public var type: WireMessageType {
        switch self {
        case .error: return .error
        case .serverHello: return .serverHello
        case .hello: return .hello
        case .welcome: return .welcome
        case .ping: return .ping
        case .pong: return .pong
        case .submitJobs: return .submitJobs
        case .getJob: return .getJob
        case .listJobs: return .listJobs
        case .cancelJob: return .cancelJob
        case .listNodes: return .listNodes
        case .followLogs: return .followLogs
        case .watchJobs: return .watchJobs
        case .drainNode: return .drainNode
        case .uncordonNode: return .uncordonNode
        case .submitResult: return .submitResult
        case .jobInfo: return .jobInfo
        case .jobList: return .jobList
        case .cancelResult: return .cancelResult
        case .nodeList: return .nodeList
        case .subscribed: return .subscribed
        case .jobEvent: return .jobEvent
        case .drainResult: return .drainResult
        case .assign: return .assign
        case .cancel: return .cancel
        case .started: return .started
        case .exited: return .exited
        case .logChunk: return .logChunk
        case .logAck: return .logAck
        case .logEnd: return .logEnd
        case .reportAck: return .reportAck
        case .synced: return .synced
        case .stopping: return .stopping
        }
    }

    /// The correlation id of a request, of its response, or of an `Error`; `nil` for the
    /// handshake, pings and server pushes, which carry none.
    public var correlationID: UInt64? {
        switch self {
        case .error(let m): return m.correlationID
        case .submitJobs(let m): return m.correlationID
        case .getJob(let m): return m.correlationID
        case .listJobs(let m): return m.correlationID
        case .cancelJob(let m): return m.correlationID
        case .listNodes(let m): return m.correlationID
        case .followLogs(let m): return m.correlationID
        case .watchJobs(let m): return m.correlationID
        case .drainNode(let m): return m.correlationID
        case .uncordonNode(let m): return m.correlationID
        case .drainResult(let m): return m.correlationID
        case .submitResult(let m): return m.correlationID
        case .jobInfo(let m): return m.correlationID
        case .jobList(let m): return m.correlationID
        case .cancelResult(let m): return m.correlationID
        case .nodeList(let m): return m.correlationID
        case .subscribed(let m): return m.correlationID
        case .serverHello, .hello, .welcome, .ping, .pong, .jobEvent, .assign, .cancel, .started,
            .exited, .logChunk, .logAck, .logEnd, .reportAck, .synced, .stopping:
            return nil
        }
    }

    /// Appends the message's payload (without the frame header).
    func encodePayload(into buffer: inout ByteBuffer) throws(WireError) {
        switch self {
        case .error(let p): try p.encode(into: &buffer)
        case .serverHello(let p): try p.encode(into: &buffer)
        case .hello(let p): try p.encode(into: &buffer)
        case .welcome(let p): try p.encode(into: &buffer)
        case .ping(let p): try p.encode(into: &buffer)
        case .pong(let p): try p.encode(into: &buffer)
        case .submitJobs(let p): try p.encode(into: &buffer)
        case .getJob(let p): try p.encode(into: &buffer)
        case .listJobs(let p): try p.encode(into: &buffer)
        case .cancelJob(let p): try p.encode(into: &buffer)
        case .listNodes(let p): try p.encode(into: &buffer)
        case .followLogs(let p): try p.encode(into: &buffer)
        case .watchJobs(let p): try p.encode(into: &buffer)
        case .drainNode(let p): try p.encode(into: &buffer)
        case .uncordonNode(let p): try p.encode(into: &buffer)
        case .submitResult(let p): try p.encode(into: &buffer)
        case .jobInfo(let p): try p.encode(into: &buffer)
        case .jobList(let p): try p.encode(into: &buffer)
        case .cancelResult(let p): try p.encode(into: &buffer)
        case .nodeList(let p): try p.encode(into: &buffer)
        case .subscribed(let p): try p.encode(into: &buffer)
        case .jobEvent(let p): try p.encode(into: &buffer)
        case .drainResult(let p): try p.encode(into: &buffer)
        case .assign(let p): try p.encode(into: &buffer)
        case .cancel(let p): try p.encode(into: &buffer)
        case .started(let p): try p.encode(into: &buffer)
        case .exited(let p): try p.encode(into: &buffer)
        case .logChunk(let p): try p.encode(into: &buffer)
        case .logAck(let p): try p.encode(into: &buffer)
        case .logEnd(let p): try p.encode(into: &buffer)
        case .reportAck(let p): try p.encode(into: &buffer)
        case .synced(let p): try p.encode(into: &buffer)
        case .stopping(let p): try p.encode(into: &buffer)
        }
    }

    /// Decodes the payload of a message of type `type`.
    init(type: WireMessageType, reader: inout WireReader) throws(WireError) {
        switch type {
        case .error: self = .error(try ErrorMessage(from: &reader))
        case .serverHello: self = .serverHello(try ServerHello(from: &reader))
        case .hello: self = .hello(try Hello(from: &reader))
        case .welcome: self = .welcome(try Welcome(from: &reader))
        case .ping: self = .ping(try PingPayload(from: &reader))
        case .pong: self = .pong(try PingPayload(from: &reader))
        case .submitJobs: self = .submitJobs(try SubmitJobs(from: &reader))
        case .getJob: self = .getJob(try GetJob(from: &reader))
        case .listJobs: self = .listJobs(try ListJobs(from: &reader))
        case .cancelJob: self = .cancelJob(try CancelJob(from: &reader))
        case .listNodes: self = .listNodes(try ListNodes(from: &reader))
        case .followLogs: self = .followLogs(try FollowLogs(from: &reader))
        case .watchJobs: self = .watchJobs(try WatchJobs(from: &reader))
        case .drainNode: self = .drainNode(try DrainNode(from: &reader))
        case .uncordonNode: self = .uncordonNode(try UncordonNode(from: &reader))
        case .submitResult: self = .submitResult(try SubmitResult(from: &reader))
        case .jobInfo: self = .jobInfo(try JobInfoMessage(from: &reader))
        case .jobList: self = .jobList(try JobList(from: &reader))
        case .cancelResult: self = .cancelResult(try CancelResult(from: &reader))
        case .nodeList: self = .nodeList(try NodeList(from: &reader))
        case .subscribed: self = .subscribed(try Subscribed(from: &reader))
        case .jobEvent: self = .jobEvent(try JobEvent(from: &reader))
        case .drainResult: self = .drainResult(try DrainResult(from: &reader))
        case .assign: self = .assign(try Assign(from: &reader))
        case .cancel: self = .cancel(try Cancel(from: &reader))
        case .started: self = .started(try Started(from: &reader))
        case .exited: self = .exited(try Exited(from: &reader))
        case .logChunk: self = .logChunk(try LogChunk(from: &reader))
        case .logAck: self = .logAck(try LogAck(from: &reader))
        case .logEnd: self = .logEnd(try LogEnd(from: &reader))
        case .reportAck: self = .reportAck(try ReportAck(from: &reader))
        case .synced: self = .synced(try Synced(from: &reader))
        case .stopping: self = .stopping(try Stopping(from: &reader))
        default: throw WireError.unknownMessageType(type.rawValue)
        }
    }
}

extension WireMessageType {
    /// Every type protocol v1 defines, in type order.
    public static let allKnown: [WireMessageType] = [
        .error, .serverHello, .hello, .welcome, .ping, .pong,
        .submitJobs, .getJob, .listJobs, .cancelJob, .listNodes, .followLogs, .watchJobs, .drainNode, .uncordonNode,
        .submitResult, .jobInfo, .jobList, .cancelResult, .nodeList, .subscribed, .jobEvent, .drainResult,
        .assign, .cancel, .started, .exited, .logChunk, .logAck, .logEnd, .reportAck, .synced, .stopping,
    ]

    /// The name used in `Protocol/README.md`, e.g. `SubmitJobs`; `nil` for an unknown type.
    public var name: String? {
        switch self {
        case .error: return "Error"
        case .serverHello: return "ServerHello"
        case .hello: return "Hello"
        case .welcome: return "Welcome"
        case .ping: return "Ping"
        case .pong: return "Pong"
        case .submitJobs: return "SubmitJobs"
        case .getJob: return "GetJob"
        case .listJobs: return "ListJobs"
        case .cancelJob: return "CancelJob"
        case .listNodes: return "ListNodes"
        case .followLogs: return "FollowLogs"
        case .watchJobs: return "WatchJobs"
        case .drainNode: return "DrainNode"
        case .uncordonNode: return "UncordonNode"
        case .submitResult: return "SubmitResult"
        case .jobInfo: return "JobInfo"
        case .jobList: return "JobList"
        case .cancelResult: return "CancelResult"
        case .nodeList: return "NodeList"
        case .subscribed: return "Subscribed"
        case .jobEvent: return "JobEvent"
        case .drainResult: return "DrainResult"
        case .assign: return "Assign"
        case .cancel: return "Cancel"
        case .started: return "Started"
        case .exited: return "Exited"
        case .logChunk: return "LogChunk"
        case .logAck: return "LogAck"
        case .logEnd: return "LogEnd"
        case .reportAck: return "ReportAck"
        case .synced: return "Synced"
        case .stopping: return "Stopping"
        default: return nil
        }
    }
}
