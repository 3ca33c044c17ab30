import TitanTestSupport
import XCTest

@testable import DockerClient

/// Cancellation reaches requests that have no time limit.
final class DockerCancellationTests: DockerTestCase {
    func testCancellingAWaitEndsIt() async throws {
        let id = try await run("sleep 60")
        let docker = self.docker!
        let waiting = Task { try await docker.waitContainer(id) }
        try await Task.sleep(for: .milliseconds(200))
        waiting.cancel()
        let outcome = try await withDeadline(.seconds(10), waitingFor: "the cancelled wait") { await waiting.result }
        XCTAssertThrowsError(try outcome.get()) { error in
            XCTAssertTrue(error is CancellationError, "\(error)")
        }
        // A task cancelled before it asks never reaches the engine.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await docker.waitContainer(id)
        }
        let earlyOutcome = try await withDeadline(.seconds(10), waitingFor: "the wait of a cancelled task") { await early.result }
        XCTAssertThrowsError(try earlyOutcome.get())
    }
}
