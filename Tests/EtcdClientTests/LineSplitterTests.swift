@testable import EtcdClient
import XCTest

final class LineSplitterTests: XCTestCase {
    private func lines(_ splitter: inout LineSplitter) throws -> [String] {
        var out: [String] = []
        while let line = try splitter.nextLine() {
            out.append(String(decoding: line, as: UTF8.self))
        }
        return out
    }

    func testLinesSplitAcrossChunksAreJoined() throws {
        var splitter = LineSplitter(maxLineBytes: 100)
        splitter.append(Array("{\"a\":".utf8))
        XCTAssertEqual(try lines(&splitter), [])
        splitter.append(Array("1}\n{\"b\"".utf8))
        XCTAssertEqual(try lines(&splitter), ["{\"a\":1}"])
        splitter.append(Array(":2}\r\n\n{\"c\":3}\n".utf8))
        XCTAssertEqual(try lines(&splitter), ["{\"b\":2}", "{\"c\":3}"])
        XCTAssertEqual(splitter.pendingBytes, 0)
    }

    func testByteByByteFeedingGivesTheSameLines() throws {
        var splitter = LineSplitter(maxLineBytes: 100)
        var out: [String] = []
        for byte in Array("one\ntwo\nthree\npartial".utf8) {
            splitter.append([byte])
            out += try lines(&splitter)
        }
        XCTAssertEqual(out, ["one", "two", "three"])
        XCTAssertEqual(splitter.pendingBytes, 7)
    }

    func testAnOverlongLineIsAnErrorEvenWithoutANewline() throws {
        var splitter = LineSplitter(maxLineBytes: 8)
        splitter.append(Array("12345678\n".utf8))
        XCTAssertEqual(try lines(&splitter), ["12345678"])
        splitter.append(Array("123456789".utf8))
        XCTAssertThrowsError(try splitter.nextLine()) {
            XCTAssertEqual($0 as? LineSplitter.LineTooLong, LineSplitter.LineTooLong(limit: 8))
        }
    }

    func testResetDropsAPartialLine() throws {
        var splitter = LineSplitter(maxLineBytes: 100)
        splitter.append(Array("half a li".utf8))
        splitter.reset()
        splitter.append(Array("whole\n".utf8))
        XCTAssertEqual(try lines(&splitter), ["whole"])
    }
}
