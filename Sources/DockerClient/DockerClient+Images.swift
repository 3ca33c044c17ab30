import CurlSupport
import Foundation

/// What the engine knows about a local image (`GET /images/{name}/json`).
public struct ImageInfo: Sendable, Equatable, Decodable {
    /// The image id, `sha256:…`.
    public var id: String
    /// The tags that name it (`busybox:latest`); empty for an untagged image.
    public var repoTags: [String]
    /// Its size in bytes.
    public var size: Int64

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case repoTags = "RepoTags"
        case size = "Size"
    }

    /// Decodes the engine's JSON; a `null` tag list reads as empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        repoTags = try container.decodeIfPresent([String].self, forKey: .repoTags) ?? []
        size = try container.decodeIfPresent(Int64.self, forKey: .size) ?? 0
    }
}

extension DockerClient {
    /// The longest progress line of a pull that is parsed; a longer one is skipped unread.
    static let maxPullLineBytes = 64 << 10

    /// The local image named `image` (`busybox:latest`, `sha256:…`), or `nil` if the engine
    /// does not have it. Never contacts a registry.
    public func inspectImage(_ image: String) async throws -> ImageInfo? {
        let path = "/images/\(Self.pathEncoded(image))/json"
        let response = try await send("GET", path)
        switch response.status {
        case 200: return try Self.decode(ImageInfo.self, from: response.body, request: "GET \(path)")
        case 404: return nil
        default: throw Self.failure(response, notFound: "image \(image)")
        }
    }

    /// Removes the tag `image` (and the image, once no tag or container uses it); `force` also
    /// removes it from under stopped containers. Returns `false` when the engine has no such image.
    @discardableResult
    public func removeImage(_ image: String, force: Bool = false) async throws -> Bool {
        let path = "/images/\(Self.pathEncoded(image))"
        let response = try await send("DELETE", path, query: [("force", force ? "1" : "0")])
        switch response.status {
        case 200: return true
        case 404: return false
        default: throw Self.failure(response, notFound: "image \(image)")
        }
    }

    /// Pulls `image` from its registry and returns when the engine has finished.
    ///
    /// The engine always asks the registry, even for an image it already has, so call
    /// ``ensureImage(_:)`` unless a fresh copy is really wanted. The progress stream is read to
    /// its end; an error in it, or an error status, throws
    /// ``DockerError/imageUnavailable(image:reason:)`` with the engine's reason.
    public func pullImage(_ image: String) async throws {
        let (name, tag) = Self.splitReference(image)
        var query = [("fromImage", name)]
        if let tag {
            query.append(("tag", tag))
        }
        let request = makeRequest("POST", "/images/create", query: query, version: try await apiVersion(), timeoutMilliseconds: nil)
        var lines = PullProgress()
        do {
            for try await chunk in loop.stream(request, maxBufferedBytes: 256 << 10) {
                lines.feed(chunk)
            }
        } catch let error as CurlError {
            let translated = translate(error, request: "POST /images/create", timeoutMilliseconds: nil)
            if case let DockerError.engine(_, message) = translated {
                throw DockerError.imageUnavailable(image: image, reason: message)
            }
            throw translated
        }
        lines.finish()
        if let reason = lines.error {
            throw DockerError.imageUnavailable(image: image, reason: reason)
        }
    }

    /// Makes sure the engine has `image`: inspects it and pulls only when it is missing, so an
    /// image that is present works offline.
    ///
    /// Throws ``DockerError/imageUnavailable(image:reason:)`` when the image is missing and
    /// cannot be pulled (no registry reachable: this fails in milliseconds, it does not hang).
    @discardableResult
    public func ensureImage(_ image: String) async throws -> ImageInfo {
        if let info = try await inspectImage(image) {
            return info
        }
        try await pullImage(image)
        guard let info = try await inspectImage(image) else {
            throw DockerError.imageUnavailable(image: image, reason: "the pull finished but the engine still has no such image")
        }
        return info
    }

    /// Splits `name[:tag]` or `name@digest` into the `fromImage` and `tag` query values.
    /// A colon inside the registry part (`host:5000/app`) is not a tag; a digest stays in the name.
    static func splitReference(_ reference: String) -> (name: String, tag: String?) {
        if reference.contains("@") {
            return (reference, nil)
        }
        let lastSlash = reference.lastIndex(of: "/")
        if let colon = reference.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            return (String(reference[..<colon]), String(reference[reference.index(after: colon)...]))
        }
        return (reference, "latest")
    }
}

/// Reads a pull's progress: one JSON object per line, where a failure is a line with an
/// `error` (or `errorDetail.message`) field. Keeps the last error and nothing else.
struct PullProgress {
    private(set) var error: String?
    private var line: [UInt8] = []
    private var skipping = false

    private struct Line: Decodable {
        struct Detail: Decodable {
            var message: String?
        }
        var error: String?
        var errorDetail: Detail?
    }

    /// Consumes a chunk of the stream. A line longer than ``DockerClient/maxPullLineBytes`` is
    /// skipped up to its newline instead of being buffered.
    mutating func feed(_ chunk: [UInt8]) {
        for byte in chunk {
            if byte == UInt8(ascii: "\n") {
                if !skipping { parse() }
                line.removeAll(keepingCapacity: true)
                skipping = false
            } else if !skipping {
                line.append(byte)
                if line.count > DockerClient.maxPullLineBytes {
                    line.removeAll(keepingCapacity: true)
                    skipping = true
                }
            }
        }
    }

    /// Parses a last line that had no newline.
    mutating func finish() {
        if !skipping, !line.isEmpty { parse() }
        line.removeAll()
    }

    private mutating func parse() {
        guard let decoded = try? JSONDecoder().decode(Line.self, from: Data(line)) else { return }
        if let message = decoded.errorDetail?.message ?? decoded.error {
            error = message
        }
    }
}
