import XCTest
@testable import ClusterModel

final class ClusterModelPlaceholderTests: XCTestCase {
    func testModuleLinks() {}
}
