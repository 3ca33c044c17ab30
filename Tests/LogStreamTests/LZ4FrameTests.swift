import TitanTestSupport
import XCTest
@testable import LogStream

final class LZ4FrameTests: XCTestCase {
    private func logLines(_ count: Int) -> [UInt8] {
        Array((0..<count).map { "2026-11-29T03:00:00Z job=\($0) step \($0 % 7) done\n" }.joined().utf8)
    }

    private func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }

    func testRoundTripsEmptySmallTextBinaryAndMaximumChunk() throws {
        let inputs: [[UInt8]] = [[], [0x41], logLines(10), logLines(2000), randomBytes(65_536, seed: 1), [UInt8](repeating: 0, count: 65_536)]
        for input in inputs {
            let frame = LZ4Frame.compress(input)
            XCTAssertEqual(Array(frame.prefix(4)), [0x04, 0x22, 0x4D, 0x18], "every chunk starts with the LZ4 frame magic")
            XCTAssertEqual(try LZ4Frame.decompress(frame, maxDecompressedSize: max(input.count, 1)), input)
        }
    }

    func testCompressesRepetitiveLogText() {
        let input = logLines(1500)
        XCTAssertLessThan(LZ4Frame.compress(input).count, input.count / 3)
    }

    func testRefusesAFrameDeclaringMoreThanTheLimitBeforeDecoding() {
        let frame = LZ4Frame.compress(logLines(100))
        XCTAssertThrowsError(try LZ4Frame.decompress(frame, maxDecompressedSize: 100)) { error in
            guard case let .tooLarge(declared, limit) = error as? LZ4FrameError else { return XCTFail("\(error)") }
            XCTAssertGreaterThan(declared, 100)
            XCTAssertEqual(limit, 100)
        }
    }

    func testRefusesAFrameWhoseHeaderLiesAboutAHugeSize() throws {
        // Patch the 8-byte content size in the header to claim 1 TiB; the decoder must refuse it
        // from the header alone (the header checksum byte is recomputed by liblz4 on read, so a
        // mismatch is also acceptable — either way: an error, no allocation, no crash).
        var frame = LZ4Frame.compress(logLines(10))
        let terabyte = UInt64(1) << 40
        for index in 0..<8 {
            frame[6 + index] = UInt8(truncatingIfNeeded: terabyte >> (8 * UInt64(index)))
        }
        XCTAssertThrowsError(try LZ4Frame.decompress(frame, maxDecompressedSize: 1 << 20))
    }

    func testTruncatedFramesAreErrors() {
        let frame = LZ4Frame.compress(logLines(200))
        for cut in [1, 4, 7, frame.count / 2, frame.count - 1] {
            XCTAssertThrowsError(try LZ4Frame.decompress(Array(frame.prefix(cut)), maxDecompressedSize: 1 << 20), "cut at \(cut)")
        }
        XCTAssertThrowsError(try LZ4Frame.decompress([], maxDecompressedSize: 1 << 20)) { error in
            XCTAssertEqual(error as? LZ4FrameError, .truncated)
        }
    }

    func testGarbageAndFlippedBitsAreErrorsNeverCrashes() {
        XCTAssertThrowsError(try LZ4Frame.decompress(Array("not an lz4 frame at all".utf8), maxDecompressedSize: 1 << 20)) { error in
            guard case .corrupt = error as? LZ4FrameError else { return XCTFail("\(error)") }
        }
        let frame = LZ4Frame.compress(logLines(300))
        var generator = SplitMix64(seed: 42)
        var failures = 0
        for _ in 0..<2000 {
            var damaged = frame
            let index = Int(generator.next() % UInt64(damaged.count))
            damaged[index] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
            if (try? LZ4Frame.decompress(damaged, maxDecompressedSize: 1 << 20)) == nil { failures += 1 }
        }
        // The content checksum catches payload damage; header damage fails the header checksum.
        XCTAssertEqual(failures, 2000)
        for seed in 0..<500 {
            let noise = randomBytes(Int(seed % 97) + 4, seed: UInt64(seed))
            _ = try? LZ4Frame.decompress([0x04, 0x22, 0x4D, 0x18] + noise, maxDecompressedSize: 1 << 16)
        }
    }

    func testBytesAfterTheFrameAreRefused() {
        let frame = LZ4Frame.compress(logLines(5)) + [1, 2, 3]
        XCTAssertThrowsError(try LZ4Frame.decompress(frame, maxDecompressedSize: 1 << 20)) { error in
            XCTAssertEqual(error as? LZ4FrameError, .trailingBytes(count: 3))
        }
    }
}

