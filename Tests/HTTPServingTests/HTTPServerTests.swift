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
            let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self)
            Task {
                for index in 0..<3 {
                    continuation.yield(ServerSentEvent(name: "tick", data: "n=\(index)\nsecond line").encoded)
                    try? await Task.sleep(for: .milliseconds(20))
                }
                continuation.finish()
            }
            return .eventStream(stream)
        }) { base in
            let (status, text, response) = try await Self.fetch(URLRequest(url: URL(string: "/events", relativeTo: base)!))
            XCTAssertEqual(status, 200)
            XCTAssertEqual(response.value(forHTTPHeaderField: "Content-Type"), "text/event-stream")
            XCTAssertEqual(text, (0..<3).map { "event: tick\ndata: n=\($0)\ndata: second line\n\n" }.joined())
        }
    }

    func testConnectionsAboveTheLimitGet503() async throws {
        let release = AsyncStream.makeStream(of: [UInt8].self)
        try await withServer(limits: .init(maxConnections: 1), handler: { request in
            request.path == "/hold" ? .eventStream(release.stream) : .text("ok")
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

    func testTargetsParseAndBadEscapesAreRefused() {
        XCTAssertEqual(HTTPRequest.parseTarget("/jobs/a%2Fb?state=running&x")?.path, "/jobs/a/b")
        XCTAssertEqual(HTTPRequest.parseTarget("/jobs?state=running&x")?.query, ["state": "running", "x": ""])
        XCTAssertNil(HTTPRequest.parseTarget("/bad%zz"))
        XCTAssertNil(HTTPRequest.parseTarget("http://elsewhere/"))
        XCTAssertEqual(HTTPRequest(method: "GET", path: "/", headers: [("Cookie", "a=1; titan=xyz")]).cookie("titan"), "xyz")
    }
}
