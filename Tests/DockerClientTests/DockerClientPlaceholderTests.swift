import XCTest
@testable import DockerClient

final class DockerClientPlaceholderTests: XCTestCase {
    func testModuleLinks() {}
}
