import DockerClient
import Foundation
import TitanTestSupport
import XCTest

/// The first-run path of every Titan machine: `Tools/import-busybox-image` builds the image the
/// Docker runtime runs by default from Debian's static busybox. It runs here on every test run,
/// into a throw-away tag, so that it cannot rot unnoticed on machines that have the image already.
final class ImageImportTests: DockerTestCase {
    /// `Tools/` of this checkout.
    private static let tools = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tools").path

    /// The throw-away tag of this test, removed by tearDown whatever happened.
    private var tag = ""

    override func tearDown() async throws {
        if let docker, !tag.isEmpty {
            let tag = tag
            _ = try await withDeadline(.seconds(30), waitingFor: "the engine to remove \(tag)") { try await docker.removeImage(tag, force: true) }
        }
        try await super.tearDown()
    }

    func testTheImportScriptMakesAnImageThatRunsShellCommands() async throws {
        let docker = self.docker!
        tag = "titan-import-test:\(runID)"
        let tag = tag
        let before = try await docker.inspectImage(tag)
        XCTAssertNil(before, "the throw-away tag exists already")

        let run = try await Self.runScript(["--tag", tag, "--force"])
        XCTAssertEqual(run.status, 0, "import-busybox-image failed: \(run.output)")
        XCTAssertTrue(run.output.contains("created \(tag)"), run.output)
        let imported = try await docker.inspectImage(tag)
        let image = try XCTUnwrap(imported, "the script reported success but the engine has no \(tag)")
        XCTAssertEqual(image.repoTags, [tag])

        // A container of it runs a shell with the applets on PATH, a writable /tmp and a passwd.
        var spec = spec("echo hello from $(basename $(readlink -f /bin/sh)); touch /tmp/x && ls /tmp; id -un")
        spec.image = tag
        let id = try await docker.createContainer(spec)
        let stream = try await docker.attach(id)
        _ = try await docker.startContainer(id)
        let output = try await withDeadline(.seconds(30), waitingFor: "the imported image's container output") { try await Self.collect(stream) }
        let code = try await withDeadline(.seconds(30), waitingFor: "the imported image's container to exit") { try await docker.waitContainer(id) }
        XCTAssertEqual(code, 0, String(decoding: output.stderr, as: UTF8.self))
        XCTAssertEqual(String(decoding: output.stdout, as: UTF8.self), "hello from busybox\nx\nroot\n")
        try await docker.removeContainer(id, force: true)
        let removed = try await docker.removeImage(tag, force: true)
        XCTAssertTrue(removed)
        let after = try await docker.inspectImage(tag)
        XCTAssertNil(after)
    }

    func testTheScriptRefusesABadArgumentWithASentence() async throws {
        let run = try await Self.runScript(["--no-such-flag"])
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.output.contains("unknown argument '--no-such-flag'"), run.output)
    }

    /// Runs the script (at most 60 s) and returns its exit status and its merged output.
    private static func runScript(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tools + "/import-busybox-image")
        process.arguments = arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("titan-import-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
        let pid = process.processIdentifier
        do {
            try await waitUntil("Tools/import-busybox-image \(arguments.joined(separator: " ")) to exit", timeout: .seconds(60), interval: .milliseconds(50)) {
                !process.isRunning
            }
        } catch {
            kill(pid, SIGKILL)
            throw error
        }
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        return (process.terminationStatus, text)
    }
}
