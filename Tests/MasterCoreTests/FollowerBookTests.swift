import ClusterModel
import NIOCore
import WireProtocol
import XCTest

@testable import MasterCore

/// `--follow` fan-out, event by event: no sockets, no sleeps (time is passed in).
final class FollowerBookTests: XCTestCase {
    private let job = JobID("j1")
    private let key = AttemptKey(job: JobID("j1"), attempt: 1)
    private let start = ContinuousClock.now
    private let alice = Outbox()
    private let bob = Outbox()

    private func chunk(_ seq: UInt64, stream: LogStreamKind = .stdout, attempt: UInt32 = 1) -> LogChunk {
        LogChunk(jobID: job, attempt: attempt, stream: stream, seq: seq, uncompressedLength: 1, data: ByteBuffer(bytes: [UInt8(seq)]))
    }

    private func status(_ state: JobState, attempt: UInt32 = 1, exitCode: Int32? = nil) -> JobStatus {
        JobStatus(state: state, attempt: attempt, exitCode: exitCode, submittedAt: UnixMillis(0), updatedAt: UnixMillis(0))
    }

    /// The actions as text, outboxes by name: "alice 3" (a chunk), "alice end succeeded", "bob behind".
    private func describe(_ actions: [FollowerBook.Action]) -> [String] {
        func name(_ outbox: Outbox) -> String { outbox === alice ? "alice" : outbox === bob ? "bob" : "?" }
        return actions.map { action in
            switch action {
            case let .send(chunk, outbox, _): return "\(name(outbox)) \(chunk.seq)"
            case let .end(end, outbox): return "\(name(outbox)) end \(end.finalState.rawValue)"
            case let .fellBehind(outbox): return "\(name(outbox)) behind"
            }
        }
    }

    func testAFollowerCatchingUpGetsTheUnwrittenAndLiveChunksAfterTheArchiveEachSeqOnceInOrder() {
        var book = FollowerBook()
        let id = book.follow(key, streams: [.stdout, .stderr], from: 0, outbox: alice, unwritten: [chunk(3), chunk(4)])
        XCTAssertEqual(describe(book.forward(chunk(6))), [], "nothing before the archive is sent")
        XCTAssertEqual(describe(book.forward(chunk(5))), [])
        // The archive read reached seq 3 (exclusive of 4): 3 came from the archive, not again.
        XCTAssertEqual(describe(book.caughtUp(id, next: 4)), ["alice 4", "alice 5", "alice 6"])
        XCTAssertEqual(describe(book.forward(chunk(7))), ["alice 7"])
        XCTAssertEqual(describe(book.forward(chunk(7))), [], "a chunk seen already is skipped")
        XCTAssertEqual(describe(book.forward(chunk(2))), [])
    }

    func testAFollowerOfOneStreamIsSentOnlyThatStreamButKeepsItsPlace() {
        var book = FollowerBook()
        let id = book.follow(key, streams: [.stderr], from: 0, outbox: alice, unwritten: [])
        _ = book.caughtUp(id, next: 0)
        XCTAssertEqual(describe(book.forward(chunk(0, stream: .stdout))), [])
        XCTAssertEqual(describe(book.forward(chunk(1, stream: .stderr))), ["alice 1"])
        XCTAssertEqual(describe(book.forward(chunk(0, stream: .stderr))), [], "below its place")
    }

    func testTheEndOfTheAttemptComesAfterEverythingElseAndEndsTheFollower() {
        var book = FollowerBook()
        let catching = book.follow(key, streams: [.stdout], from: 0, outbox: alice, unwritten: [])
        let live = book.follow(key, streams: [.stdout], from: 0, outbox: bob, unwritten: [])
        _ = book.caughtUp(live, next: 0)
        _ = book.forward(chunk(0))
        let ended = describe(book.jobChanged(job, status: status(.succeeded, exitCode: 0), now: start, hasExited: { _ in true }))
        XCTAssertEqual(ended, ["bob end succeeded"], "a live follower ends at once; one catching up waits")
        XCTAssertEqual(describe(book.caughtUp(catching, next: 0)), ["alice 0", "alice end succeeded"])
        XCTAssertFalse(book.isFollowed(key), "both are gone")
        XCTAssertEqual(describe(book.forward(chunk(1))), [])
    }

    func testAMoveEndsTheFollowersOfTheEarlierAttemptOnly() {
        var book = FollowerBook()
        let first = book.follow(key, streams: [.stdout], from: 0, outbox: alice, unwritten: [])
        let second = book.follow(AttemptKey(job: job, attempt: 2), streams: [.stdout], from: 0, outbox: bob, unwritten: [])
        _ = book.caughtUp(first, next: 0)
        _ = book.caughtUp(second, next: 0)
        let actions = book.jobChanged(job, status: status(.running, attempt: 2), now: start, hasExited: { _ in false })
        XCTAssertEqual(describe(actions), ["alice end running"])
        XCTAssertEqual(describe(book.forward(chunk(0, attempt: 2))), ["bob 0"])
    }

    func testAKilledAttemptsFollowersWaitForItsExitOrTheGraceForTheirEnd() {
        var book = FollowerBook()
        let id = book.follow(key, streams: [.stdout], from: 0, outbox: alice, unwritten: [])
        _ = book.caughtUp(id, next: 0)
        XCTAssertEqual(describe(book.jobChanged(job, status: status(.cancelled), now: start, hasExited: { _ in false })), [])
        XCTAssertEqual(describe(book.forward(chunk(0))), ["alice 0"], "its last words still reach the follower")
        XCTAssertEqual(describe(book.attemptExited(key)), ["alice end cancelled"])

        let other = book.follow(key, streams: [.stdout], from: 1, outbox: bob, unwritten: [])
        _ = book.caughtUp(other, next: 1)
        _ = book.jobChanged(job, status: status(.cancelled), now: start, hasExited: { _ in false })
        XCTAssertEqual(describe(book.expireDying(now: start + .seconds(9))), [])
        XCTAssertEqual(describe(book.expireDying(now: start + .seconds(10))), ["bob end cancelled"], "its worker never reported: the grace ends it")
    }

    func testAFollowerThatFallsBehindWhileReadingTheArchiveIsToldToFollowAgain() {
        var book = FollowerBook()
        book.maxBufferedPerFollower = 2
        _ = book.follow(key, streams: [.stdout], from: 0, outbox: alice, unwritten: [])
        XCTAssertEqual(describe(book.forward(chunk(0)) + book.forward(chunk(1))), [])
        XCTAssertEqual(describe(book.forward(chunk(2))), ["alice behind"])
        XCTAssertFalse(book.isFollowed(key))
    }

    func testAFollowerThatReconnectsResumesAtItsSeqAndTheOldOneGetsNothingMore() {
        var book = FollowerBook()
        let old = book.follow(key, streams: [.stdout], from: 0, outbox: alice, unwritten: [])
        _ = book.caughtUp(old, next: 0)
        XCTAssertEqual(describe(book.forward(chunk(0))), ["alice 0"])
        book.unfollow(alice)
        XCTAssertEqual(describe(book.forward(chunk(1))), [])

        let again = book.follow(key, streams: [.stdout], from: 1, outbox: bob, unwritten: [chunk(1)])
        XCTAssertEqual(describe(book.caughtUp(again, next: 1)), ["bob 1"])
        book.drop(again)  // its outbox refused a chunk
        XCTAssertEqual(describe(book.forward(chunk(2))), [])
    }
}
