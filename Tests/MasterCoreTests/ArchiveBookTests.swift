import ClusterModel
import LogStream
import NIOCore
import WireProtocol
import XCTest

@testable import MasterCore

/// The archive side of attempts, event by event: no etcd, no sockets, no sleeps (time is passed in).
final class ArchiveBookTests: XCTestCase {
    private let job = JobID("j1")
    private let other = JobID("j2")
    private let node = NodeID("n1")
    private let start = ContinuousClock.now

    /// A chunk of `bytes` compressed bytes standing for `raw` output bytes.
    private func chunk(_ seq: UInt64, of job: JobID? = nil, attempt: UInt32 = 1, bytes: Int = 10, raw: UInt32 = 100) -> LogChunk {
        LogChunk(jobID: job ?? self.job, attempt: attempt, stream: .stdout, seq: seq, uncompressedLength: raw, data: ByteBuffer(repeating: UInt8(seq & 0xff), count: bytes))
    }

    private func take(_ book: inout ArchiveBook, _ chunk: LogChunk, from outbox: Outbox) -> ArchiveBook.Receipt {
        book.receive(chunk, from: node, outbox: outbox, isFollowed: { _ in false })
    }

    private func isTaken(_ receipt: ArchiveBook.Receipt) -> Bool {
        if case .taken = receipt { return true }
        return false
    }

    private func isIgnored(_ receipt: ArchiveBook.Receipt) -> Bool {
        if case .ignored = receipt { return true }
        return false
    }

    /// The seqs of the records a batch writes for `key` (decoded from the value, as readers do).
    private func writtenSeqs(_ batch: ArraySlice<(key: String, value: [UInt8])>) throws -> [UInt64] {
        try batch.filter { !$0.key.hasSuffix("cut") }.flatMap { try LogArchive.decode($0.value).map(\.seq) }
    }

    func testChunksOfManyAttemptsGoOutAsOneValueEachAndAreAcknowledgedOnlyOnceCommitted() throws {
        var book = ArchiveBook(maxArchiveBytes: 1 << 20)
        let outbox = Outbox()
        for seq in 0..<3 { XCTAssertTrue(isTaken(take(&book, chunk(UInt64(seq)), from: outbox))) }
        for seq in 0..<2 { XCTAssertTrue(isTaken(take(&book, chunk(UInt64(seq), of: other), from: outbox))) }

        let batch = try XCTUnwrap(book.cutBatch(now: start))
        XCTAssertEqual(batch.puts.map(\.key), [Keys.logBatch(of: job, attempt: 1, firstSeq: 0), Keys.logBatch(of: other, attempt: 1, firstSeq: 0)])
        XCTAssertEqual(try writtenSeqs(batch.puts[...]), [0, 1, 2, 0, 1])
        XCTAssertFalse(book.hasWork, "everything pending is in the batch")
        XCTAssertEqual(book.unwritten(AttemptKey(job: job, attempt: 1)).map(\.seq), [0, 1, 2], "in flight, not durable yet")

        // A resend while the batch is in flight is neither written again nor acknowledged early.
        XCTAssertTrue(isIgnored(take(&book, chunk(2), from: outbox)))
        XCTAssertNil(book.cutBatch(now: start))

        let acks = book.committed(batch)
        XCTAssertEqual(acks.map(\.ack), [LogAck(jobID: job, attempt: 1, seq: 2), LogAck(jobID: other, attempt: 1, seq: 1)])
        XCTAssertTrue(acks.allSatisfy { $0.outbox === outbox })
        XCTAssertEqual(book.unwritten(AttemptKey(job: job, attempt: 1)).map(\.seq), [])
    }

    func testAResendOfADurableChunkIsAcknowledgedAtOnceAndNotWrittenAgain() throws {
        var book = ArchiveBook(maxArchiveBytes: 1 << 20)
        let first = Outbox()
        _ = take(&book, chunk(0), from: first)
        _ = take(&book, chunk(1), from: first)
        _ = book.committed(try XCTUnwrap(book.cutBatch(now: start)))

        let again = Outbox()
        guard case let .acknowledge(ack) = take(&book, chunk(0), from: again) else { return XCTFail("a durable chunk is acknowledged again") }
        XCTAssertEqual(ack, LogAck(jobID: job, attempt: 1, seq: 1), "the ack names everything durable")
        XCTAssertNil(book.cutBatch(now: start), "nothing to write")
        XCTAssertTrue(isTaken(take(&book, chunk(2), from: again)))
        let acks = book.committed(try XCTUnwrap(book.cutBatch(now: start)))
        XCTAssertTrue(acks.allSatisfy { $0.outbox === again }, "acks go to the connection that delivered the latest chunk")
    }

