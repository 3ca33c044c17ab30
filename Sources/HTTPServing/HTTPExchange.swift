import Logging
import NIOCore
import NIOHTTP1

/// One connection's requests and responses, in order.
struct HTTPExchange: Sendable {
    let connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    let limits: HTTPServer.Limits
    let logger: Logger
    let handler: HTTPServer.Handler

    /// Answers requests until the client closes, asks to close, or a bound is hit; `refuse`
    /// answers the first request 503 (too many connections) and closes.
    func run(refuse: Bool) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let next):
                        head = next
                        body = []
                    case .body(let bytes):
                        guard body.count + bytes.readableBytes <= limits.maxBodyBytes else {
                            try await write(.text("the request body is above \(limits.maxBodyBytes) bytes: send less\n", status: 413), keepAlive: false, to: outbound)
                            return
                        }
                        body += bytes.readableBytesView
                    case .end:
                        guard let request = head else { return }
                        head = nil
                        if refuse {
                            try await write(.text("too many connections (\(limits.maxConnections)): try again later\n", status: 503), keepAlive: false, to: outbound)
                            return
                        }
                        let response: HTTPResponse
                        if let (path, query) = HTTPRequest.parseTarget(request.uri) {
                            let headers = request.headers.map { (name: $0.name, value: $0.value) }
                            response = await handler(HTTPRequest(method: request.method.rawValue, path: path, query: query, headers: headers, body: body, target: request.uri))
                        } else {
                            response = .text("the request target '\(request.uri.prefix(200))' is not a path with a valid query\n", status: 400)
                        }
                        try await write(response, keepAlive: request.isKeepAlive, to: outbound)
                        guard request.isKeepAlive else { return }
                    }
                }
            }
        } catch {
            // A client that went away mid-answer is normal; nothing to tell anyone else.
            logger.trace("http connection ended", metadata: ["error": "\(error)"])
        }
    }

    /// Writes `response`; a stream is written piece by piece until it finishes.
    private func write(_ response: HTTPResponse, keepAlive: Bool, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        var headers = HTTPHeaders(response.headers)
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: response.status)
        switch response.body {
        case .bytes(let bytes):
            headers.replaceOrAdd(name: "Content-Length", value: String(bytes.count))
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
            if !bytes.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes)))) }
            try await outbound.write(.end(nil))
        case .stream(let produce):
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
            let writer = HTTPBodyWriter { piece in try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: piece)))) }
            // The client going away cancels the producer at once, even while it waits. (A future's
            // `get()` ignores cancellation, so the close is turned into a stream's end.)
            let (closed, closing) = AsyncStream.makeStream(of: Never.self)
            connection.channel.closeFuture.whenComplete { _ in closing.finish() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in closed {}
                    try Task.checkCancellation()
                    throw ChannelError.ioOnClosedChannel
                }
                group.addTask { try await produce(writer) }
                defer { group.cancelAll() }
                try await group.next()
            }
            try await outbound.write(.end(nil))
        }
    }
}
