import Foundation
import TitanTestSupport
import XCTest

@testable import DockerClient

/// The base of every test that talks to the real dockerd at /var/run/docker.sock.
///
/// Each test gets a fresh client and a run id; every container it creates carries the label
/// `titan.test=<run id>`. tearDown force-removes whatever still carries it and then checks that
/// nothing does. A test fails (never skips), within seconds, when the engine does not answer or
/// lacks busybox:latest (``TestServices/requireDocker()``). Every wait goes through
/// ``withDeadline(_:waitingFor:file:line:_:)``.
class DockerTestCase: XCTestCase {
    static let image = "busybox:latest"
    static let testLabel = "titan.test"

    private(set) var docker: DockerClient!
    private(set) var runID = ""

    override func setUp() async throws {
        try await super.setUp()
        runID = "dct-" + UUID().uuidString.prefix(8).lowercased()
        docker = try await TestServices.requireDocker()
    }

    override func tearDown() async throws {
        if let docker {
            let labels: [String: String?] = [Self.testLabel: runID]
            for container in try await docker.listContainers(labels: labels, all: true) {
                try await docker.removeContainer(container.id, force: true)
            }
            let left = try await docker.listContainers(labels: labels, all: true)
            XCTAssertEqual(left.map(\.id), [], "containers labelled \(Self.testLabel)=\(runID) were left behind")
        }
        docker = nil
        try await super.tearDown()
    }

    /// A busybox container running `sh -c script`, labelled with this test's run id.
    func spec(_ script: String, labels: [String: String] = [:]) -> ContainerSpec {
        ContainerSpec(
            image: Self.image,
            command: ["sh", "-c", script],
            labels: labels.merging([Self.testLabel: runID]) { _, ours in ours }
        )
    }

    /// Creates and starts a container for `script`, returning its id.
    func run(_ script: String) async throws -> String {
        let id = try await docker.createContainer(spec(script))
        let outcome = try await docker.startContainer(id)
        XCTAssertEqual(outcome, .started)
        return id
    }

    /// Reads a followed log stream to its end: the bytes of stdout and of stderr.
    static func collect(_ stream: DockerLogStream) async throws -> (stdout: [UInt8], stderr: [UInt8]) {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        for try await frame in stream {
            switch frame.stream {
            case .stdout: stdout += frame.bytes
            case .stderr: stderr += frame.bytes
            }
        }
        return (stdout, stderr)
    }

    /// Asserts that `body` throws exactly `expected`.
    func assertThrows(
        _ expected: DockerError,
        file: StaticString = #filePath,
        line: UInt = #line,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            XCTFail("expected \(expected), nothing was thrown", file: file, line: line)
        } catch {
            XCTAssertEqual(error as? DockerError, expected, file: file, line: line)
        }
    }

    /// SHA-256 of `bytes` in hex, by the host's coreutils (the container used busybox's).
    static func sha256(_ bytes: [UInt8]) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("titan-dct-\(UUID().uuidString)")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [file.path]
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }
}