    func testATxnHoldsAtMostItsOperationsAndBytesAndTheRestWaitsForTheNextFlush() throws {
        var book = ArchiveBook(maxArchiveBytes: 1 << 20)
        book.maxOpsPerTxn = 3  // two values and the fence
        let outbox = Outbox()
        for number in 0..<3 { _ = take(&book, chunk(0, of: JobID("j\(number)")), from: outbox) }
        let first = try XCTUnwrap(book.cutBatch(now: start))
        XCTAssertEqual(first.puts.count, 2)
        let second = try XCTUnwrap(book.cutBatch(now: start))
        XCTAssertEqual(second.puts.map(\.key), [Keys.logBatch(of: JobID("j2"), attempt: 1, firstSeq: 0)])

        book.maxBytesPerTxn = 2 * (LogArchive.recordHeaderBytes + 100)
        for seq in 0..<5 { _ = take(&book, chunk(UInt64(seq), of: JobID("big"), bytes: 100), from: outbox) }
        let split = try XCTUnwrap(book.cutBatch(now: start))
        XCTAssertEqual(try writtenSeqs(split.puts[...]), [0, 1])
        XCTAssertEqual(split.acks.map(\.through), [1], "acknowledged through the last chunk taken, not beyond")
        XCTAssertTrue(book.hasWork)
        XCTAssertEqual(try writtenSeqs(try XCTUnwrap(book.cutBatch(now: start)).puts[...]), [2, 3])
    }

    func testPastTheCapChunksAreCountedInTheMarkerWrittenAtMostOncePerIntervalAndStillAcknowledged() throws {
        var book = ArchiveBook(maxArchiveBytes: 25)
        let outbox = Outbox()
        _ = take(&book, chunk(0), from: outbox)
        _ = take(&book, chunk(1), from: outbox)
        _ = take(&book, chunk(2, raw: 300), from: outbox)  // 30 > 25: the cut begins
        let first = try XCTUnwrap(book.cutBatch(now: start))
        XCTAssertEqual(try writtenSeqs(first.puts[...]), [0, 1])
        XCTAssertEqual(first.puts.last?.key, Keys.logCut(of: job, attempt: 1))
        XCTAssertEqual(first.puts.last.map { String(decoding: $0.value, as: UTF8.self) }, "300")
        XCTAssertEqual(book.committed(first).map(\.ack.seq), [2], "the cut chunk is acknowledged with the batch")

        // Every later chunk is cut, even one that would fit; the marker waits for its interval.
        _ = take(&book, chunk(3, bytes: 1, raw: 50), from: outbox)
        let soon = try XCTUnwrap(book.cutBatch(now: start + .milliseconds(500)))
        XCTAssertTrue(soon.puts.isEmpty, "no write of its own within the interval")
        XCTAssertEqual(book.committed(soon).map(\.ack.seq), [3])
        XCTAssertTrue(book.markersPending([AttemptKey(job: job, attempt: 1)]))

        _ = take(&book, chunk(4, raw: 50), from: outbox)
        let later = try XCTUnwrap(book.cutBatch(now: start + .seconds(2)))
        XCTAssertEqual(later.puts.map { String(decoding: $0.value, as: UTF8.self) }, ["400"])
    }

    func testSettlingAJobMakesItsMarkerDueAtOnceAndReportsWhenItIsWritten() throws {
        var book = ArchiveBook(maxArchiveBytes: 5)
        let outbox = Outbox()
        _ = take(&book, chunk(0), from: outbox)
        _ = book.committed(try XCTUnwrap(book.cutBatch(now: start)))
        _ = take(&book, chunk(1), from: outbox)
        _ = book.committed(try XCTUnwrap(book.cutBatch(now: start + .milliseconds(10))))

        let keys = book.settle(job, attempt: 1)
        XCTAssertEqual(keys, [AttemptKey(job: job, attempt: 1)])
        XCTAssertTrue(book.hasExited(AttemptKey(job: job, attempt: 1)))
        XCTAssertTrue(book.markersPending(keys))
        let final = try XCTUnwrap(book.cutBatch(now: start + .milliseconds(20)), "due now, whatever the interval")
        XCTAssertEqual(final.puts.map { String(decoding: $0.value, as: UTF8.self) }, ["200"])
        XCTAssertFalse(book.markersPending(keys))
        XCTAssertEqual(book.settle(other, attempt: 1), [], "nothing of that job was cut")
    }

