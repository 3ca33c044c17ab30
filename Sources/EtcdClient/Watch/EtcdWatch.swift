import CurlSupport

/// The changes to a key or a range, as an `AsyncSequence` of ``WatchResponse``s.
///
/// Iterating opens one long-lived `POST /v3/watch` stream on the ``CurlLoop``. If the stream
/// drops (etcd restarted, connection reset, member unavailable), the watch reconnects to the
/// next endpoint and resumes at the revision after the last event it delivered, so no event is
/// lost or repeated; after ``WatchRetryPolicy/maxAttempts`` failed reconnections in a row it
/// throws ``EtcdError/unreachable(endpoints:)``.
///
/// When the revision to resume from has been compacted, the watch throws
/// ``EtcdError/compacted(requestedRevision:compactRevision:)``: read the current state again
/// and start a new watch at the header revision of that read + 1.
///
/// Cancelling the iterating task, or dropping the iterator, closes the stream.
public struct EtcdWatch: AsyncSequence, Sendable {
    /// A batch of events.
    public typealias Element = WatchResponse

    let client: EtcdClient
    let request: WatchRequest
    let retry: WatchRetryPolicy
    let maxMessageBytes: Int

    /// Makes the iterator; each iterator runs its own stream.
    public func makeAsyncIterator() -> Iterator {
        Iterator(watch: self)
    }

    /// Reads watch responses, reconnecting as described on ``EtcdWatch``.
    public struct Iterator: AsyncIteratorProtocol {
        private let watch: EtcdWatch
        private var stream: CurlByteStream.AsyncIterator?
        private var lines: LineSplitter
        /// The revision to resume from: after the last delivered event, or after the revision
        /// at which a "from now" watch was created. 0 until one is known.
        private var resumeRevision: Int64 = 0
        private var endpointIndex: Int
        private var failedAttempts = 0
        private var finished = false

        init(watch: EtcdWatch) {
            self.watch = watch
            self.lines = LineSplitter(maxLineBytes: watch.maxMessageBytes)
            self.endpointIndex = watch.client.preferredIndex
        }

        /// The next batch of events; `nil` only after the watch has thrown.
        public mutating func next() async throws -> WatchResponse? {
            guard !finished else { return nil }
            do {
                return try await nextResponse()
            } catch {
                finished = true
                stream = nil
                throw error
            }
        }

        private mutating func nextResponse() async throws -> WatchResponse? {
            while true {
                let line: [UInt8]?
                do {
                    line = try lines.nextLine()
                } catch {
                    throw EtcdError.watchMessageTooLarge(limit: error.limit)
                }
                if let line {
                    do {
                        if let response = try handle(line) {
                            return response
                        }
                    } catch is StreamDropped {
                        try await reconnect(after: nil)
                    }
                    continue
                }
                if stream == nil {
                    try open()
                }
                do {
                    guard let chunk = try await stream?.next() else {
                        // A clean end: etcd closed the stream (shutting down, or a proxy did).
                        try await reconnect(after: nil)
                        continue
                    }
                    lines.append(chunk)
                } catch let error as CurlError {
                    try await reconnect(after: error)
                }
            }
        }

        /// Opens a stream on the current endpoint, at the revision to resume from.
        private mutating func open() throws {
            let start = resumeRevision > 0 ? resumeRevision : watch.request.startRevision
            let endpoint = watch.client.endpoints[endpointIndex]
            let request = CurlRequest(
                method: "POST",
                url: endpoint + "/v3/watch",
                headers: ["Content-Type: application/json"],
                body: try watch.request.body(startRevision: start),
                timeoutMilliseconds: nil
            )
            stream = watch.client.loop.stream(request, maxBufferedBytes: 1 << 20).makeAsyncIterator()
            lines.reset()
        }

