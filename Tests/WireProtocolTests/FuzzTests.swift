import NIOCore
import XCTest

@testable import WireProtocol

/// Random and mutated input through the whole receive path: it must end in messages or a
/// `WireError`, never in a trap, and whatever decodes must survive a re-encode unchanged.
final class FuzzTests: XCTestCase {
    private func check(_ bytes: [UInt8], _ context: @autoclosure () -> String) {
        let outcome = StreamHarness.run(bytes, split: .whole, verifyHello: false)
        for message in outcome.messages {
            var buffer = ByteBuffer()
            do {
                try buffer.writeWireFrame(message)
            } catch {
                XCTFail("\(context()): decoded \(message) does not re-encode: \(error)")
                continue
            }
            let again = StreamHarness.run(Array(buffer.readableBytesView), split: .whole, verifyHello: false)
            XCTAssertEqual(again.messages, [message], context())
        }
    }

    func testRandomByteStrings() {
        var generator = SplitMix64(seed: 0x7174_616E)
        for iteration in 0..<20_000 {
            let count = Int.random(in: 0...96, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Half the inputs get a plausible header, so the payload decoders are reached too.
            if iteration.isMultiple(of: 2), count >= 6 {
                let length = UInt32(count - 4)
                bytes.replaceSubrange(0..<4, with: withUnsafeBytes(of: length.bigEndian, Array.init))
                let known = WireMessageType.allKnown.randomElement(using: &generator)!.rawValue
                bytes.replaceSubrange(4..<6, with: [UInt8(known >> 8), UInt8(known & 0xFF)])
            }
            self.check(bytes, "random input \(iteration)")
        }
    }

    func testMutatedValidFrames() throws {
        var generator = SplitMix64(seed: 42)
        var frames: [[UInt8]] = []
        for sample in VectorCatalog.messages {
            var buffer = ByteBuffer()
            try buffer.writeWireFrame(sample.message)
            frames.append(Array(buffer.readableBytesView))
        }
        for iteration in 0..<20_000 {
            var bytes = frames.randomElement(using: &generator)!
            switch Int.random(in: 0..<4, using: &generator) {
            case 0:  // flip bits in the payload
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let index = Int.random(in: 6..<bytes.count, using: &generator)
                    bytes[index] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
                }
            case 1:  // overwrite a byte anywhere, header included
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            case 2:  // cut the stream short
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &generator))
            default:  // shrink the payload but keep the header consistent
                let keep = Int.random(in: 6...bytes.count, using: &generator)
                bytes.removeLast(bytes.count - keep)
                bytes.replaceSubrange(0..<4, with: withUnsafeBytes(of: UInt32(keep - 4).bigEndian, Array.init))
            }
            self.check(bytes, "mutation \(iteration)")
        }
    }
}
