import ClusterModel
import NIOCore
import WireProtocol

/// Runs bytes through the receive path the way a server does: `FrameDecoder`, then
/// `WireMessage(frame:)`, then (for a `Hello`) `Handshake.verify` against the vectors' nonce
/// and token. Stops at the first error.
enum StreamHarness {
    struct Outcome {
        var messages: [WireMessage] = []
        var error: WireError?
    }

    /// How to cut a stream into reads.
    enum Split: CustomStringConvertible {
        /// One read with every byte.
        case whole
        /// One read per byte.
        case byteByByte
        /// Reads of random sizes 1...max from a seeded generator.
        case random(seed: UInt64, maxChunk: Int)

        var description: String {
            switch self {
            case .whole: return "whole"
            case .byteByByte: return "byte by byte"
            case .random(let seed, let maxChunk): return "random splits (seed \(seed), max \(maxChunk))"
            }
        }

        func chunks(of count: Int) -> [Int] {
            switch self {
            case .whole:
                return count == 0 ? [] : [count]
            case .byteByByte:
                return Array(repeating: 1, count: count)
            case .random(let seed, let maxChunk):
                var generator = SplitMix64(seed: seed)
                var sizes: [Int] = []
                var left = count
                while left > 0 {
                    let size = min(left, Int.random(in: 1...maxChunk, using: &generator))
                    sizes.append(size)
                    left -= size
                }
                return sizes
            }
        }
    }

    static func run(_ bytes: [UInt8], split: Split, verifyHello: Bool = true) -> Outcome {
        var outcome = Outcome()
        let processor = NIOSingleStepByteToMessageProcessor(FrameDecoder())
        let receive: (Frame) throws -> Void = { frame in
            let message = try WireMessage(frame: frame)
            if verifyHello, case .hello(let hello) = message {
                try Handshake.verify(hello, nonce: VectorCatalog.nonce, token: VectorCatalog.token)
            }
            outcome.messages.append(message)
        }
        do {
            var offset = 0
            for size in split.chunks(of: bytes.count) {
                try processor.process(buffer: ByteBuffer(bytes: bytes[offset..<(offset + size)]), receive)
                offset += size
            }
            try processor.finishProcessing(seenEOF: true, receive)
        } catch let error as WireError {
            outcome.error = error
        } catch {
            fatalError("only WireError may come out of the receive path, got \(error)")
        }
        return outcome
    }
}

/// A small seeded generator (SplitMix64), so random splits and fuzz inputs are reproducible.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
