import ClusterModel
import LogStream
import NIOCore
import WireProtocol
import XCTest

@testable import WorkerCore

/// The worker's per-attempt output window, without sockets or a leader: how output becomes
/// chunks, what an acknowledgement frees, when the window is full, what a reconnect re-sends,
/// and the order chunks go in when their compression finishes out of order.
final class LogWindowTests: XCTestCase {
    private func bytes(_ count: Int, _ byte: UInt8 = 0x61) -> ByteBuffer {
        ByteBuffer(bytes: [UInt8](repeating: byte, count: count))
    }

    private func text(_ chunk: LogChunk) throws -> [UInt8] {
        try LZ4Frame.decompress(Array(chunk.data.readableBytesView), maxDecompressedSize: Int(chunk.uncompressedLength))
    }

    private func compress(_ cuts: [LogWindow.Cut]) -> [LogChunk] {
        cuts.map { LogWindow.compress($0, job: "j", attempt: 1) }
    }

    /// Takes output as the worker does: cut, compress, fill; returns what goes now.
    private func send(_ window: inout LogWindow, _ output: ByteBuffer, _ stream: LogStreamKind = .stdout) -> [LogChunk] {
        window.fill(compress(window.take(output, stream: stream)))
    }

    /// Cuts what is held and fills it; returns what goes now.
    private func sendHeld(_ window: inout LogWindow) -> [LogChunk] {
        window.fill(compress(window.cutHeld()))
    }

    func testAQuietJobsLineIsCutAtOnceAndNumberedInOrder() throws {
        var window = LogWindow()
        let first = send(&window, ByteBuffer(string: "hello\n"))
        let second = send(&window, ByteBuffer(string: "oops\n"), .stderr)
        XCTAssertEqual(first.map(\.seq), [0])
        XCTAssertEqual(second.map(\.seq), [1])
        XCTAssertEqual(try text(first[0]), Array("hello\n".utf8))
        XCTAssertEqual(second[0].stream, .stderr)
        XCTAssertEqual(window.inFlight, 2, "kept until acknowledged")
        XCTAssertFalse(window.isEmpty)
    }

    func testUnderLoadSmallWritesAreGatheredUntil64KiBOrAnAck() throws {
        var window = LogWindow()
        for _ in 0..<LogWindow.eagerChunks {
            XCTAssertEqual(send(&window, bytes(10)).count, 1)
        }
        // 64 chunks in flight: small output is now held, not sent.
        XCTAssertEqual(send(&window, bytes(10)), [])
        XCTAssertEqual(send(&window, bytes(20)), [])
        // A full 64 KiB goes at once, the held bytes first in it.
        let full = send(&window, bytes(LogArchive.maxChunkBytes - 30))
        XCTAssertEqual(full.count, 1)
        XCTAssertEqual(full.first?.uncompressedLength, UInt32(LogArchive.maxChunkBytes))
        _ = send(&window, bytes(5, 0x62))
        XCTAssertTrue(window.acknowledge(through: 10))
        let held = sendHeld(&window)
        XCTAssertEqual(held.count, 1, "an acknowledgement lets the held bytes go")
        XCTAssertEqual(try text(held[0]), [UInt8](repeating: 0x62, count: 5))
        XCTAssertEqual(window.cutHeld().count, 0, "nothing held twice")
    }

    func testAnAckFreesOnlyWhatItCoversAndARepeatIsHarmless() {
        var window = LogWindow()
        for _ in 0..<5 { _ = send(&window, bytes(100)) }
        XCTAssertTrue(window.acknowledge(through: 2))
        XCTAssertEqual(window.replay().map(\.seq), [3, 4], "what a reconnect re-sends")
        XCTAssertFalse(window.acknowledge(through: 2), "a repeated ack frees nothing")
        XCTAssertFalse(window.acknowledge(through: 1), "an old ack frees nothing")
        XCTAssertTrue(window.acknowledge(through: 9))
        XCTAssertTrue(window.isEmpty)
        XCTAssertEqual(window.bytes, 0)
    }

    func testChunksCompressedOutOfOrderGoInSeqOrderEachOnce() throws {
        var window = LogWindow()
        let out = window.take(ByteBuffer(string: "out\n"), stream: .stdout)
        let err = window.take(ByteBuffer(string: "err\n"), stream: .stderr)
        XCTAssertEqual(window.bytes, 8, "raw bytes count while compressing")
        XCTAssertEqual(window.fill(compress(err)), [], "seq 1 waits for seq 0")
        let both = window.fill(compress(out))
        XCTAssertEqual(both.map(\.seq), [0, 1])
        XCTAssertEqual(try both.map(text), [Array("out\n".utf8), Array("err\n".utf8)])
        XCTAssertEqual(window.fill(compress(out)), [], "a chunk filled twice goes once")
        XCTAssertEqual(window.bytes, both.reduce(0) { $0 + $1.data.readableBytes }, "compressed bytes count once filled")
    }

    func testAReconnectResendsWhatIsReadyAndTheRestGoesWhenItIsCompressed() {
        var window = LogWindow()
        _ = send(&window, bytes(10))
        let pending = window.take(bytes(10, 0x62), stream: .stdout)
        XCTAssertEqual(window.replay().map(\.seq), [0], "seq 1 is still being compressed")
        XCTAssertEqual(window.fill(compress(pending)).map(\.seq), [1])
        XCTAssertEqual(window.replay().map(\.seq), [0, 1], "a second reconnect re-sends both")
        XCTAssertFalse(window.isEmpty)
    }

    func testAFullWindowStopsTakingUntilAnAck() {
        // Compressible output: the chunk bound is reached first.
        var byCount = LogWindow()
        var sent = 0
        while byCount.hasRoom {
            sent += send(&byCount, bytes(LogArchive.maxChunkBytes)).count
        }
        XCTAssertEqual(sent, LogWindow.maxChunks)
        XCTAssertTrue(byCount.acknowledge(through: 0))
        XCTAssertTrue(byCount.hasRoom, "one acknowledged chunk makes room for one more")

        // Output that does not compress: the byte bound is reached first.
        var byBytes = LogWindow()
        // One block of noise serves every chunk: each is compressed on its own.
        var generator = SystemRandomNumberGenerator()
        let noise = ByteBuffer(bytes: (0..<LogArchive.maxChunkBytes / 8).flatMap { _ in withUnsafeBytes(of: generator.next()) { Array($0) } })
        while byBytes.hasRoom {
            _ = send(&byBytes, noise)
        }
        XCTAssertGreaterThanOrEqual(byBytes.bytes, LogWindow.maxBytes)
        XCTAssertLessThan(byBytes.inFlight, LogWindow.maxChunks)
        XCTAssertLessThan(byBytes.bytes, LogWindow.maxBytes + LogArchive.maxChunkBytes * 2, "at most one chunk past the bound")
    }

    func testAnAdoptedAttemptContinuesTheArchivesNumbering() {
        var window = LogWindow()
        window.resume(at: 41)
        XCTAssertEqual(send(&window, ByteBuffer(string: "again\n")).map(\.seq), [41])
        XCTAssertTrue(window.acknowledge(through: 41))
        XCTAssertTrue(window.isEmpty)
    }
}
