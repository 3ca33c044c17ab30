import ClusterModel
import XCTest

@testable import LogStream

/// The archive's value format: records round-trip, and a damaged record is refused by name.
final class LogArchiveTests: XCTestCase {
    private let records = [
        LogRecord(seq: 7, stream: .stdout, uncompressedLength: 3, frame: [1, 2, 3]),
        LogRecord(seq: 8, stream: .stderr, uncompressedLength: 1, frame: [9]),
    ]

    func testRecordsOfBothStreamsRoundTrip() throws {
        XCTAssertEqual(try LogArchive.decode(LogArchive.encode(records)), records)
    }

    func testARecordOfAnUnknownStreamIsRefusedAtItsOffset() {
        var bytes = LogArchive.encode(records)
        let second = LogArchive.recordHeaderBytes + 3
        bytes[second + 8] = 3  // the stream byte of the second record
        XCTAssertThrowsError(try LogArchive.decode(bytes)) { error in
            XCTAssertEqual(error as? LogArchiveError, .unknownStream(offset: second))
        }
    }

    func testATruncatedRecordIsRefused() {
        let bytes = Array(LogArchive.encode(records).dropLast())
        XCTAssertThrowsError(try LogArchive.decode(bytes)) { error in
            XCTAssertEqual(error as? LogArchiveError, .truncated(offset: LogArchive.recordHeaderBytes + 3))
        }
    }
}
