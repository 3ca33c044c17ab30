import CurlSupport
import Foundation
import Synchronization

/// A client of the Docker Engine API over its unix socket.
///
/// Every request runs on a ``CurlLoop`` (one thread driving libcurl), so no call here blocks
/// the caller's thread. The API version is negotiated on first use (see ``ping()``): the client
/// speaks `min(``maxAPIVersion``, the engine's Api-Version)` and prefixes every path with it.
///
/// Expected outcomes (already running, already stopped, already removed, image missing) are
/// values; failures are ``DockerError``s whose descriptions tell the operator what to do.
public final class DockerClient: Sendable {
    /// Where dockerd listens by default.
    public static let defaultSocketPath = "/var/run/docker.sock"
    /// The newest API version this client speaks: the one its requests were verified against.
    public static let maxAPIVersion = DockerAPIVersion(major: 1, minor: 41)
    /// The oldest API version this client accepts: `NanoCpus` appeared in 1.25.
    public static let minAPIVersion = DockerAPIVersion(major: 1, minor: 25)

    /// The engine's socket as the Docker CLI finds it: the path of `DOCKER_HOST` when that is
    /// `unix://PATH`, ``defaultSocketPath`` when `DOCKER_HOST` is unset or empty.
    ///
    /// Throws ``DockerHostError`` when `DOCKER_HOST` names anything but a unix socket: Titan
    /// talks to the engine only over its unix socket.
    public static func socketPathFromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        guard let host = environment["DOCKER_HOST"], !host.isEmpty else { return defaultSocketPath }
        guard host.hasPrefix("unix://"), host.count > "unix://".count else { throw DockerHostError(value: host) }
        return String(host.dropFirst("unix://".count))
    }

    /// The unix socket this client talks to.
    public let socketPath: String
    /// The loop that carries out this client's transfers.
    public let loop: CurlLoop

    /// How long a ping may take before the engine counts as not answering.
    static let pingTimeoutMilliseconds = 5_000

    private let ownsLoop: Bool
    private let negotiated = Mutex<DockerAPIVersion?>(nil)

    /// Creates a client of the engine at `socketPath`.
    ///
    /// Pass a `loop` to share one libcurl thread with other clients; without one the client
    /// starts its own and shuts it down when the client is released (in-flight calls then fail).
    /// No request is made until the first call.
    public init(socketPath: String = DockerClient.defaultSocketPath, loop: CurlLoop? = nil) {
        self.socketPath = socketPath
        self.ownsLoop = loop == nil
        self.loop = loop ?? CurlLoop(name: "titan.docker")
    }

    deinit {
        if ownsLoop {
            loop.shutdown()
        }
    }

    /// Checks that the engine answers and (re)negotiates the API version used by later calls.
    ///
    /// Throws ``DockerError/unreachable(socket:)`` when nothing answers on the socket within a
    /// few seconds, and ``DockerError/unsupportedVersion(server:minimum:)`` for an engine older
    /// than ``minAPIVersion``.
    @discardableResult
    public func ping() async throws -> DockerPing {
        let request = CurlRequest(
            method: "GET",
            url: "http://localhost/_ping",
            unixSocketPath: socketPath,
            timeoutMilliseconds: Self.pingTimeoutMilliseconds,
            maxResponseBytes: 4096
        )
        let response: CurlResponse
        do {
            response = try await loop.perform(request)
        } catch let error as CurlError where error.isConnectionFailure {
            throw DockerError.unreachable(socket: socketPath)
        }
        guard response.status == 200 else {
            throw DockerError.engine(status: response.status, message: Self.message(from: response.body))
        }
        guard let header = response.header("Api-Version") else {
            throw DockerError.badResponse("/_ping answered without an Api-Version header")
        }
        guard let server = DockerAPIVersion(header) else {
            throw DockerError.badResponse("/_ping answered Api-Version \"\(header)\", not MAJOR.MINOR")
        }
        guard server >= Self.minAPIVersion else {
            throw DockerError.unsupportedVersion(server: server.description, minimum: Self.minAPIVersion.description)
        }
        let chosen = min(server, Self.maxAPIVersion)
        negotiated.withLock { $0 = chosen }
        return DockerPing(
            engineAPIVersion: server,
            apiVersion: chosen,
            osType: response.header("Ostype"),
            server: response.header("Server")
        )
    }

    /// The negotiated API version, pinging the engine first if no call has yet.
    public func apiVersion() async throws -> DockerAPIVersion {
        if let known = negotiated.withLock({ $0 }) {
            return known
        }
        return try await ping().apiVersion
    }
}

/// An Engine API version, `MAJOR.MINOR` (e.g. `1.41`), ordered numerically (`1.9 < 1.41`).
public struct DockerAPIVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The major number (1 for every engine so far).
    public var major: Int
    /// The minor number.
    public var minor: Int

    /// Creates a version from its two numbers.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses `MAJOR.MINOR`; `nil` for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]), major >= 0, minor >= 0 else {
            return nil
        }
        self.init(major: major, minor: minor)
    }

    /// `MAJOR.MINOR`, as used in the `/vMAJOR.MINOR/` path prefix.
    public var description: String {
        "\(major).\(minor)"
    }

    /// Numeric order: major first, then minor.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }
}

/// What the engine said to a ping.
public struct DockerPing: Sendable, Equatable {
    /// The newest API version the engine speaks (its `Api-Version` header).
    public var engineAPIVersion: DockerAPIVersion
    /// The version this client now uses: the lower of the engine's and ``DockerClient/maxAPIVersion``.
    public var apiVersion: DockerAPIVersion
    /// The engine's operating system (`linux`), if it said.
    public var osType: String?
    /// The engine's `Server` header (`Docker/20.10.24+dfsg1 (linux)`), if it said.
    public var server: String?
}

/// `DOCKER_HOST` names something other than a unix socket.
public struct DockerHostError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The variable's value.
    public var value: String

    public var description: String {
        "DOCKER_HOST=\(value) is not a unix socket (unix:///path): Titan talks to the engine over its unix socket; unset DOCKER_HOST or pass --docker-socket PATH"
    }
}
