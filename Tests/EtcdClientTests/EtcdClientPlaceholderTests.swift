import XCTest
@testable import EtcdClient

final class EtcdClientPlaceholderTests: XCTestCase {
    func testModuleLinks() {}
}
