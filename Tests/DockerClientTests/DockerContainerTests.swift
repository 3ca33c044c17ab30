import Foundation
import TitanTestSupport
import XCTest

@testable import DockerClient

/// The life of a container against the real engine: create, start, wait, kill, remove, list.
final class DockerContainerTests: DockerTestCase {
    func testCreateAppliesLimitsLabelsAndNoNetwork() async throws {
        var spec = spec("exit 0", labels: ["titan.test.role": "limits"])
        spec.nanoCPUs = 250_000_000
        spec.memoryBytes = 32 << 20
        let id = try await docker.createContainer(spec)
        let details = try await docker.inspectContainer(id)
        XCTAssertEqual(details.id, id)
        XCTAssertEqual(details.nanoCPUs, 250_000_000)
        XCTAssertEqual(details.memoryBytes, 32 << 20)
        XCTAssertEqual(details.networkMode, "none")
        XCTAssertEqual(details.logDriver, "local")
        XCTAssertEqual(details.image, Self.image)
        XCTAssertEqual(details.labels[Self.testLabel], runID)
        XCTAssertEqual(details.labels["titan.test.role"], "limits")
        XCTAssertEqual(details.state.status, "created")
        XCTAssertFalse(details.state.running)
        XCTAssertNil(details.state.startedAt)
    }

    func testStartTwiceKillWaitAndKillAgain() async throws {
        let id = try await run("sleep 60")
        let again = try await docker.startContainer(id)
        XCTAssertEqual(again, .alreadyRunning)
        let running = try await docker.inspectContainer(id)
        XCTAssertTrue(running.state.running)
        XCTAssertNotNil(running.state.startedAt)

        let killed = try await docker.killContainer(id)
        XCTAssertEqual(killed, .signalled)
        let docker = self.docker!
        let code = try await withDeadline(.seconds(20), waitingFor: "wait after kill") { try await docker.waitContainer(id) }
        XCTAssertEqual(code, 137)
        // Killing a container that has stopped is a value, not an error.
        let second = try await docker.killContainer(id)
        XCTAssertEqual(second, .notRunning)

        let stopped = try await docker.inspectContainer(id)
        XCTAssertEqual(stopped.state.status, "exited")
        XCTAssertEqual(stopped.state.exitCode, 137)
        XCTAssertFalse(stopped.state.oomKilled)
        XCTAssertNotNil(stopped.state.finishedAt)
    }

    func testRemoveRunningNeedsForceAndRemovingTwiceIsFine() async throws {
        let id = try await run("sleep 60")
        do {
            try await docker.removeContainer(id, force: false)
            XCTFail("removing a running container without force succeeded")
        } catch let DockerError.conflict(message) {
            XCTAssertTrue(message.contains("running"), message)
        }
        let first = try await docker.removeContainer(id, force: true)
        XCTAssertEqual(first, .removed)
        let second = try await docker.removeContainer(id, force: true)
        XCTAssertEqual(second, .alreadyGone)
        await assertThrows(.notFound("container \(id)")) {
            _ = try await self.docker.inspectContainer(id)
        }
    }

    func testListByLabelFindsExactlyThisTestsContainers() async throws {
        var ids: [String: String] = [:]
        for (name, role) in [("a1", "a"), ("a2", "a"), ("b1", "b")] {
            ids[name] = try await docker.createContainer(spec("exit 0", labels: ["titan.test.role": role]))
        }
        let mine = try await docker.listContainers(labels: [Self.testLabel: runID], all: true)
        XCTAssertEqual(Set(mine.map(\.id)), Set(ids.values))
        XCTAssertTrue(mine.allSatisfy { $0.state == "created" && $0.labels[Self.testLabel] == runID && !$0.names.isEmpty })

        let roleA = try await docker.listContainers(labels: [Self.testLabel: runID, "titan.test.role": "a"], all: true)
        XCTAssertEqual(Set(roleA.map(\.id)), [ids["a1"]!, ids["a2"]!])
        let anyRole = try await docker.listContainers(labels: [Self.testLabel: runID, "titan.test.role": nil], all: true)
        XCTAssertEqual(anyRole.count, 3)
        let runningOnly = try await docker.listContainers(labels: [Self.testLabel: runID], all: false)
        XCTAssertEqual(runningOnly.count, 0)
    }

    func testUnknownContainerIsNotFound() async throws {
        let id = "titan-no-such-container-\(runID)"
        await assertThrows(.notFound("container \(id)")) { _ = try await self.docker.inspectContainer(id) }
        await assertThrows(.notFound("container \(id)")) { _ = try await self.docker.startContainer(id) }
        await assertThrows(.notFound("container \(id)")) { _ = try await self.docker.waitContainer(id) }
        await assertThrows(.notFound("container \(id)")) { _ = try await self.docker.killContainer(id) }
        let removed = try await docker.removeContainer(id)
        XCTAssertEqual(removed, .alreadyGone)
    }

    func testCreateWithMissingImageOrTakenNameFails() async throws {
        var missing = spec("exit 0")
        missing.image = "busybox:titan-missing-\(runID)"
        await assertThrows(.notFound("image busybox:titan-missing-\(runID)")) {
            _ = try await self.docker.createContainer(missing)
        }
        var named = spec("exit 0")
        named.name = "titan-test-\(runID)"
        _ = try await docker.createContainer(named)
        do {
            _ = try await docker.createContainer(named)
            XCTFail("a second container with the name \(named.name!) was created")
        } catch let DockerError.conflict(message) {
            XCTAssertTrue(message.contains("already in use"), message)
        }
    }

    func testMemoryLimitOOMKills() async throws {
        var spec = spec("head -c 64m /dev/zero | tail > /dev/null")
        spec.memoryBytes = 8 << 20
        let id = try await docker.createContainer(spec)
        _ = try await docker.startContainer(id)
        let docker = self.docker!
        let code = try await withDeadline(.seconds(30), waitingFor: "wait for the OOM kill") { try await docker.waitContainer(id) }
        XCTAssertEqual(code, 137)
        let details = try await docker.inspectContainer(id)
        XCTAssertTrue(details.state.oomKilled, "state: \(details.state)")
    }
}
