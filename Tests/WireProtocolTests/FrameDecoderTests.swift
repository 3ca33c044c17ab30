import ClusterModel
import NIOCore
import NIOEmbedded
import NIOTestUtils
import XCTest

@testable import WireProtocol

final class FrameDecoderTests: XCTestCase {
    private func frameBytes(_ message: WireMessage) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try buffer.writeWireFrame(message)
        return buffer
    }

    func testOversizeLengthIsRefusedAsSoonAsTheHeaderIsReadable() {
        var decoder = FrameDecoder()
        var buffer = ByteBuffer(bytes: [0x00, 0x40, 0x00])
        XCTAssertNil(try decoder.decode(buffer: &buffer), "3 bytes: not yet a header")
        buffer.writeInteger(UInt8(0x01))
        XCTAssertThrowsError(try decoder.decode(buffer: &buffer)) { error in
            XCTAssertEqual(error as? WireError, .frameTooLarge(length: 4_194_305, limit: 4_194_304))
        }
        var huge = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertThrowsError(try decoder.decode(buffer: &huge)) { error in
            XCTAssertEqual((error as? WireError)?.code, .frameTooLarge)
        }
    }

    func testMaximumLengthIsAccepted() throws {
        var decoder = FrameDecoder()
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(WireLimits.maxFrameLength))
        buffer.writeInteger(UInt16(0x7777))
        XCTAssertNil(try decoder.decode(buffer: &buffer), "a 4 MiB frame is legal: wait for it")
        buffer.writeRepeatingByte(0, count: WireLimits.maxFrameLength - 2)
        let frame = try XCTUnwrap(try decoder.decode(buffer: &buffer))
        XCTAssertEqual(frame.payload.readableBytes, WireLimits.maxFrameLength - 2)
        XCTAssertEqual(buffer.readableBytes, 0)
    }

    func testLengthsBelowTheTypeAreRefused() {
        for length: UInt32 in [0, 1] {
            var decoder = FrameDecoder()
            var buffer = ByteBuffer(integer: length)
            XCTAssertThrowsError(try decoder.decode(buffer: &buffer)) { error in
                XCTAssertEqual(error as? WireError, .frameTooShort(length: length))
            }
        }
    }

    func testEmptyPayloadIsAFrame() throws {
        var decoder = FrameDecoder()
        var buffer = ByteBuffer(bytes: [0, 0, 0, 2, 0x77, 0x77])
        let frame = try XCTUnwrap(try decoder.decode(buffer: &buffer))
        XCTAssertEqual(frame.type.rawValue, 0x7777)
        XCTAssertEqual(frame.payload.readableBytes, 0)
    }

    func testLowerMaximumIsEnforced() {
        var decoder = FrameDecoder(maximumFrameLength: 64)
        var buffer = ByteBuffer(bytes: [0, 0, 0, 65])
        XCTAssertThrowsError(try decoder.decode(buffer: &buffer)) { error in
            XCTAssertEqual(error as? WireError, .frameTooLarge(length: 65, limit: 64))
        }
    }

    func testPartialFrameConsumesNothingAndEOFReportsTruncation() throws {
        let full = try self.frameBytes(.ping(PingPayload(token: 1)))
        var decoder = FrameDecoder()
        var partial = full.getSlice(at: 0, length: full.readableBytes - 1)!
        XCTAssertNil(try decoder.decode(buffer: &partial))
        XCTAssertEqual(partial.readableBytes, full.readableBytes - 1)
        XCTAssertNil(try decoder.decodeLast(buffer: &partial, seenEOF: false), "no EOF: leftovers are passed on, not an error")
        XCTAssertThrowsError(try decoder.decodeLast(buffer: &partial, seenEOF: true)) { error in
            XCTAssertEqual(error as? WireError, .truncatedFrame(bufferedBytes: full.readableBytes - 1))
        }
        var empty = ByteBuffer()
        XCTAssertNil(try decoder.decodeLast(buffer: &empty, seenEOF: true), "a clean end of stream")
    }

    func testVerifierWithEveryMessage() throws {
        // Byte by byte, in odd splits, with leftovers and EOF: NIO's own harness.
        let pairs = try VectorCatalog.messages.map { sample -> (ByteBuffer, [Frame]) in
            let bytes = try self.frameBytes(sample.message)
            let frame = Frame(type: sample.message.type, payload: bytes.getSlice(at: 6, length: bytes.readableBytes - 6)!)
            return (bytes, [frame])
        }
        XCTAssertNoThrow(try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs, decoderFactory: { FrameDecoder() }))
    }

    func testManyFramesInRandomSplits() throws {
        var stream = ByteBuffer()
        for sample in VectorCatalog.messages {
            try stream.writeWireFrame(sample.message)
        }
        let bytes = Array(stream.readableBytesView)
        for seed in UInt64(1)...20 {
            let outcome = StreamHarness.run(bytes, split: .random(seed: seed, maxChunk: 97), verifyHello: false)
            XCTAssertNil(outcome.error, "seed \(seed)")
            XCTAssertEqual(outcome.messages, VectorCatalog.messages.map(\.message), "seed \(seed)")
        }
    }

    func testUnknownTypeLeavesTheStreamUsable() throws {
        var stream = ByteBuffer(bytes: [0, 0, 0, 10, 0x77, 0x77, 0, 0, 0, 0, 0, 0, 0, 9])
        try stream.writeWireFrame(.ping(PingPayload(token: 5)))
        let processor = NIOSingleStepByteToMessageProcessor(FrameDecoder())
        var decoded: [Result<WireMessage, WireError>] = []
        try processor.process(buffer: stream) { frame in
            decoded.append(Result { () throws(WireError) in try WireMessage(frame: frame) })
        }
        XCTAssertEqual(decoded.count, 2)
        guard case .failure(let error) = decoded.first else {
            return XCTFail("the unknown type must not decode")
        }
        XCTAssertEqual(error, .unknownMessageType(0x7777))
        XCTAssertFalse(error.isConnectionFatal)
        XCTAssertEqual(try decoded.last?.get(), .ping(PingPayload(token: 5)))
    }

    func testEmbeddedChannelPipeline() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(WireMessageEncoder()))

        let message = WireMessage.getJob(GetJob(correlationID: 9, jobID: "j-1"))
        try channel.writeOutbound(message)
        let written = try XCTUnwrap(try channel.readOutbound(as: ByteBuffer.self))
        XCTAssertEqual(written, try self.frameBytes(message))

        try channel.writeInbound(written)
        let frame = try XCTUnwrap(try channel.readInbound(as: Frame.self))
        XCTAssertEqual(try WireMessage(frame: frame), message)
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testEmbeddedChannelRefusesOversizeHeaderAlone() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        XCTAssertThrowsError(try channel.writeInbound(ByteBuffer(bytes: [0x7F, 0xFF, 0xFF, 0xFF]))) { error in
            XCTAssertEqual(error as? WireError, .frameTooLarge(length: 0x7FFF_FFFF, limit: WireLimits.maxFrameLength))
        }
        _ = try? channel.finish()
    }

    func testEncoderRefusesAMessageThatBreaksABound() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(WireMessageEncoder()))
        let bad = WireMessage.getJob(GetJob(correlationID: 1, jobID: JobID(JobIDFixtures.tooLong)))
        XCTAssertThrowsError(try channel.writeOutbound(bad)) { error in
            XCTAssertEqual(error as? WireError, .lengthAboveLimit(field: "GetJob.jobID", length: 129, limit: 128))
        }
        XCTAssertNil(try channel.readOutbound(as: ByteBuffer.self), "nothing reaches the socket")
        _ = try? channel.finish()
    }
}

enum JobIDFixtures {
    static let tooLong = String(repeating: "x", count: 129)
}

final class FrameTests: XCTestCase {
    func testCorrelationIDForError() {
        let corr = ByteBuffer(bytes: [0, 0, 0, 0, 0, 0, 0, 9, 0xFF])
        XCTAssertEqual(Frame(type: .getJob, payload: corr).correlationIDForError, 9, "a request")
        XCTAssertEqual(Frame(type: WireMessageType(rawValue: 0x7777), payload: corr).correlationIDForError, 9, "an unknown type")
        XCTAssertEqual(Frame(type: WireMessageType(rawValue: 0x7777), payload: ByteBuffer(bytes: [1])).correlationIDForError, 0)
        XCTAssertEqual(Frame(type: .started, payload: corr).correlationIDForError, 0, "a report has none")
        XCTAssertEqual(Frame(type: .submitResult, payload: corr).correlationIDForError, 0, "never answer a response")
    }
}
