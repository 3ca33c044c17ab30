import Foundation
import XCTest

@testable import CommandSupport

/// The line formats of `--log-format`: every value survives a round trip, whatever it holds.
final class LineLogHandlerTests: XCTestCase {
    private let awkward = "a \"quoted\" = value\\with\nnewline\tand \u{1}control é"

    func testJSONLinesParseBackToTheSameFields() throws {
        let line = LineLogHandler.json([("msg", awkward), ("job.id", "2-1"), ("empty", "")])
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String], line)
        XCTAssertEqual(parsed, ["msg": awkward, "job.id": "2-1", "empty": ""])
        XCTAssertFalse(line.contains("\n"), "one line")
    }

    func testLogfmtQuotesOnlyWhatNeedsItAndEscapesInsideQuotes() {
        XCTAssertEqual(LineLogHandler.logfmt([("level", "info"), ("job.id", "2-1")]), "level=info job.id=2-1")
        XCTAssertEqual(LineLogHandler.logfmt([("msg", "session open"), ("empty", "")]), #"msg="session open" empty="""#)
        let line = LineLogHandler.logfmt([("msg", awkward)])
        XCTAssertEqual(line, #"msg="a \"quoted\" = value\\with\nnewline\tand \u0001control é""#)
        XCTAssertFalse(line.contains("\n"), "one line")
    }

    func testTimestampsAreRFC3339InUTCWithMilliseconds() {
        let stamp = LineLogHandler.timestamp()
        XCTAssertNotNil(stamp.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression), stamp)
    }
}
