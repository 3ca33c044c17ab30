import XCTest

@testable import DockerClient

/// The demultiplexer alone: arbitrary chunking, many frames, and every kind of bad header.
final class DockerStreamDemuxerTests: XCTestCase {
    /// A frame as the engine writes it: stream byte, three zeros, big-endian length, payload.
    static func frame(_ stream: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let length = UInt32(payload.count)
        return [stream, 0, 0, 0, UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)] + payload
    }

    static func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
        frame(stream, Array(text.utf8))
    }

    /// Merges neighbours of the same stream: the demuxer's contract keeps order and content only.
    static func normalized(_ frames: [LogFrame]) -> [LogFrame] {
        var merged: [LogFrame] = []
        for frame in frames where !frame.bytes.isEmpty {
            if let last = merged.indices.last, merged[last].stream == frame.stream {
                merged[last].bytes += frame.bytes
            } else {
                merged.append(frame)
            }
        }
        return merged
    }

    /// Feeds `chunks` one by one and returns everything emitted, after checking the end.
    static func demux(_ chunks: [[UInt8]]) throws -> [LogFrame] {
        var demuxer = DockerStreamDemuxer()
        var frames: [LogFrame] = []
        for chunk in chunks {
            frames += try demuxer.feed(chunk)
        }
        try demuxer.finish()
        return normalized(frames)
    }

    let sample: [UInt8] = frame(1, "out1") + frame(2, "err1") + frame(1, "") + frame(1, "out2\n") + frame(2, [0, 255, 10, 13, 1])
    let expected = [
        LogFrame(stream: .stdout, bytes: Array("out1".utf8)),
        LogFrame(stream: .stderr, bytes: Array("err1".utf8)),
        LogFrame(stream: .stdout, bytes: Array("out2\n".utf8)),
        LogFrame(stream: .stderr, bytes: [0, 255, 10, 13, 1]),
    ]

    func testWholeStreamInOneChunk() throws {
        XCTAssertEqual(try Self.demux([sample]), expected)
    }

    func testSplitAtEveryByteBoundary() throws {
        for cut in 0...sample.count {
            let chunks = [Array(sample[..<cut]), Array(sample[cut...])]
            XCTAssertEqual(try Self.demux(chunks), expected, "split at byte \(cut)")
        }
    }

    func testSplitAtEveryPairOfBoundaries() throws {
        for first in 0...sample.count {
            for second in first...sample.count {
                let chunks = [Array(sample[..<first]), Array(sample[first..<second]), Array(sample[second...])]
                XCTAssertEqual(try Self.demux(chunks), expected, "split at bytes \(first) and \(second)")
            }
        }
    }

    func testOneByteAtATime() throws {
        XCTAssertEqual(try Self.demux(sample.map { [$0] }), expected)
    }

    func testManyFramesInOneChunkKeepOrderAndMergeNeighbours() throws {
        var bytes: [UInt8] = []
        var stdout: [UInt8] = []
        for index in 0..<1000 {
            let line = Array("line \(index)\n".utf8)
            bytes += Self.frame(1, line)
            stdout += line
        }
        bytes += Self.frame(2, "done")
        var demuxer = DockerStreamDemuxer()
        let frames = try demuxer.feed(bytes)
        // A thousand stdout frames in one chunk come out as one piece, then stderr.
        XCTAssertEqual(frames, [LogFrame(stream: .stdout, bytes: stdout), LogFrame(stream: .stderr, bytes: Array("done".utf8))])
        try demuxer.finish()
    }

    func testLargeFrameIsEmittedAsItArrivesNotBuffered() throws {
        let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let bytes = Self.frame(1, payload)
        var demuxer = DockerStreamDemuxer()
        var received: [UInt8] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 16_384)
            let frames = try demuxer.feed(Array(bytes[offset..<end]))
            // Every chunk's share of the payload comes out at once.
            let expectedCount = end - max(offset, 8)
            XCTAssertEqual(frames.reduce(0) { $0 + $1.bytes.count }, expectedCount)
            received += frames.flatMap(\.bytes)
            offset = end
        }
        try demuxer.finish()
        XCTAssertEqual(received, payload)
    }

    func testOversizeLengthIsRejectedAtTheHeader() {
        var demuxer = DockerStreamDemuxer()
        XCTAssertThrowsError(try demuxer.feed([1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])) { error in
            XCTAssertEqual(error as? DockerStreamError, .frameTooLarge(length: 0xFFFF_FFFF, limit: 16 << 20))
        }
        var small = DockerStreamDemuxer(maxFrameLength: 10)
        XCTAssertNoThrow(try small.feed(Self.frame(1, Array(repeating: 7, count: 10))))
        XCTAssertThrowsError(try small.feed(Self.frame(1, Array(repeating: 7, count: 11)))) { error in
            XCTAssertEqual(error as? DockerStreamError, .frameTooLarge(length: 11, limit: 10))
        }
    }

    func testUnknownStreamByteIsRejected() {
        // What a TTY container's raw output looks like when read as frames.
        var tty = DockerStreamDemuxer()
        XCTAssertThrowsError(try tty.feed(Array("hello world\r\n".utf8))) { error in
            XCTAssertEqual(error as? DockerStreamError, .unknownStream(UInt8(ascii: "h")))
        }
        var stdin = DockerStreamDemuxer()
        XCTAssertThrowsError(try stdin.feed(Self.frame(0, "x"))) { error in
            XCTAssertEqual(error as? DockerStreamError, .unknownStream(0))
        }
    }

    func testFramesBeforeABadHeaderAreKeptAndTheErrorSticks() {
        var demuxer = DockerStreamDemuxer()
        var output: [LogFrame] = []
        XCTAssertThrowsError(try demuxer.feed(Self.frame(1, "ok") + [9, 0, 0, 0, 0, 0, 0, 1, 0], into: &output))
        XCTAssertEqual(output, [LogFrame(stream: .stdout, bytes: Array("ok".utf8))])
        XCTAssertThrowsError(try demuxer.feed(Self.frame(1, "more"))) { error in
            XCTAssertEqual(error as? DockerStreamError, .unknownStream(9))
        }
        XCTAssertThrowsError(try demuxer.finish())
    }

    func testEngineErrorFrameBecomesAnError() {
        let bytes = Self.frame(1, "before") + Self.frame(3, "Error grabbing logs: boom\n")
        for cut in 0...bytes.count {
            var demuxer = DockerStreamDemuxer()
            var output: [LogFrame] = []
            XCTAssertThrowsError(try {
                try demuxer.feed(Array(bytes[..<cut]), into: &output)
                try demuxer.feed(Array(bytes[cut...]), into: &output)
            }(), "split at \(cut)") { error in
                XCTAssertEqual(error as? DockerStreamError, .engineError("Error grabbing logs: boom\n"))
            }
            XCTAssertEqual(Self.normalized(output), [LogFrame(stream: .stdout, bytes: Array("before".utf8))])
        }
    }

    func testStreamEndingInsideAFrameIsTruncated() throws {
        var inHeader = DockerStreamDemuxer()
        _ = try inHeader.feed([1, 0, 0])
        XCTAssertThrowsError(try inHeader.finish()) { error in
            XCTAssertEqual(error as? DockerStreamError, .truncated(missing: 5))
        }
        var inPayload = DockerStreamDemuxer()
        XCTAssertEqual(try inPayload.feed(Array(Self.frame(2, "abcdef").dropLast(2))), [LogFrame(stream: .stderr, bytes: Array("abcd".utf8))])
        XCTAssertThrowsError(try inPayload.finish()) { error in
            XCTAssertEqual(error as? DockerStreamError, .truncated(missing: 2))
        }
        let empty = DockerStreamDemuxer()
        XCTAssertNoThrow(try empty.finish())
    }
}
