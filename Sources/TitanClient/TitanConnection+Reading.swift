import ClusterModel
import NIOCore
import WireProtocol

extension TitanConnection {
    /// Client side of the handshake: read `ServerHello`, answer `Hello`, expect `Welcome`.
    static func handshake(
        _ frames: inout NIOAsyncChannelInboundStream<Frame>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<WireMessage>,
        role: PeerRole,
        nodeID: NodeID,
        token: [UInt8],
        address: String
    ) async throws -> String {
        guard let first = try await frames.next() else { throw TitanClientError.connectionClosed }
        guard case let .serverHello(serverHello) = try WireMessage(frame: first) else {
            throw TitanClientError.protocolViolation("the first message was not ServerHello")
        }
        try await outbound.write(.hello(try Handshake.hello(answering: serverHello, role: role, nodeID: nodeID, token: token)))
        guard let second = try await frames.next() else { throw TitanClientError.connectionClosed }
        switch try WireMessage(frame: second) {
        case let .welcome(welcome):
            return welcome.serverID
        case let .error(error) where error.code == .authFailed:
            throw TitanClientError.authenticationFailed(address: address)
        case let .error(error) where error.code == .notLeader:
            throw TitanClientError.notLeader(message: error.message)
        case let .error(error):
            throw TitanClientError.server(code: error.code, message: error.message)
        case let other:
            throw TitanClientError.protocolViolation("expected Welcome, got \(other.type.name ?? "an unknown message")")
        }
    }

    /// Reads until the connection ends: answers go to their requests, the rest to ``pushes``.
    func readAll(_ frames: inout NIOAsyncChannelInboundStream<Frame>.AsyncIterator) async {
        var ending: any Error = TitanClientError.connectionClosed
        do {
            while let frame = try await frames.next() {
                let message: WireMessage
                do {
                    message = try WireMessage(frame: frame)
                } catch {
                    // A message type newer than this client: ignore it (Protocol/README §8).
                    if error.code == .unknownType { continue }
                    throw error
                }
                if let id = message.correlationID, id != 0 {
                    resume(id, with: .success(message))
                } else if case .error = message {
                    // An error about no request in particular (a refused frame) ends the session.
                    pushContinuation.yield(message)
                } else if case .dropped = pushContinuation.yield(message) {
                    ending = TitanClientError.protocolViolation("over 65,536 unread pushes; the reader fell behind")
                    break
                }
            }
        } catch {
            ending = error
        }
        close(ending)
    }

    func resume(_ id: UInt64, with result: Result<WireMessage, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<WireMessage, any Error>? in
            switch state.slots[id] {
            case let .waiting(continuation):
                state.slots.removeValue(forKey: id)
                return continuation
            case .reserved:
                state.slots[id] = .answered(result)
                return nil
            case .answered, nil:
                return nil
            }
        }
        continuation?.resume(with: result)
    }

    /// Fails every open request with `error` and ends ``pushes``.
    func close(_ error: any Error) {
        let waiting = state.withLock { state -> [CheckedContinuation<WireMessage, any Error>] in
            if state.closed == nil { state.closed = error }
            var continuations: [CheckedContinuation<WireMessage, any Error>] = []
            for (id, slot) in state.slots {
                switch slot {
                case let .waiting(continuation):
                    continuations.append(continuation)
                    state.slots.removeValue(forKey: id)
                case .reserved:
                    state.slots[id] = .answered(.failure(error))
                case .answered:
                    break
                }
            }
            return continuations
        }
        waiting.forEach { $0.resume(throwing: error) }
        pushContinuation.finish()
    }

    static func parse(_ address: String) throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (1...65535).contains(port), colon != address.startIndex
        else { throw TitanClientError.badAddress(address) }
        return (String(address[..<colon]), port)
    }
}