    func testAnInheritedAttemptsChunksWaitForItsArchiveThenContinueItsSeqsAndCap() throws {
        var book = ArchiveBook(maxArchiveBytes: 100)
        let key = AttemptKey(job: job, attempt: 1)
        book.inherit([key])
        let outbox = Outbox()
        guard case .load(key) = take(&book, chunk(1), from: outbox) else { return XCTFail("the first chunk asks for the archive") }
        guard case .waiting = take(&book, chunk(2), from: outbox) else { return XCTFail("later chunks wait") }
        XCTAssertNil(book.cutBatch(now: start))

        // Earlier terms archived seqs 0 and 1, 90 compressed bytes of the cap's 100.
        var summary = LogArchiveSummary(cutKey: Keys.logCut(of: job, attempt: 1))
        summary.add(
            key: Keys.logBatch(of: job, attempt: 1, firstSeq: 0),
            value: LogArchive.encode([0, 1].map { LogRecord(seq: $0, stream: .stdout, uncompressedLength: 100, frame: Array(repeating: 1, count: 45)) }))
        let waiting = book.loaded(key, summary: summary, now: start)
        XCTAssertEqual(waiting.map(\.chunk.seq), [1, 2])

        guard case let .acknowledge(ack) = take(&book, waiting[0].chunk, from: outbox) else { return XCTFail("seq 1 is archived already") }
        XCTAssertEqual(ack.seq, 1)
        XCTAssertTrue(isTaken(take(&book, waiting[1].chunk, from: outbox)))
        _ = take(&book, chunk(3), from: outbox)  // 90 + 10 + 10 > 100: cut
        let batch = try XCTUnwrap(book.cutBatch(now: start + .seconds(1)))
        XCTAssertEqual(try writtenSeqs(batch.puts[...]), [2])
        XCTAssertEqual(batch.puts.last?.key, Keys.logCut(of: job, attempt: 1))
    }

    func testANewSessionForgetsUnwrittenChunksRefusesTheOldSessionAndWaitsForTheTxnInFlight() throws {
        var book = ArchiveBook(maxArchiveBytes: 1 << 20)
        let old = Outbox()
        _ = take(&book, chunk(0), from: old)
        let inFlight = try XCTUnwrap(book.cutBatch(now: start))
        _ = take(&book, chunk(1), from: old)
        _ = take(&book, chunk(2), from: old)

        let new = Outbox()
        let keys = book.forgetUnwritten(node: node, owner: new)
        XCTAssertEqual(keys, [AttemptKey(job: job, attempt: 1)])
        XCTAssertTrue(book.isWriting(keys), "seq 0 is in the txn in flight: the session waits for it")
        XCTAssertTrue(isIgnored(take(&book, chunk(3), from: old)), "a late frame of the replaced session")
        _ = book.committed(inFlight)
        XCTAssertFalse(book.isWriting(keys))

        // The new session resends from seq 1: taken again, as the forgotten chunks were never acked.
        XCTAssertTrue(isTaken(take(&book, chunk(1), from: new)))
        XCTAssertTrue(isTaken(take(&book, chunk(2), from: new)))
        XCTAssertEqual(try writtenSeqs(try XCTUnwrap(book.cutBatch(now: start)).puts[...]), [1, 2])
    }

    func testPastItsAttemptLimitTheBookForgetsIdleAttemptsButKeepsDirtyAndFollowedOnes() throws {
        var book = ArchiveBook(maxArchiveBytes: 1 << 20)
        book.maxTrackedAttempts = 2
        let outbox = Outbox()
        _ = take(&book, chunk(0), from: outbox)
        _ = book.committed(try XCTUnwrap(book.cutBatch(now: start)))  // j1 idle
        _ = take(&book, chunk(0, of: other), from: outbox)  // j2 dirty
        let third = JobID("j3")
        _ = book.receive(chunk(0, of: third), from: node, outbox: outbox, isFollowed: { _ in false })
        XCTAssertNil(book.attempts[AttemptKey(job: job, attempt: 1)], "idle: forgotten")
        XCTAssertNotNil(book.attempts[AttemptKey(job: other, attempt: 1)], "dirty: kept")

        _ = book.committed(try XCTUnwrap(book.cutBatch(now: start)))
        _ = book.receive(chunk(0, of: JobID("j4")), from: node, outbox: outbox, isFollowed: { $0.job == third })
        XCTAssertNotNil(book.attempts[AttemptKey(job: third, attempt: 1)], "followed: kept")
        XCTAssertNil(book.attempts[AttemptKey(job: other, attempt: 1)])
    }
}
