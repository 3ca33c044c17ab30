import Foundation
import XCTest

@testable import DockerClient

/// Version negotiation, reachability and images, against the real engine.
final class DockerEngineTests: DockerTestCase {
    func testPingNegotiatesTheVersion() async throws {
        let ping = try await docker.ping()
        XCTAssertGreaterThanOrEqual(ping.engineAPIVersion, DockerClient.minAPIVersion)
        XCTAssertEqual(ping.apiVersion, min(ping.engineAPIVersion, DockerAPIVersion(major: 1, minor: 41)))
        XCTAssertEqual(ping.osType, "linux")
        let version = try await docker.apiVersion()
        XCTAssertEqual(version, ping.apiVersion)
    }

    func testAnEngineThatDoesNotAnswerIsUnreachable() async throws {
        let socket = "/tmp/titan-no-docker-\(runID).sock"
        let absent = DockerClient(socketPath: socket)
        await assertThrows(.unreachable(socket: socket)) {
            try await absent.ping()
        }
        await assertThrows(.unreachable(socket: socket)) {
            _ = try await absent.inspectImage(Self.image)
        }
        XCTAssertEqual(
            DockerError.unreachable(socket: "/var/run/docker.sock").description,
            "Docker is not answering at /var/run/docker.sock: start dockerd (Tools/start-services)"
        )
    }

    func testInspectPresentImage() async throws {
        let info = try await docker.inspectImage(Self.image)
        XCTAssertNotNil(info)
        XCTAssertTrue(info?.id.hasPrefix("sha256:") ?? false, "id: \(info?.id ?? "none")")
        XCTAssertTrue(info?.repoTags.contains(Self.image) ?? false)
        XCTAssertGreaterThan(info?.size ?? 0, 0)
    }

    func testInspectMissingImageIsNil() async throws {
        let info = try await docker.inspectImage("busybox:titan-missing-\(runID)")
        XCTAssertNil(info)
    }

    func testEnsurePresentImageDoesNotPull() async throws {
        // Offline a pull always fails, so success proves that nothing was pulled.
        let info = try await docker.ensureImage(Self.image)
        XCTAssertTrue(info.repoTags.contains(Self.image))
    }

    func testEnsureMissingImageFailsClearlyAndFast() async throws {
        let image = "busybox:titan-missing-\(runID)"
        let started = ContinuousClock.now
        do {
            try await docker.ensureImage(image)
            XCTFail("ensureImage(\(image)) succeeded, but no registry should be reachable here")
        } catch let DockerError.imageUnavailable(failedImage, reason) {
            XCTAssertEqual(failedImage, image)
            XCTAssertFalse(reason.isEmpty)
            let text = DockerError.imageUnavailable(image: failedImage, reason: reason).description
            XCTAssertTrue(text.hasPrefix("image \(image) is not present and could not be pulled: "), text)
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(15))
    }

    func testReferenceSplitting() {
        XCTAssertTrue(DockerClient.splitReference("busybox") == ("busybox", "latest"))
        XCTAssertTrue(DockerClient.splitReference("busybox:foo") == ("busybox", "foo"))
        XCTAssertTrue(DockerClient.splitReference("host:5000/team/app") == ("host:5000/team/app", "latest"))
        XCTAssertTrue(DockerClient.splitReference("host:5000/team/app:1.2") == ("host:5000/team/app", "1.2"))
        XCTAssertTrue(DockerClient.splitReference("app@sha256:abc") == ("app@sha256:abc", nil))
    }

    func testVersionsAndTimestamps() {
        XCTAssertEqual(DockerAPIVersion("1.41"), DockerAPIVersion(major: 1, minor: 41))
        XCTAssertLessThan(DockerAPIVersion(major: 1, minor: 9), DockerAPIVersion(major: 1, minor: 41))
        XCTAssertNil(DockerAPIVersion("1.41.2"))
        XCTAssertNil(dockerTimestamp("0001-01-01T00:00:00Z"))
        let date = dockerTimestamp("2026-11-29T00:58:38.132736064Z")
        XCTAssertEqual(date?.timeIntervalSince1970 ?? 0, 1_795_913_918.132736064, accuracy: 1e-6)
        XCTAssertEqual(dockerTimestamp("2026-11-29T00:58:38Z")?.timeIntervalSince1970, 1_795_913_918)
    }
}
