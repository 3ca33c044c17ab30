import CurlSupport
import Foundation

/// Request building, error mapping and JSON helpers shared by every endpoint.
extension DockerClient {
    /// The total time a unary request may take. Engine calls are normally milliseconds (start is
    /// ~250 ms), but a busy engine can be slow; waits and streams have no limit at all.
    static let unaryTimeoutMilliseconds = 60_000

    /// A versioned request to the engine: `path` starts with `/`, `query` values are encoded here.
    func makeRequest(
        _ method: String,
        _ path: String,
        query: [(String, String)] = [],
        json body: [UInt8]? = nil,
        version: DockerAPIVersion,
        timeoutMilliseconds: Int? = DockerClient.unaryTimeoutMilliseconds
    ) -> CurlRequest {
        var url = "http://localhost/v\(version)\(path)"
        if !query.isEmpty {
            url += "?" + query.map { "\(Self.percentEncoded($0.0))=\(Self.percentEncoded($0.1))" }.joined(separator: "&")
        }
        // The engine rejects a POST body without this header (libcurl defaults to a form type).
        let headers = method == "POST" || body != nil ? ["Content-Type: application/json"] : []
        return CurlRequest(
            method: method,
            url: url,
            headers: headers,
            body: body,
            unixSocketPath: socketPath,
            timeoutMilliseconds: timeoutMilliseconds,
            maxResponseBytes: 16 << 20
        )
    }

    /// Negotiates the version if needed, sends one unary request and returns the response
    /// whatever its status; transport failures become ``DockerError``s.
    func send(
        _ method: String,
        _ path: String,
        query: [(String, String)] = [],
        json body: [UInt8]? = nil,
        timeoutMilliseconds: Int? = DockerClient.unaryTimeoutMilliseconds
    ) async throws -> CurlResponse {
        let version = try await apiVersion()
        let request = makeRequest(
            method, path, query: query, json: body, version: version, timeoutMilliseconds: timeoutMilliseconds)
        do {
            return try await loop.perform(request)
        } catch let error as CurlError {
            throw translate(error, request: "\(method) \(path)", timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    /// The ``DockerError`` for a libcurl failure; errors that are not about the engine pass through.
    func translate(_ error: CurlError, request: String, timeoutMilliseconds: Int?) -> any Error {
        switch error {
        case let .transport(_, code, _) where code == 28:
            return DockerError.timedOut(request: request, seconds: (timeoutMilliseconds ?? 0) / 1000)
        case .transport where error.isConnectionFailure:
            return DockerError.unreachable(socket: socketPath)
        case let .responseTooLarge(_, limit):
            return DockerError.badResponse("the answer to \(request) is larger than \(limit) bytes")
        case let .httpStatus(_, status, body):
            return DockerError.engine(status: status, message: Self.message(from: Array(body.utf8)))
        case .transport, .shutDown:
            return error
        }
    }

    /// The error for an answer with an unexpected status: 404 → not found (`what` names the
    /// object), 409 → conflict, anything else → ``DockerError/engine(status:message:)``.
    static func failure(_ response: CurlResponse, notFound what: String) -> DockerError {
        let message = message(from: response.body)
        switch response.status {
        case 404: return .notFound(what)
        case 409: return .conflict(message)
        default: return .engine(status: response.status, message: message)
        }
    }

    /// The engine's error text: the `message` of `{"message": …}`, or the trimmed body; cut at
    /// 1,000 characters so that a log line stays a line.
    static func message(from body: [UInt8]) -> String {
        struct EngineMessage: Decodable {
            var message: String
        }
        let text: String
        if let decoded = try? JSONDecoder().decode(EngineMessage.self, from: Data(body)) {
            text = decoded.message
        } else {
            text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return text.count > 1000 ? String(text.prefix(1000)) + "…" : text
    }

    /// Decodes a JSON answer, naming the request in the error if it does not fit `type`.
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], request: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            throw DockerError.badResponse("the answer to \(request) is not the expected JSON: \(error)")
        }
    }

    /// Encodes a request body as JSON.
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// Characters left as they are in a query value (RFC 3986 unreserved).
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    /// Characters left as they are in a path segment that holds an id or an image reference
    /// (`registry:5000/team/app:1.2@sha256:…`): the engine's router accepts `/`, `:` and `@`.
    private static let pathSafe = unreserved.union(CharacterSet(charactersIn: "/:@"))

    /// `text` percent-encoded for a query name or value.
    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// `text` percent-encoded for use inside a path (ids, names, image references).
    static func pathEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: pathSafe) ?? text
    }
}
