import CurlSupport

/// What `startContainer` found.
public enum StartOutcome: Sendable, Equatable {
    /// The container was started now.
    case started
    /// It was already running (HTTP 304); nothing changed.
    case alreadyRunning
}

/// What `killContainer` found.
public enum KillOutcome: Sendable, Equatable {
    /// The signal was delivered.
    case signalled
    /// The container was not running (HTTP 409): it has already stopped, nothing to do.
    case notRunning
}

/// What `removeContainer` found.
public enum RemoveOutcome: Sendable, Equatable {
    /// The container was removed now.
    case removed
    /// There was no such container (HTTP 404): it is already gone.
    case alreadyGone
}

/// When `waitContainer` returns.
public enum WaitCondition: String, Sendable {
    /// As soon as the container is not running: at once for a created or exited container.
    /// Use it after `startContainer`.
    case notRunning = "not-running"
    /// At the container's next exit: hangs for a container that has already exited unless it
    /// is started again. Use it to register a wait before `startContainer`.
    case nextExit = "next-exit"
}

extension DockerClient {
    /// Creates a container from `spec` and returns its id. Does not start it.
    ///
    /// Throws ``DockerError/notFound(_:)`` when the image is missing (call ``ensureImage(_:)``
    /// first) and ``DockerError/conflict(_:)`` when the name is taken.
    public func createContainer(_ spec: ContainerSpec) async throws -> String {
        let query = spec.name.map { [("name", $0)] } ?? []
        let response = try await send("POST", "/containers/create", query: query, json: try Self.encode(CreateContainerBody(spec)))
        guard response.status == 201 else {
            throw Self.failure(response, notFound: "image \(spec.image)")
        }
        return try Self.decode(CreateContainerAnswer.self, from: response.body, request: "POST /containers/create").Id
    }

    /// Starts container `id`. Start is not idempotent: starting an exited container runs it again.
    public func startContainer(_ id: String) async throws -> StartOutcome {
        let response = try await send("POST", "/containers/\(Self.pathEncoded(id))/start")
        switch response.status {
        case 204: return .started
        case 304: return .alreadyRunning
        default: throw Self.failure(response, notFound: "container \(id)")
        }
    }

    /// Waits until container `id` meets `condition` and returns its exit code (137 after a
    /// SIGKILL). A long request: it has no time limit; cancel the task to give up.
    public func waitContainer(_ id: String, condition: WaitCondition = .notRunning) async throws -> Int {
        struct Answer: Decodable {
            struct Failure: Decodable {
                var Message: String?
            }
            var StatusCode: Int
            var Error: Failure?
        }
        let path = "/containers/\(Self.pathEncoded(id))/wait"
        let response = try await send("POST", path, query: [("condition", condition.rawValue)], timeoutMilliseconds: nil)
        guard response.status == 200 else {
            throw Self.failure(response, notFound: "container \(id)")
        }
        let answer = try Self.decode(Answer.self, from: response.body, request: "POST \(path)")
        if let message = answer.Error?.Message, !message.isEmpty {
            throw DockerError.engine(status: 200, message: "waiting for container \(id) failed: \(message)")
        }
        return answer.StatusCode
    }

    /// The state, limits and labels of container `id`; ``DockerError/notFound(_:)`` if there is none.
    public func inspectContainer(_ id: String) async throws -> ContainerDetails {
        let path = "/containers/\(Self.pathEncoded(id))/json"
        let response = try await send("GET", path)
        guard response.status == 200 else {
            throw Self.failure(response, notFound: "container \(id)")
        }
        return try Self.decode(InspectAnswer.self, from: response.body, request: "GET \(path)").details
    }

    /// Sends `signal` (a name like `SIGTERM`, or a number) to container `id`. A container that
    /// is not running is reported as ``KillOutcome/notRunning``, not as an error.
    @discardableResult
    public func killContainer(_ id: String, signal: String = "SIGKILL") async throws -> KillOutcome {
        let response = try await send("POST", "/containers/\(Self.pathEncoded(id))/kill", query: [("signal", signal)])
        switch response.status {
        case 204: return .signalled
        // The engine answers 409 only for "is not running"; anything else is a real failure.
        case 409 where Self.message(from: response.body).contains("is not running"): return .notRunning
        default: throw Self.failure(response, notFound: "container \(id)")
        }
    }

    /// Removes container `id` and its anonymous volumes. With `force` a running container is
    /// killed first; without it, removing a running one throws ``DockerError/conflict(_:)``.
    /// A container that does not exist is ``RemoveOutcome/alreadyGone``.
    @discardableResult
    public func removeContainer(_ id: String, force: Bool = false) async throws -> RemoveOutcome {
        let query = [("force", force ? "1" : "0"), ("v", "1")]
        let response = try await send("DELETE", "/containers/\(Self.pathEncoded(id))", query: query)
        switch response.status {
        case 204: return .removed
        case 404: return .alreadyGone
        default: throw Self.failure(response, notFound: "container \(id)")
        }
    }

    /// The containers carrying every label in `labels` (a `nil` value matches any value of that
    /// key); with `all` also those that are not running. An empty `labels` lists every container.
    public func listContainers(labels: [String: String?], all: Bool = true) async throws -> [ContainerSummary] {
        let filters = ["label": labels.sorted { $0.key < $1.key }.map { key, value in value.map { "\(key)=\($0)" } ?? key }]
        let filterJSON = String(decoding: try Self.encode(filters), as: UTF8.self)
        var query = [("all", all ? "1" : "0")]
        if !labels.isEmpty {
            query.append(("filters", filterJSON))
        }
        let response = try await send("GET", "/containers/json", query: query)
        guard response.status == 200 else {
            throw Self.failure(response, notFound: "container list")
        }
        return try Self.decode([SummaryAnswer].self, from: response.body, request: "GET /containers/json").map(\.summary)
    }
}