        /// Drops the stream, waits the back-off, and moves to the next endpoint; throws when
        /// the error is not a dropped connection or the retries are used up.
        private mutating func reconnect(after error: CurlError?) async throws {
            stream = nil
            lines.reset()
            switch error {
            case .transport?, nil:
                break
            case let .httpStatus(_, status, body)?:
                let mapped = EtcdError.from(
                    status: status, body: Array(body.utf8), endpoint: watch.client.endpoints[endpointIndex],
                    context: ErrorContext(revision: resumeRevision > 0 ? resumeRevision : watch.request.startRevision))
                guard case .unavailable = mapped else { throw mapped }
            case let error?:
                throw error
            }
            failedAttempts += 1
            guard failedAttempts <= watch.retry.maxAttempts else {
                throw EtcdError.unreachable(endpoints: watch.client.endpoints)
            }
            try await Task.sleep(for: watch.retry.backoff(attempt: failedAttempts))
            endpointIndex = (endpointIndex + 1) % watch.client.endpoints.count
        }

        /// Handles one `{"result":…}` line; returns a response worth delivering, if it is one.
        private mutating func handle(_ line: [UInt8]) throws -> WatchResponse? {
            let message = try GatewayJSON.decode(WireWatchLine.self, from: line, path: "/v3/watch")
            if let error = message.error {
                // A member that is stopping ends its streams with grpc code 1 ("the client
                // connection is closing") or 14 (unavailable): another member, or the same one
                // restarted, can carry on from the last revision.
                if error.grpcCode == 1 || error.grpcCode == 14 {
                    throw StreamDropped()
                }
                throw EtcdError.from(
                    status: error.httpCode ?? 500, code: error.grpcCode, message: error.message ?? "",
                    body: String(decoding: line, as: UTF8.self), endpoint: watch.client.endpoints[endpointIndex],
                    context: ErrorContext())
            }
            guard let result = message.result else { return nil }
            let header = result.header.typed
            if result.created == true {
                failedAttempts = 0
                watch.client.markWorking(endpointIndex)
                if resumeRevision == 0, watch.request.startRevision == 0 {
                    // A "from now" watch sees every change after the revision it was created at.
                    resumeRevision = header.revision + 1
                }
            }
            if result.canceled == true {
                if let compact = result.compactRevision?.value, compact > 0 {
                    let asked = resumeRevision > 0 ? resumeRevision : watch.request.startRevision
                    throw EtcdError.compacted(requestedRevision: asked, compactRevision: compact)
                }
                throw EtcdError.watchCanceled(reason: result.cancelReason ?? "no reason given")
            }
            let events = (result.events ?? []).map(\.typed)
            guard let last = events.last else {
                // `created` and progress notifications carry no events.
                return nil
            }
            resumeRevision = last.kv.modRevision + 1
            return WatchResponse(header: header, events: events)
        }
    }
}

/// A stream the server ended in a way that calls for a reconnection, not an error.
private struct StreamDropped: Error {}

extension EtcdClient {
    /// Watches what `request` selects; see ``EtcdWatch`` for reconnection and compaction.
    ///
    /// - Parameters:
    ///   - retry: how reconnections after a dropped stream are paced and bounded.
    ///   - maxMessageBytes: the longest watch message accepted (one line of the stream); a
    ///     longer one throws ``EtcdError/watchMessageTooLarge(limit:)``.
    public func watch(_ request: WatchRequest, retry: WatchRetryPolicy = WatchRetryPolicy(), maxMessageBytes: Int = 16 << 20) -> EtcdWatch {
        EtcdWatch(client: self, request: request, retry: retry, maxMessageBytes: maxMessageBytes)
    }

    /// Watches one key, or the keys in `[key, rangeEnd)`, from `startRevision` (0: changes after
    /// now); with `prevKV` each event carries the key's previous value.
    public func watch(
        key: some EtcdBytes, rangeEnd: (any EtcdBytes)? = nil, startRevision: Int64 = 0, prevKV: Bool = false
    ) -> EtcdWatch {
        watch(WatchRequest(key: key, rangeEnd: rangeEnd, startRevision: startRevision, prevKV: prevKV))
    }

    /// Watches every key that starts with `prefix`, from `startRevision` (0: changes after now).
    public func watch(prefix: some EtcdBytes, startRevision: Int64 = 0, prevKV: Bool = false) -> EtcdWatch {
        watch(WatchRequest(key: prefix, rangeEnd: prefixEnd(prefix), startRevision: startRevision, prevKV: prevKV))
    }
}
