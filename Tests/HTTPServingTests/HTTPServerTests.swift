import Foundation
import HTTPServing
import Logging
import NIOPosix
import XCTest

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The server on loopback (port 0) answered by a real HTTP client (URLSession, libcurl below).
final class HTTPServerTests: XCTestCase {
    /// Runs a server with `handler` for the length of `body`.
    private func withServer(
        limits: HTTPServer.Limits = .init(),
        handler: @escaping HTTPServer.Handler,
        body: (URL) async throws -> Void
    ) async throws {
        let server = HTTPServer(host: "127.0.0.1", port: 0, group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"), limits: limits, handler: handler)
        let bound = try await server.bind()
        let serving = Task { try await bound.serve() }
        defer { serving.cancel() }
        try await body(URL(string: "http://127.0.0.1:\(bound.port)")!)
    }

    private static func fetch(_ request: URLRequest) async throws -> (Int, String, HTTPURLResponse) {
        var request = request
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try XCTUnwrap(response as? HTTPURLResponse)
        return (http.statusCode, String(decoding: data, as: UTF8.self), http)
    }

    func testTheHandlerSeesTheDecodedPathQueryHeadersAndBody() async throws {
        try await withServer(handler: { request in
            .text("\(request.method) \(request.path) q=\(request.query["q"] ?? "-") h=\(request.header("x-test") ?? "-") body=\(String(decoding: request.body, as: UTF8.self))")
        }) { base in
            var request = URLRequest(url: URL(string: "/a%20b?q=x+y%26z", relativeTo: base)!)
            request.httpMethod = "POST"
            request.setValue("yes", forHTTPHeaderField: "X-Test")
            request.httpBody = Data("hello".utf8)
            let (status, text, _) = try await Self.fetch(request)
            XCTAssertEqual(status, 200)
            XCTAssertEqual(text, "POST /a b q=x y&z h=yes body=hello")
        }
    }

    func testABodyAboveTheLimitIsRefusedWith413() async throws {
        try await withServer(limits: .init(maxBodyBytes: 100), handler: { _ in .text("accepted") }) { base in
            var request = URLRequest(url: URL(string: "/upload", relativeTo: base)!)
            request.httpMethod = "POST"
            request.httpBody = Data(repeating: 65, count: 1000)
            let (status, text, _) = try await Self.fetch(request)
            XCTAssertEqual(status, 413)
            XCTAssertTrue(text.contains("above 100 bytes"), text)
        }
    }

    func testAStreamedBodyArrivesPieceByPieceAndEndsWhenTheStreamFinishes() async throws {
        try await withServer(handler: { _ in
            .eventStream { writer in
                for index in 0..<3 {
                    try await writer.send(ServerSentEvent(name: "tick", data: "n=\(index)\nsecond line"))
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
        }) { base in
            let (status, text, response) = try await Self.fetch(URLRequest(url: URL(string: "/events", relativeTo: base)!))
            XCTAssertEqual(status, 200)
            XCTAssertEqual(response.value(forHTTPHeaderField: "Content-Type"), "text/event-stream")
            XCTAssertEqual(text, (0..<3).map { "event: tick\ndata: n=\($0)\ndata: second line\n\n" }.joined())
        }
    }

    func testConnectionsAboveTheLimitGet503() async throws {
        let release = AsyncStream.makeStream(of: Void.self)
        try await withServer(limits: .init(maxConnections: 1), handler: { request in
            request.path == "/hold" ? .eventStream { _ in for await _ in release.stream {} } : .text("ok")
        }) { base in
            // The first connection stays open on a stream; the second is over the limit.
            let holder = Task { try await Self.fetch(URLRequest(url: URL(string: "/hold", relativeTo: base)!)) }
            try await Task.sleep(for: .milliseconds(300))
            let (status, text, _) = try await Self.fetch(URLRequest(url: URL(string: "/other", relativeTo: base)!))
            XCTAssertEqual(status, 503)
            XCTAssertTrue(text.contains("too many connections (1)"), text)
            release.continuation.finish()
            _ = try await holder.value
        }
    }

    func testAProducerIsCancelledWhenTheClientGoesAway() async throws {
        let ended = AsyncStream.makeStream(of: String.self)
        try await withServer(handler: { _ in
            .eventStream { writer in
                try await writer.send(ServerSentEvent(data: "first"))
                do {
                    try await Task.sleep(for: .seconds(60))
                    ended.continuation.yield("slept")
                } catch {
                    ended.continuation.yield("cancelled")
                    throw error
                }
            }
        }) { base in
            let socket = try RawHTTPConnection(port: base.port!)
            try socket.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try socket.receive(until: "data: first")
            socket.close()
            let outcome = await withTaskGroup(of: String?.self) { group in
                group.addTask { await ended.stream.first { _ in true } }
                group.addTask { try? await Task.sleep(for: .seconds(10)); return "no end within 10 s" }
                defer { group.cancelAll() }
                return await group.next() ?? nil
            }
            XCTAssertEqual(outcome, "cancelled")
        }
    }

    func testTargetsParseAndBadEscapesAreRefused() {
        XCTAssertEqual(HTTPRequest.parseTarget("/jobs/a%2Fb?state=running&x")?.path, "/jobs/a/b")
        XCTAssertEqual(HTTPRequest.parseTarget("/jobs?state=running&x")?.query, ["state": "running", "x": ""])
        XCTAssertNil(HTTPRequest.parseTarget("/bad%zz"))
        XCTAssertNil(HTTPRequest.parseTarget("http://elsewhere/"))
        XCTAssertEqual(HTTPRequest(method: "GET", path: "/", headers: [("Cookie", "a=1; titan=xyz")]).cookie("titan"), "xyz")
    }
}

/// A blocking loopback socket for the tests that must close a connection mid-response.
struct RawHTTPConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw POSIXError(.EIO) }
    }

    /// Reads until `marker` has arrived (or 10 s pass without a byte: throws).
    func receive(until marker: String) throws -> String {
        var text = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !text.contains(marker) {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { throw POSIXError(.ETIMEDOUT) }
            text += String(decoding: buffer[..<count], as: UTF8.self)
        }
        return text
    }

    func close() { _ = Glibc.close(fd) }
}
