import CurlSupport
import Synchronization

/// A client of an etcd v3 cluster, over its JSON/HTTP gateway (`POST /v3/...`).
///
/// Every call goes to the endpoint that answered last. When that endpoint refuses or drops the
/// connection, or answers `unavailable`, the call is tried on the next endpoint in order, and the
/// one that works is remembered; when none works the call throws ``EtcdError/unreachable(endpoints:)``.
///
/// A call whose connection broke *after* the request was sent may have been applied; it is sent
/// again to the next endpoint. Puts and deletes are idempotent in effect, and a txn guarded by a
/// compare on `modRevision`/`createRevision` cannot apply twice, which is how Titan writes.
///
/// All HTTP traffic runs on one ``CurlLoop`` thread; JSON is encoded and decoded in the
/// calling task. The client is `Sendable`: share one per process.
public final class EtcdClient: Sendable {
    /// etcd's default `--max-txn-ops`: the most operations one txn may hold.
    public static let maxTxnOps = 128

    /// Told of every unary request once it has an outcome: its gateway path (`/v3/kv/txn`), how
    /// long it took across every endpoint tried, and whether it got a 2xx answer. Called on the
    /// caller's task; it must be cheap (a daemon records a histogram sample). Watches are not
    /// unary and are not observed.
    public typealias RequestObserver = @Sendable (_ path: String, _ duration: Duration, _ succeeded: Bool) -> Void

    /// The endpoints, in fail-over order, e.g. `http://127.0.0.1:2379`.
    public let endpoints: [String]
    /// The loop that carries every request of this client.
    public let loop: CurlLoop
    /// The longest a unary call may take on one endpoint.
    public let requestTimeout: Duration

    private let ownsLoop: Bool
    private let preferred = Mutex(0)
    private let observer: RequestObserver?

    /// Creates a client of the cluster at `endpoints` (at least one, tried in order).
    ///
    /// - Parameters:
    ///   - endpoints: client URLs such as `http://127.0.0.1:2379`; a trailing `/` is ignored.
    ///   - loop: the ``CurlLoop`` to run requests on; by default the client starts its own and
    ///     shuts it down when the client goes away.
    ///   - requestTimeout: the longest one unary call may take on one endpoint.
    ///   - observer: told of every unary request's duration and outcome (metrics); none by default.
    public init(endpoints: [String], loop: CurlLoop? = nil, requestTimeout: Duration = .seconds(30), observer: RequestObserver? = nil) {
        precondition(!endpoints.isEmpty, "EtcdClient needs at least one endpoint")
        self.endpoints = endpoints.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.loop = loop ?? CurlLoop(name: "titan.etcd")
        self.ownsLoop = loop == nil
        self.requestTimeout = requestTimeout
        self.observer = observer
    }

    deinit {
        // Often the second call, after shutdown(): CurlLoop.shutdown() is idempotent.
        if ownsLoop {
            loop.shutdown()
        }
    }

    /// The endpoint calls go to first: the last one that answered.
    public var currentEndpoint: String {
        endpoints[preferred.withLock { $0 }]
    }

    /// Sends `request` to `path` (e.g. `/v3/kv/put`) and decodes the answer, failing over
    /// between endpoints as described on the type.
    func call<Request: Encodable, Response: Decodable>(
        _ path: String,
        _ request: Request,
        as response: Response.Type,
        context: ErrorContext = ErrorContext(),
        timeout: Duration? = nil
    ) async throws -> Response {
        try await call(path, body: try GatewayJSON.encode(request), as: response, context: context, timeout: timeout)
    }

    /// Posts a KV request written by hand (``GatewayRequest``) and decodes the answer.
    func call<Response: Decodable>(
        _ path: String,
        _ request: some GatewayRequest,
        as response: Response.Type,
        context: ErrorContext = ErrorContext(),
        timeout: Duration? = nil
    ) async throws -> Response {
        try await call(path, body: request.gatewayBody, as: response, context: context, timeout: timeout)
    }

    private func call<Response: Decodable>(
        _ path: String,
        body: [UInt8],
        as response: Response.Type,
        context: ErrorContext,
        timeout: Duration?
    ) async throws -> Response {
        let responseBody = try await post(path, body: body, context: context, timeout: timeout)
        return try GatewayJSON.decode(Response.self, from: responseBody, path: path)
    }

    /// Posts a KV request and returns the answer's body undecoded (a 2xx answer; any other
    /// status is thrown as its ``EtcdError``).
    func post(_ path: String, body: [UInt8], context: ErrorContext, timeout: Duration? = nil) async throws -> [UInt8] {
        var context = context
        context.requestBytes = body.count
        let start = observer == nil ? nil : ContinuousClock.now
        var succeeded = false
        defer {
            if let start, let observer { observer(path, .now - start, succeeded) }
        }
        let (status, responseBody, endpoint) = try await send(path: path, body: body, timeout: timeout ?? requestTimeout)
        guard (200..<300).contains(status) else {
            throw EtcdError.from(status: status, body: responseBody, endpoint: endpoint, context: context)
        }
        succeeded = true
        return responseBody
    }

    /// Posts `body` to `path` on each endpoint in turn until one answers with something other
    /// than `unavailable`; returns that answer and the endpoint that gave it.
    private func send(path: String, body: [UInt8], timeout: Duration) async throws -> (Int, [UInt8], String) {
        let start = preferred.withLock { $0 }
        var lastUnavailable: EtcdError?
        for step in 0..<endpoints.count {
            let index = (start + step) % endpoints.count
            let endpoint = endpoints[index]
            let request = CurlRequest(
                method: "POST",
                url: endpoint + path,
                headers: ["Content-Type: application/json"],
                body: body,
                timeoutMilliseconds: max(1, Int((timeout / .milliseconds(1)).rounded(.up)))
            )
            let response: CurlResponse
            do {
                response = try await loop.perform(request)
            } catch let error as CurlError where error.isConnectionFailure {
                continue
            }
            if response.status == 503 {
                // Code 14: this member has no leader or is stopping; another one may serve.
                lastUnavailable = EtcdError.from(
                    status: response.status, body: response.body, endpoint: endpoint, context: ErrorContext())
                continue
            }
            markWorking(index)
            return (response.status, response.body, endpoint)
        }
        throw lastUnavailable ?? EtcdError.unreachable(endpoints: endpoints)
    }

    /// Remembers the endpoint that answered, so the next call starts there.
    func markWorking(_ index: Int) {
        preferred.withLock { $0 = index }
    }

    /// The index of the endpoint that answered last.
    var preferredIndex: Int {
        preferred.withLock { $0 }
    }

    /// Stops the client's own ``CurlLoop`` (a no-op for a loop that was passed in):
    /// calls in flight and later calls fail with `CurlError.shutDown`. Safe to call more than
    /// once and from any thread; the client also calls it when it goes away.
    public func shutdown() {
        if ownsLoop {
            loop.shutdown()
        }
    }
}
