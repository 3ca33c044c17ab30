import ClusterModel
import EtcdClient
import Foundation
import HTTPServing
import Logging
import NIOPosix
import TitanClient

/// Where the web UI listens and what it needs to reach the cluster.
public struct WebUIConfiguration: Sendable {
    /// The id of the master that serves this UI: it serves pages only while that master leads.
    public var masterID: String
    /// etcd client URLs (the leader key, etcd's health).
    public var etcdEndpoints: [String]
    /// The cluster token: what a user proves to log in, and what the UI proves to the leader.
    public var token: [UInt8]
    /// Address to listen on.
    public var host: String
    /// Port to listen on (0 picks one).
    public var port: Int

    /// Creates a configuration.
    public init(masterID: String, etcdEndpoints: [String], token: [UInt8], host: String, port: Int) {
        self.masterID = masterID
        self.etcdEndpoints = etcdEndpoints
        self.token = token
        self.host = host
        self.port = port
    }
}

/// The web UI of one master: plain HTML, CSS and JavaScript served from the binary, JSON and
/// server-sent events for the live parts, and every answer behind the cluster token.
///
/// The UI is a client of the leader like `titan-cli`: each request opens a wire-protocol
/// connection to the leader on loopback (or wherever the leader key says it listens), so the
/// pages show exactly what the CLI shows. A standby's UI redirects (307) to the leader's, named
/// in the leader key; a leader that has no UI gets a sentence saying so.
public struct WebUI: Sendable {
    let configuration: WebUIConfiguration
    let logger: Logger
    let session: UISession

    /// Creates the UI.
    public init(configuration: WebUIConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.session = UISession(token: configuration.token)
    }

    /// Binds the listener; the result serves until its task is cancelled. The returned port is
    /// the real one (port 0 asks for a free one).
    public func bind() async throws -> (port: Int, serve: @Sendable () async throws -> Void) {
        let etcd = EtcdClient(endpoints: configuration.etcdEndpoints, requestTimeout: .seconds(5))
        let server = HTTPServer(host: configuration.host, port: configuration.port, group: MultiThreadedEventLoopGroup.singleton, logger: logger) { request in
            await self.answer(request, etcd: etcd)
        }
        let bound: BoundHTTPServer
        do {
            bound = try await server.bind()
        } catch {
            etcd.shutdown()
            throw error
        }
        return (bound.port, {
            defer { etcd.shutdown() }
            try await bound.serve()
        })
    }

    /// Everything but the login pages needs the token; everything but the login pages is
    /// served only by the leader's UI.
    func answer(_ request: HTTPRequest, etcd: EtcdClient) async -> HTTPResponse {
        let now = Int64(Date().timeIntervalSince1970)
        switch (request.method, request.path) {
        case ("GET", "/login"):
            return .html(Pages.login(error: nil))
        case ("GET", "/app.css"):
            // The style holds nothing secret, and the login page needs it.
            return .text(Pages.style, contentType: "text/css; charset=utf-8")
        case ("POST", "/login"):
            return login(request, now: now)
        case ("GET", "/logout"), ("POST", "/logout"):
            return HTTPResponse(status: 303, headers: [("Location", "/login"), ("Set-Cookie", "\(UISession.cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")])
        default:
            break
        }
        guard session.admits(request, now: now) else {
            if request.path.hasPrefix("/api/") {
                return .text("no valid session or token: log in at /login, or send Authorization: Bearer <cluster token>\n", status: 401)
            }
            return .redirect(to: "/login")
        }
        guard request.method == "GET" || UISession.isSameOrigin(request) else {
            return .text("a \(request.method) from another origin (\(request.header("Origin") ?? "?")) is refused\n", status: 403)
        }
        let leader: LeaderView
        switch await LeaderView.read(from: etcd) {
        case let .failure(problem):
            return .text(problem.description + "\n", status: 503)
        case let .success(found):
            leader = found
        }
        guard leader.id == configuration.masterID else {
            guard let ui = leader.ui else {
                return .text("this master is a standby and the leader \(leader.id) serves no web UI (start it with --ui-listen)\n", status: 503)
            }
            return .redirect(to: ui + request.target, status: 307)
        }
        return await route(request, leader: leader, etcd: etcd)
    }

    /// `POST /login` with a form field `token`: the cookie and a redirect to `/`, or the form
    /// again with a sentence.
    private func login(_ request: HTTPRequest, now: Int64) -> HTTPResponse {
        let form = HTTPRequest.parseTarget("/?" + String(decoding: request.body, as: UTF8.self))?.query ?? [:]
        guard let token = form["token"], session.isToken(Array(token.utf8)) else {
            logger.notice("web UI login refused: wrong token")
            var page = HTTPResponse.html(Pages.login(error: "That is not the cluster token: paste the content of the token file (TITAN_TOKEN_FILE)."))
            page.status = 401
            return page
        }
        let cookie = "\(UISession.cookieName)=\(session.cookieValue(now: now)); Path=/; Max-Age=\(UISession.lifetimeSeconds); HttpOnly; SameSite=Strict"
        return HTTPResponse(status: 303, headers: [("Location", "/"), ("Set-Cookie", cookie)])
    }

    /// Runs `body` on a client connection to the leader.
    func withLeader<T: Sendable>(_ leader: LeaderView, _ body: @escaping @Sendable (TitanConnection) async throws -> T) async throws -> T {
        try await TitanConnection.withConnection(
            to: leader.address, role: .client, nodeID: NodeID("titan-ui@\(configuration.masterID)"), token: configuration.token, body: body
        )
    }
}

extension HTTPResponse {
    /// An HTML page.
    static func html(_ page: String) -> HTTPResponse {
        var response = HTTPResponse.text(page, contentType: "text/html; charset=utf-8")
        response.headers.append(("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'"))
        response.headers.append(("Cache-Control", "no-store"))
        return response
    }

    /// A JSON body of `value` (sorted keys), or 500 naming what could not be encoded.
    static func json(_ value: some Encodable, status: Int = 200) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            var response = HTTPResponse.text(String(decoding: try encoder.encode(value), as: UTF8.self), status: status, contentType: "application/json")
            response.headers.append(("Cache-Control", "no-store"))
            return response
        } catch {
            return .text("could not encode the answer: \(error)\n", status: 500)
        }
    }
}
