import WorkerCore
import XCTest

/// The node guard's decisions, without sockets or processes: a lease not renewed for a TTL is
/// killed once, with its exec jobs; a released lease and a renewed one are not.
final class GuardBookTests: XCTestCase {
    private let group = GuardBook.Group(id: 4242, startTime: "183344")

    func testALeaseNotRenewedForATTLIsKilledOnceWithItsGroups() {
        var book = GuardBook(ttlMillis: 5_000, now: 0)
        book.connected()
        book.renewed(7, now: 1_000)
        book.started(group, lease: 7)
        book.started(GuardBook.Group(id: 99, startTime: "1"), lease: 7)
        book.ended(group: 99)
        XCTAssertEqual(book.nextDeadline, 6_000)
        book.renewed(7, now: 2_500)  // renewals push the deadline
        XCTAssertEqual(book.expire(now: 7_499), [])
        XCTAssertEqual(book.expire(now: 7_500), [.kill(lease: 7, groups: [group])])
        XCTAssertEqual(book.expire(now: 20_000), [], "once")
        XCTAssertNil(book.nextDeadline)
    }

    func testADisconnectedWorkersLeaseStillRunsOutButARenewalBySuccessorSavesIt() {
        var book = GuardBook(ttlMillis: 5_000, now: 0)
        book.connected()
        book.renewed(7, now: 1_000)
        book.disconnected(now: 2_000)  // the worker died
        book.connected()  // restarted within the lease, it carries the lease on
        book.renewed(7, now: 3_000)
        XCTAssertEqual(book.expire(now: 6_500), [], "the successor's renewal counts")
        XCTAssertEqual(book.expire(now: 8_000), [.kill(lease: 7, groups: [])])
    }

    func testAReleasedLeaseIsForgottenAndAnIdleGuardMayExit() {
        var book = GuardBook(ttlMillis: 5_000, now: 0)
        XCTAssertFalse(book.mayExit(now: 100, grace: 1_000))
        XCTAssertTrue(book.mayExit(now: 1_000, grace: 1_000), "started with nothing to do")
        book.connected()
        book.renewed(8, now: 1_000)
        book.started(group, lease: 8)
        book.released(8, now: 2_000)
        XCTAssertEqual(book.expire(now: 60_000), [], "the worker killed its jobs and gave the lease back")
        XCTAssertFalse(book.mayExit(now: 60_000, grace: 1_000), "a worker is connected")
        book.disconnected(now: 61_000)
        XCTAssertFalse(book.mayExit(now: 61_500, grace: 1_000))
        XCTAssertTrue(book.mayExit(now: 62_000, grace: 1_000))
    }

    func testMessagesRoundTripAndGarbageIsRefused() {
        let messages: [GuardMessage] = [.renewed(lease: 7_587_000), .execStarted(lease: 1, group: group), .execEnded(group: 4242), .released(lease: -3)]
        for message in messages {
            XCTAssertEqual(GuardMessage(line: Substring(message.line)), message, message.line)
        }
        for garbage in ["", "renewed", "renewed x", "exec 1 2", "exec 1 2 3a", "exec-done", "released 1 2", "hello 1", String(repeating: "9", count: 40)] {
            XCTAssertNil(GuardMessage(line: Substring(garbage)), garbage)
        }
    }
}
