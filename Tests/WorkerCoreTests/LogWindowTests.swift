import ClusterModel
import LogStream
import NIOCore
import WireProtocol
import XCTest

@testable import WorkerCore

/// The worker's per-attempt output window, without sockets or a leader: how output becomes
/// chunks, what an acknowledgement frees, when the window is full, and what a reconnect re-sends.
final class LogWindowTests: XCTestCase {
    private func bytes(_ count: Int, _ byte: UInt8 = 0x61) -> ByteBuffer {
        ByteBuffer(bytes: [UInt8](repeating: byte, count: count))
    }

    private func text(_ chunk: LogChunk) throws -> [UInt8] {
        try LZ4Frame.decompress(Array(chunk.data.readableBytesView), maxDecompressedSize: Int(chunk.uncompressedLength))
    }

    func testAQuietJobsLineIsCutAtOnceAndNumberedInOrder() throws {
        var window = LogWindow()
        let first = window.take(ByteBuffer(string: "hello\n"), stream: .stdout, job: "j", attempt: 1)
        let second = window.take(ByteBuffer(string: "oops\n"), stream: .stderr, job: "j", attempt: 1)
        XCTAssertEqual(first.map(\.seq), [0])
        XCTAssertEqual(second.map(\.seq), [1])
        XCTAssertEqual(try text(first[0]), Array("hello\n".utf8))
        XCTAssertEqual(second[0].stream, .stderr)
        XCTAssertEqual(window.unacked.map(\.seq), [0, 1], "kept until acknowledged")
        XCTAssertFalse(window.isEmpty)
    }

    func testUnderLoadSmallWritesAreGatheredUntil64KiBOrAnAck() throws {
        var window = LogWindow()
        for _ in 0..<LogWindow.eagerChunks {
            XCTAssertEqual(window.take(bytes(10), stream: .stdout, job: "j", attempt: 1).count, 1)
        }
        // 64 chunks in flight: small output is now held, not sent.
        XCTAssertEqual(window.take(bytes(10), stream: .stdout, job: "j", attempt: 1), [])
        XCTAssertEqual(window.take(bytes(20), stream: .stdout, job: "j", attempt: 1), [])
        // A full 64 KiB goes at once, the held bytes first in it.
        let full = window.take(bytes(LogArchive.maxChunkBytes - 30), stream: .stdout, job: "j", attempt: 1)
        XCTAssertEqual(full.count, 1)
        XCTAssertEqual(full.first?.uncompressedLength, UInt32(LogArchive.maxChunkBytes))
        _ = window.take(bytes(5, 0x62), stream: .stdout, job: "j", attempt: 1)
        XCTAssertTrue(window.acknowledge(through: 10))
        let held = window.cutHeld(job: "j", attempt: 1)
        XCTAssertEqual(held.count, 1, "an acknowledgement lets the held bytes go")
        XCTAssertEqual(try text(held[0]), [UInt8](repeating: 0x62, count: 5))
        XCTAssertEqual(window.cutHeld(job: "j", attempt: 1), [], "nothing held twice")
    }

    func testAnAckFreesOnlyWhatItCoversAndARepeatIsHarmless() {
        var window = LogWindow()
        for _ in 0..<5 { _ = window.take(bytes(100), stream: .stdout, job: "j", attempt: 1) }
        XCTAssertTrue(window.acknowledge(through: 2))
        XCTAssertEqual(window.unacked.map(\.seq), [3, 4], "what a reconnect would re-send")
        XCTAssertFalse(window.acknowledge(through: 2), "a repeated ack frees nothing")
        XCTAssertFalse(window.acknowledge(through: 1), "an old ack frees nothing")
        XCTAssertTrue(window.acknowledge(through: 9))
        XCTAssertTrue(window.isEmpty)
        XCTAssertEqual(window.bytes, 0)
    }

    func testAFullWindowStopsTakingUntilAnAck() {
        // Compressible output: the chunk bound is reached first.
        var byCount = LogWindow()
        var sent = 0
        while byCount.hasRoom {
            sent += byCount.take(bytes(LogArchive.maxChunkBytes), stream: .stdout, job: "j", attempt: 1).count
        }
        XCTAssertEqual(sent, LogWindow.maxChunks)
        XCTAssertTrue(byCount.acknowledge(through: 0))
        XCTAssertTrue(byCount.hasRoom, "one acknowledged chunk makes room for one more")

        // Output that does not compress: the byte bound is reached first.
        var byBytes = LogWindow()
        var generator = SystemRandomNumberGenerator()
        while byBytes.hasRoom {
            let noise = (0..<LogArchive.maxChunkBytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = byBytes.take(ByteBuffer(bytes: noise), stream: .stdout, job: "j", attempt: 1)
        }
        XCTAssertGreaterThanOrEqual(byBytes.bytes, LogWindow.maxBytes)
        XCTAssertLessThan(byBytes.unacked.count, LogWindow.maxChunks)
        XCTAssertLessThan(byBytes.bytes, LogWindow.maxBytes + LogArchive.maxChunkBytes * 2, "at most one chunk past the bound")
    }

    func testAnAdoptedAttemptContinuesTheArchivesNumbering() {
        var window = LogWindow()
        window.resume(at: 41)
        XCTAssertEqual(window.take(ByteBuffer(string: "again\n"), stream: .stdout, job: "j", attempt: 1).map(\.seq), [41])
    }
}
