import CurlSupport

/// Everything an etcd call can fail with, each saying what happened and what to do.
public enum EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Every endpoint refused or dropped the connection.
    case unreachable(endpoints: [String])
    /// The request is bigger than etcd accepts (`--max-request-bytes`, 1.5 MiB by default).
    case requestTooLarge(bytes: Int, message: String)
    /// A txn has more operations than etcd accepts (`--max-txn-ops`, 128 by default).
    case tooManyOps(count: Int, limit: Int)
    /// The lease does not exist (never granted, expired or revoked).
    case leaseNotFound(id: Int64?)
    /// A kept-alive lease is gone: it expired or was revoked, so everything under it is deleted.
    case leaseLost(id: Int64)
    /// The backend database reached its quota (`--quota-backend-bytes`); only reads and deletes work.
    case quotaExceeded
    /// The revision asked for has been compacted away; `compactRevision` is the oldest one kept
    /// when etcd said so (a watch cancel does, a range does not).
    case compacted(requestedRevision: Int64?, compactRevision: Int64?)
    /// The revision asked for is newer than the store's current revision.
    case futureRevision(requestedRevision: Int64?)
    /// The cluster answered but cannot serve the request now (no leader, shutting down).
    case unavailable(endpoint: String, message: String)
    /// etcd rejected the request as malformed (empty key, duplicate key in a txn, …).
    case invalidArgument(message: String)
    /// A watch stream sent a line longer than the client's bound.
    case watchMessageTooLarge(limit: Int)
    /// The server cancelled a watch for a reason other than compaction.
    case watchCanceled(reason: String)
    /// A response that is not what the gateway documents.
    case malformedResponse(path: String, detail: String)
    /// Any other error status, with the body etcd sent.
    case unexpected(status: Int, body: String)

    /// One sentence naming the value at fault and what to do about it.
    public var description: String {
        switch self {
        case let .unreachable(endpoints):
            return "etcd is unreachable at \(endpoints.joined(separator: ", ")): start etcd or pass --etcd"
        case let .requestTooLarge(bytes, message):
            return "etcd refused a \(bytes)-byte request as too large (\(message)): split it or raise --max-request-bytes"
        case let .tooManyOps(count, limit):
            return "a txn with \(count) operations exceeds etcd's limit of \(limit): split it into several txns"
        case let .leaseNotFound(id):
            return "lease \(id.map { String($0) } ?? "(unknown)") does not exist in etcd: grant a new lease"
        case let .leaseLost(id):
            return "lease \(id) expired or was revoked and its keys are gone: grant a new lease and register again"
        case .quotaExceeded:
            return "etcd's database space is exceeded: delete old keys, compact, defragment and disarm the NOSPACE alarm"
        case let .compacted(requested, compact):
            let asked = requested.map { "revision \($0)" } ?? "the requested revision"
            let kept = compact.map { " (history now starts at \($0))" } ?? ""
            return "\(asked) has been compacted\(kept): read the current state again and watch from its revision + 1"
        case let .futureRevision(requested):
            let asked = requested.map { "revision \($0)" } ?? "the requested revision"
            return "\(asked) is newer than etcd's current revision: ask for a revision etcd has reached"
        case let .unavailable(endpoint, message):
            return "etcd at \(endpoint) cannot serve requests now (\(message)): wait for the cluster to elect a leader"
        case let .invalidArgument(message):
            return "etcd rejected the request: \(message)"
        case let .watchMessageTooLarge(limit):
            return "a watch message exceeded the \(limit)-byte limit: watch a narrower range"
        case let .watchCanceled(reason):
            return "etcd cancelled the watch (\(reason)): start a new watch"
        case let .malformedResponse(path, detail):
            return "etcd's answer to \(path) could not be read (\(detail)): check that the endpoint is an etcd 3.4+ server"
        case let .unexpected(status, body):
            return "etcd answered HTTP \(status) with \(body.prefix(512)): check the etcd server log"
        }
    }
}

/// The gateway's error body: `{"error":m,"message":m,"code":grpcCode}`.
struct GatewayErrorBody: Decodable {
    var error: String?
    var message: String?
    var code: Int?
}

/// What a request was about, so an error can name the offending value.
struct ErrorContext: Sendable {
    var requestBytes = 0
    var revision: Int64?
    var leaseID: Int64?
    var opCount = 0
}

extension EtcdError {
    /// Maps an HTTP error status and the gateway's error body to a typed error.
    static func from(status: Int, body: [UInt8], endpoint: String, context: ErrorContext) -> EtcdError {
        let text = String(decoding: body, as: UTF8.self)
        let parsed = try? GatewayJSON.decode(GatewayErrorBody.self, from: body, path: "error")
        let message = parsed?.message ?? parsed?.error ?? text
        return from(status: status, code: parsed?.code, message: message, body: text, endpoint: endpoint, context: context)
    }

    /// Maps a gRPC code (and the HTTP status the gateway chose for it) to a typed error.
    static func from(
        status: Int, code: Int?, message: String, body: String, endpoint: String, context: ErrorContext
    ) -> EtcdError {
        // The gRPC code decides; the message separates causes that share a code.
        if message.contains("request is too large") || message.contains("larger than max") {
            return .requestTooLarge(bytes: context.requestBytes, message: message)
        }
        if message.contains("too many operations") {
            return .tooManyOps(count: context.opCount, limit: EtcdClient.maxTxnOps)
        }
        if message.contains("database space exceeded") {
            return .quotaExceeded
        }
        switch code {
        case 5?:
            return .leaseNotFound(id: context.leaseID)
        case 11? where message.contains("future revision"):
            return .futureRevision(requestedRevision: context.revision)
        case 11?:
            return .compacted(requestedRevision: context.revision, compactRevision: nil)
        case 14?:
            return .unavailable(endpoint: endpoint, message: message)
        case 3?:
            return .invalidArgument(message: message)
        case nil where status == 503:
            return .unavailable(endpoint: endpoint, message: message)
        default:
            return .unexpected(status: status, body: body)
        }
    }
}
