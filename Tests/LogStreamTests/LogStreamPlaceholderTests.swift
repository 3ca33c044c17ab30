import XCTest
@testable import LogStream

final class LogStreamPlaceholderTests: XCTestCase {
    func testModuleLinks() {}
}
