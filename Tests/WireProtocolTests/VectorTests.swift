import Foundation
import NIOCore
import XCTest

@testable import WireProtocol

/// Checks the committed files in `Protocol/vectors/`: every file is known and checked, valid
/// vectors decode to their catalog message and re-encode to the same bytes, hostile vectors
/// produce exactly their stated error, whole, byte by byte and in random splits.
///
/// Run with `TITAN_REGENERATE_VECTORS=1` to rewrite the files from the catalog first.
final class VectorTests: XCTestCase {
    private static let splits: [StreamHarness.Split] =
        [.whole, .byteByByte] + (1...8).map { .random(seed: $0, maxChunk: 1 + Int($0) * 3) }

    override class func setUp() {
        super.setUp()
        if ProcessInfo.processInfo.environment["TITAN_REGENERATE_VECTORS"] == "1" {
            try! VectorFile.writeAll()
        }
    }

    private func load(_ file: String) throws -> VectorFile.Parsed {
        let text = try String(contentsOf: VectorFile.directory.appendingPathComponent(file), encoding: .utf8)
        return try VectorFile.parse(text, file: file)
    }

    func testEveryVectorFileIsKnownAndChecked() throws {
        let files = try VectorFile.allFileNames()
        let valid = Dictionary(uniqueKeysWithValues: VectorCatalog.messages.map { ($0.file, $0.message) })
        let hostile = Dictionary(uniqueKeysWithValues: VectorCatalog.hostile.map { ($0.file, $0) })
        XCTAssertEqual(Set(files), Set(valid.keys).union(hostile.keys), "vector files and catalog differ; regenerate?")
        for file in files {
            let parsed = try self.load(file)
            if let message = valid[file] {
                self.checkValid(file: file, parsed: parsed, message: message)
            } else if let vector = hostile[file] {
                self.checkHostile(file: file, parsed: parsed, vector: vector)
            } else {
                XCTFail("\(file): no check knows this vector file")
            }
        }
    }

    func testEveryMessageTypeHasAVector() {
        let covered = Set(VectorCatalog.messages.map(\.message.type))
        XCTAssertEqual(covered, Set(WireMessageType.allKnown))
        XCTAssertEqual(WireMessageType.allKnown.count, 33)
    }

    func testTraceCoversEveryByteOfEveryValidVector() {
        for (file, message) in VectorCatalog.messages {
            let untraced = VectorFile.annotatedSegments(of: message).filter { $0.comment == "(untraced)" }
            XCTAssertTrue(untraced.isEmpty, "\(file): the decoder left bytes unread")
        }
    }

    private func checkValid(file: String, parsed: VectorFile.Parsed, message: WireMessage) {
        XCTAssertEqual(parsed.expectation, .message(message.type.name!), file)
        for split in Self.splits {
            let outcome = StreamHarness.run(parsed.bytes, split: split)
            XCTAssertNil(outcome.error, "\(file), \(split)")
            XCTAssertEqual(outcome.messages, [message], "\(file), \(split)")
        }
        var encoded = ByteBuffer()
        XCTAssertNoThrow(try encoded.writeWireFrame(message), file)
        XCTAssertEqual(Array(encoded.readableBytesView), parsed.bytes, "\(file): re-encoding differs from the file")
    }

    private func checkHostile(file: String, parsed: VectorFile.Parsed, vector: HostileVector) {
        XCTAssertEqual(parsed.expectation, .error(code: vector.expected.code.name, kind: vector.expected.kind), file)
        XCTAssertEqual(parsed.bytes, vector.bytes, "\(file): bytes differ from the catalog; regenerate?")
        for split in Self.splits {
            let outcome = StreamHarness.run(parsed.bytes, split: split)
            XCTAssertEqual(outcome.error, vector.expected, "\(file), \(split)")
            XCTAssertEqual(outcome.error?.code.name, "\(vector.expected.code.name)", "\(file), \(split)")
        }
    }

    func testParserRejectsMalformedFiles() {
        XCTAssertThrowsError(try VectorFile.parse("00 01\n", file: "no-expect"))
        XCTAssertThrowsError(try VectorFile.parse("expect: message Ping\n0g\n", file: "bad-digit"))
        XCTAssertThrowsError(try VectorFile.parse("expect: message Ping\n012\n", file: "odd"))
        XCTAssertThrowsError(try VectorFile.parse("expect: maybe\n", file: "bad-expect"))
        let parsed = try? VectorFile.parse("# c\nexpect: error badFrame x\n0A 0b  # note 12\n", file: "ok")
        XCTAssertEqual(parsed?.bytes, [0x0A, 0x0B])
        XCTAssertEqual(parsed?.expectation, .error(code: "badFrame", kind: "x"))
    }
}
