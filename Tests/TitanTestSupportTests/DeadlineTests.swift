import Synchronization
import TitanTestSupport
import XCTest

/// The deadline helper every test waits through: a wait for something that never happens fails
/// in time with what it waited for, even when what it awaits ignores cancellation.
final class DeadlineTests: XCTestCase {
    /// A job's state as a test would watch it; here it never gets past `running`.
    private enum JobState: Sendable { case pending, running, succeeded }

    func testAJobThatNeverReachesTheAwaitedStateFailsTheWaitNamingIt() async throws {
        let state = Mutex(JobState.pending)
        state.withLock { $0 = .running }
        let started = ContinuousClock.now
        do {
            try await waitUntil("job 7-1 succeeded", timeout: .milliseconds(300)) {
                state.withLock { $0 } == .succeeded
            }
            XCTFail("the wait for a state never reached returned")
        } catch let error as DeadlineExceeded {
            XCTAssertEqual(error.what, "job 7-1 succeeded")
            XCTAssertTrue(error.description.contains("timed out after 0.3 seconds waiting for: job 7-1 succeeded"), error.description)
            XCTAssertTrue(error.description.contains("DeadlineTests.swift"), "names the call site: \(error.description)")
        }
        let waited = ContinuousClock.now - started
        XCTAssertGreaterThanOrEqual(waited, .milliseconds(300))
        XCTAssertLessThan(waited, .seconds(3))
    }

    func testABodyThatIgnoresCancellationIsLeftBehindAtTheDeadline() async throws {
        let started = ContinuousClock.now
        do {
            try await withDeadline(.milliseconds(200), waitingFor: "a continuation nobody resumes") {
                // Suspends for ever and does not heed cancellation: the worst kind of await.
                await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
            }
            XCTFail("the wait returned")
        } catch let error as DeadlineExceeded {
            XCTAssertEqual(error.what, "a continuation nobody resumes")
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(3))
    }

    func testAConditionThatNeverReturnsIsCutOffToo() async throws {
        let started = ContinuousClock.now
        do {
            try await waitUntil("an answer from a peer that never answers", timeout: .milliseconds(200)) {
                await withUnsafeContinuation { (_: UnsafeContinuation<Bool, Never>) in }
            }
            XCTFail("the wait returned")
        } catch let error as DeadlineExceeded {
            XCTAssertEqual(error.what, "an answer from a peer that never answers")
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(3))
    }

    func testAValueInTimeIsReturned() async throws {
        let value = try await withDeadline(.seconds(5), waitingFor: "a quick answer") {
            try await Task.sleep(for: .milliseconds(10))
            return 42
        }
        XCTAssertEqual(value, 42)
        let polls = Mutex(0)
        try await waitUntil("the third poll", timeout: .seconds(5), interval: .milliseconds(1)) {
            polls.withLock { $0 += 1; return $0 >= 3 }
        }
        XCTAssertEqual(polls.withLock { $0 }, 3)
    }

    func testTheBodysOwnErrorIsPassedOn() async throws {
        struct Refused: Error, Equatable {}
        do {
            _ = try await withDeadline(.seconds(5), waitingFor: "a refusal") { () async throws -> Int in throw Refused() }
            XCTFail("no error")
        } catch {
            XCTAssertEqual(error as? Refused, Refused())
        }
    }

    func testCancellingTheWaiterCancelsTheBodyAndReturnsItsAnswer() async throws {
        let waiter = Task {
            try await withDeadline(.seconds(60), waitingFor: "a job that answers cancellation with its status") {
                do {
                    try await Task.sleep(for: .seconds(60))
                    return "finished"
                } catch {
                    return "cancelled"
                }
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        let started = ContinuousClock.now
        waiter.cancel()
        // An outer deadline of its own, so that a broken helper fails this test instead of hanging it.
        let answer = try await withDeadline(.seconds(5), waitingFor: "the cancelled wait to end") { try await waiter.value }
        XCTAssertEqual(answer, "cancelled")
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(3))
    }

    func testACancelledWaitWhoseBodyIgnoresCancellationStillEndsAtTheDeadline() async throws {
        let waiter = Task {
            try await withDeadline(.milliseconds(300), waitingFor: "a body deaf to cancellation") {
                await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
            }
        }
        waiter.cancel()
        let outcome = try await withDeadline(.seconds(5), waitingFor: "the cancelled wait to end") { await waiter.result }
        XCTAssertThrowsError(try outcome.get()) { XCTAssertEqual(($0 as? DeadlineExceeded)?.what, "a body deaf to cancellation") }
    }
}
