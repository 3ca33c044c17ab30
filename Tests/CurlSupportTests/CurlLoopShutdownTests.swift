import Foundation
import Synchronization
import TitanTestSupport
import XCTest

@testable import CurlSupport

/// Shutting a ``CurlLoop`` down: once, twice, from several threads at once, from its own thread,
/// with requests and streams in flight. Answered requests go to the etcd of `TITAN_TEST_ETCD`
/// (a real HTTP server); requests that must stay in flight go to a ``SilentListener``.
final class CurlLoopShutdownTests: XCTestCase {
    private var etcd = ""
    private var silent: SilentListener!

    override func setUp() async throws {
        guard let endpoint = ProcessInfo.processInfo.environment["TITAN_TEST_ETCD"], !endpoint.isEmpty else {
            throw HarnessFailure("TITAN_TEST_ETCD is not set: run these tests through Tools/test, which starts etcd")
        }
        try await TestServices.requireEtcd(endpoint)
        etcd = endpoint
        silent = try SilentListener()
    }

    override func tearDown() async throws {
        silent = nil
    }

    /// 64 loops, 8 at a time: each answers requests, then is shut down from four threads at once
    /// and once more, with unary requests and a stream in flight (or about to start). Every one of
    /// them must end with `CurlError.shutDown`, later requests must fail at once, and the loop's
    /// thread must end.
    func testManyLoopsUsedAndShutDownConcurrentlyFailWhatIsInFlightAndStop() async throws {
        let etcd = etcd
        let silent = try XCTUnwrap(silent)
        try await withDeadline(.seconds(120), waitingFor: "64 loops to be used and shut down") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<64 {
                    if index >= 8 { try await group.next() }
                    group.addTask {
                        try await Self.useAndShutDown(index: index, etcd: etcd, silent: silent)
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    private static func useAndShutDown(index: Int, etcd: String, silent: SilentListener) async throws {
        let loop = CurlLoop(name: "curl.test-\(index)")
        for _ in 0..<3 {
            let response = try await loop.perform(CurlRequest(method: "GET", url: etcd + "/version"))
            XCTAssertEqual(response.status, 200, "loop \(index)")
        }
        let outcomes = try await withThrowingTaskGroup(of: (any Error)?.self) { group in
            for _ in 0..<4 {
                group.addTask { await errorThrown { _ = try await loop.perform(silent.request) } }
            }
            let stream = loop.stream(silent.request)
            group.addTask { await errorThrown { for try await _ in stream {} } }
            // A different moment in each loop: commands still queued, connecting, or waiting
            // for an answer that never comes.
            var random = SplitMix64(seed: UInt64(index))
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...20, using: &random)))
            try await Self.onThreads(4) { loop.shutdown() }
            loop.shutdown()
            var outcomes: [(any Error)?] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        for outcome in outcomes {
            XCTAssertEqual(outcome as? CurlError, .shutDown, "loop \(index): a transfer in flight at shutdown ended with \(String(describing: outcome))")
        }
        do {
            _ = try await loop.perform(CurlRequest(method: "GET", url: etcd + "/version"))
            XCTFail("loop \(index) answered a request after shutdown")
        } catch {
            XCTAssertEqual(error as? CurlError, .shutDown, "loop \(index)")
        }
        try await waitUntil("the thread of loop \(index) to end", timeout: .seconds(10), interval: .milliseconds(10)) {
            loop.isStopped
        }
        loop.shutdown()
    }

    /// `shutdown()` called on the loop's own thread returns (it does not wait for that thread) and
    /// the loop still stops, failing what is in flight.
    func testShutdownFromTheLoopsOwnThreadReturnsAndStopsTheLoop() async throws {
        let loop = CurlLoop(name: "curl.self-stop")
        let silent = try XCTUnwrap(silent)
        try await withDeadline(.seconds(20), waitingFor: "a loop shut down from its own thread to stop") {
            try await withThrowingTaskGroup(of: (any Error)?.self) { group in
                group.addTask { await errorThrown { _ = try await loop.perform(silent.request) } }
                let ranOn = await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
                    loop.send(
                        .call {
                            loop.shutdown()
                            loop.shutdown()
                            // The thread's name as `top -H` shows it.
                            let name = try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
                            continuation.resume(returning: name)
                        })
                }
                XCTAssertEqual(ranOn, "curl.self-stop\n", "the call ran on the loop thread")
                let outcome = try await group.next() ?? nil
                XCTAssertEqual(outcome as? CurlError, .shutDown)
            }
            try await waitUntil("the loop thread to end", timeout: .seconds(10), interval: .milliseconds(10)) {
                loop.isStopped
            }
        }
    }

    /// A stream opened after shutdown ends at once with `CurlError.shutDown`.
    func testAStreamOpenedAfterShutdownFailsAtOnce() async throws {
        let loop = CurlLoop(name: "curl.late")
        loop.shutdown()
        let stream = loop.stream(try XCTUnwrap(silent).request)
        try await withDeadline(.seconds(10), waitingFor: "a stream opened after shutdown to fail") {
            do {
                for try await _ in stream {}
                XCTFail("a stream opened after shutdown ended cleanly")
            } catch {
                XCTAssertEqual(error as? CurlError, .shutDown)
            }
        }
    }

    /// A task cancelled before it calls `perform` gets `CancellationError` without a transfer,
    /// and its id leaves the loop's bookkeeping (it used to stay there for ever).
    func testCallsFromCancelledTasksFailAndLeaveNoBookkeeping() async throws {
        let loop = CurlLoop(name: "curl.cancelled")
        defer { loop.shutdown() }
        let request = try XCTUnwrap(silent).request
        try await withDeadline(.seconds(20), waitingFor: "100 calls from cancelled tasks to fail") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        withUnsafeCurrentTask { $0?.cancel() }
                        do {
                            _ = try await loop.perform(request)
                            XCTFail("a cancelled task's request ran")
                        } catch {
                            XCTAssertTrue(error is CancellationError, "\(error)")
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let (unstarted, cancelledEarly) = loop.inbox.withLock { ($0.unstarted.count, $0.cancelledEarly.count) }
        XCTAssertEqual(unstarted, 0)
        XCTAssertEqual(cancelledEarly, 0)
    }

    /// Runs `body` on `count` new threads, released together, and returns once all have run it.
    private static func onThreads(_ count: Int, _ body: @escaping @Sendable () -> Void) async throws {
        let counts = ThreadCounts()
        try await withDeadline(.seconds(10), waitingFor: "\(count) threads to run their call") {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                for _ in 0..<count {
                    let thread = Thread {
                        counts.arrived.add(1, ordering: .sequentiallyConsistent)
                        while counts.arrived.load(ordering: .sequentiallyConsistent) < count { sched_yield() }
                        body()
                        if counts.finished.add(1, ordering: .sequentiallyConsistent).newValue == count {
                            continuation.resume()
                        }
                    }
                    thread.start()
                }
            }
        }
    }
}

/// The error `body` throws, or `nil` when it returns.
private func errorThrown(by body: () async throws -> Void) async -> (any Error)? {
    do {
        try await body()
        return nil
    } catch {
        return error
    }
}

/// How many of ``CurlLoopShutdownTests``' threads have arrived at the barrier, and finished.
private final class ThreadCounts: Sendable {
    let arrived = Atomic(0)
    let finished = Atomic(0)
}
