import Synchronization

/// The bytes of a long-lived HTTP response, as they arrive, in chunks of at most 256 KiB.
///
/// Iterate it once. Dropping the stream and its iterator, cancelling the iterating task, or
/// calling ``cancel()`` aborts the transfer.
public struct CurlByteStream: AsyncSequence, Sendable {
    /// A chunk of response body bytes.
    public typealias Element = [UInt8]

    let owner: StreamOwner

    /// Aborts the transfer; a waiting or later `next()` throws `CancellationError`.
    public func cancel() {
        owner.cancel()
    }

    /// Returns once the server has answered with a success status (its headers are in), before
    /// any body byte is read; throws what iterating would (an HTTP error status, a transport
    /// error, `CancellationError`). A stream whose server must be listening before something
    /// else happens (Docker's `attach` before `start`) waits for this.
    public func response() async throws {
        try await owner.buffer.awaitResponse()
    }

    /// Makes the (single) iterator of this stream.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(owner: owner)
    }

    /// Pulls chunks from the stream's bounded buffer.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let owner: StreamOwner

        /// The next chunk; `nil` at the end of the body. Throws the transfer's error, or
        /// ``CurlError/httpStatus(url:status:body:)`` if the server answered with an error.
        public mutating func next() async throws -> [UInt8]? {
            try await owner.next()
        }
    }
}

/// Ties a stream's lifetime to its consumers: when the last reference goes, the transfer is
/// aborted, so a reader that walks away never leaks a connection.
final class StreamOwner: Sendable {
    let id: UInt64
    let loop: CurlLoop
    let buffer: StreamBuffer

    init(id: UInt64, loop: CurlLoop, buffer: StreamBuffer) {
        self.id = id
        self.loop = loop
        self.buffer = buffer
    }

    deinit {
        cancel()
    }

    func cancel() {
        if buffer.cancel() {
            loop.send(.cancel(id: id))
        }
    }

    func next() async throws -> [UInt8]? {
        let (chunk, resume) = try await buffer.next()
        if resume {
            loop.send(.unpause(id: id))
        }
        return chunk
    }
}

/// A bounded queue between the loop thread (producer) and one async reader.
final class StreamBuffer: Sendable {
    enum Offer {
        case accepted
        case full
        case cancelled
    }

    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var bufferedBytes = 0
        var paused = false
        var cancelled = false
        var finished = false
        var error: (any Error)?
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        /// Whether the server answered with a success status (see ``CurlByteStream/response()``).
        var responded = false
        var responseWaiters: [CheckedContinuation<Void, any Error>] = []
    }

    private let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Called by the loop thread with new bytes. `.full` asks libcurl to pause the transfer
    /// and deliver the same bytes again after an unpause.
    func offer(_ bytes: UnsafeRawBufferPointer) -> Offer {
        let chunk = [UInt8](bytes)
        let (outcome, waiter) = state.withLock { state -> (Offer, CheckedContinuation<[UInt8]?, any Error>?) in
            if state.cancelled { return (.cancelled, nil) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (.accepted, waiter)
            }
            if state.bufferedBytes >= limit {
                state.paused = true
                return (.full, nil)
            }
            state.chunks.append(chunk)
            state.bufferedBytes += chunk.count
            return (.accepted, nil)
        }
        waiter?.resume(returning: chunk)
        return outcome
    }

    /// Called by the loop thread once the response's headers are in, with a success status.
    func markResponded() {
        let waiters = state.withLock { state in
            state.responded = true
            defer { state.responseWaiters = [] }
            return state.responseWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits for ``markResponded()``, or throws the error the stream ended with.
    func awaitResponse() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let immediate = state.withLock { state -> Result<Void, any Error>? in
                    if state.responded { return .success(()) }
                    if state.finished { return .failure(state.error ?? CancellationError()) }
                    state.responseWaiters.append(continuation)
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            _ = cancel()
        }
    }

    /// Ends the stream: `nil` for a clean end, or the error the reader will get.
    func finish(throwing error: (any Error)?) {
        let (waiter, responseWaiters) = state.withLock { state -> (CheckedContinuation<[UInt8]?, any Error>?, [CheckedContinuation<Void, any Error>]) in
            guard !state.finished else { return (nil, []) }
            state.finished = true
            state.error = error
            defer { state.waiter = nil; state.responseWaiters = [] }
            return (state.waiter, state.responseWaiters)
        }
        for responseWaiter in responseWaiters {
            // A stream that ended without a success status never answered; a clean end after
            // headers resumed these waiters already.
            responseWaiter.resume(throwing: error ?? CancellationError())
        }
        if let error {
            waiter?.resume(throwing: error)
        } else {
            waiter?.resume(returning: nil)
        }
    }

    /// Marks the stream cancelled; true the first time (the transfer must then be aborted).
    func cancel() -> Bool {
        let (first, waiter, responseWaiters) = state.withLock { state -> (Bool, CheckedContinuation<[UInt8]?, any Error>?, [CheckedContinuation<Void, any Error>]) in
            guard !state.cancelled else { return (false, nil, []) }
            state.cancelled = true
            let alreadyDone = state.finished
            state.finished = true
            defer { state.waiter = nil; state.responseWaiters = [] }
            return (!alreadyDone, state.waiter, state.responseWaiters)
        }
        waiter?.resume(throwing: CancellationError())
        for responseWaiter in responseWaiters { responseWaiter.resume(throwing: CancellationError()) }
        return first
    }

    /// The next chunk, and whether the transfer should be unpaused now that there is room.
    func next() async throws -> ([UInt8]?, Bool) {
        if let ready = try takeReady() {
            return ready
        }
        let chunk: [UInt8]? = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate = state.withLock { state -> Result<[UInt8]?, any Error>? in
                    if state.head < state.chunks.count {
                        return .success(pop(&state))
                    }
                    if state.finished {
                        return state.error.map { .failure($0) } ?? .success(nil)
                    }
                    state.waiter = continuation
                    return nil
                }
                if let immediate {
                    continuation.resume(with: immediate)
                }
            }
        } onCancel: {
            _ = cancel()
        }
        let resume = state.withLock { state -> Bool in
            resumeIfDrained(&state)
        }
        return (chunk, resume)
    }

    private func takeReady() throws -> ([UInt8]?, Bool)? {
        let result = state.withLock { state -> Result<([UInt8]?, Bool), any Error>? in
            if state.head < state.chunks.count {
                let chunk = pop(&state)
                return .success((chunk, resumeIfDrained(&state)))
            }
            if state.finished {
                return state.error.map { .failure($0) } ?? .success((nil, false))
            }
            return nil
        }
        return try result?.get()
    }

    private func pop(_ state: inout State) -> [UInt8] {
        let chunk = state.chunks[state.head]
        state.chunks[state.head] = []
        state.head += 1
        state.bufferedBytes -= chunk.count
        if state.head == state.chunks.count {
            state.chunks.removeAll(keepingCapacity: true)
            state.head = 0
        }
        return chunk
    }

    /// A paused transfer resumes once the reader has drained half the bound.
    private func resumeIfDrained(_ state: inout State) -> Bool {
        guard state.paused, !state.cancelled, state.bufferedBytes <= limit / 2 else { return false }
        state.paused = false
        return true
    }
}
