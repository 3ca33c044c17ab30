import XCTest
@testable import WireProtocol

final class WireProtocolPlaceholderTests: XCTestCase {
    func testModuleLinks() {}
}
