import Synchronization
import XCTest

@testable import WireProtocol

/// The outbox: its writer gets everything queued in one batch, in order; a full outbox closes
/// and says so at once; a closed one is drained, then ends.
final class OutboxTests: XCTestCase {
    private func ping(_ n: UInt64) -> WireMessage { .ping(PingPayload(token: n)) }

    func testTheWriterTakesEverythingQueuedInOrderThenTheEndAfterClose() async {
        let outbox = Outbox()
        for n: UInt64 in 1...3 { XCTAssertTrue(outbox.send(ping(n))) }
        let first = await outbox.nextBatch()
        XCTAssertEqual(first, [ping(1), ping(2), ping(3)])
        outbox.send(ping(4))
        outbox.close()
        XCTAssertFalse(outbox.send(ping(5)), "nothing is taken after close")
        let last = await outbox.nextBatch()
        XCTAssertEqual(last, [ping(4)], "what was queued before close is still written")
        let end = await outbox.nextBatch()
        XCTAssertNil(end)
        XCTAssertFalse(outbox.didOverflow)
    }

    func testAParkedWriterWakesOnASend() async {
        let outbox = Outbox()
        async let batch = outbox.nextBatch()
        try? await Task.sleep(for: .milliseconds(50))
        outbox.send(ping(7))
        let got = await batch
        XCTAssertEqual(got, [ping(7)])
    }

    func testAFullOutboxClosesAndCallsItsOwnerOnce() async {
        let calls = Atomic<Int>(0)
        let outbox = Outbox(limit: 2, onOverflow: { calls.add(1, ordering: .relaxed) })
        XCTAssertTrue(outbox.send(ping(1)))
        XCTAssertTrue(outbox.send(ping(2)))
        XCTAssertFalse(outbox.send(ping(3)), "full")
        XCTAssertFalse(outbox.send(ping(4)), "closed")
        XCTAssertEqual(calls.load(ordering: .relaxed), 1)
        XCTAssertTrue(outbox.didOverflow)
        let drained = await outbox.nextBatch()
        XCTAssertEqual(drained, [ping(1), ping(2)])
        let end = await outbox.nextBatch()
        XCTAssertNil(end)
    }
}
