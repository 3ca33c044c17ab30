import EtcdClient
import Foundation
import TitanTestSupport
import XCTest

/// The etcd every test of this target talks to: the one `Tools/test` started (env
/// `TITAN_TEST_ETCD`), or else one private `LocalEtcd` started by the first test that needs it
/// and stopped when the test bundle finishes.
actor SharedEtcd {
    static let shared = SharedEtcd()

    private var local: LocalEtcd?
    private var checked = false

    /// The endpoint to use, starting the private etcd on first use; a given one that does not
    /// answer fails the test at once with what to run.
    func endpoint() async throws -> String {
        if let given = ProcessInfo.processInfo.environment["TITAN_TEST_ETCD"], !given.isEmpty {
            if !checked {
                try await TestServices.requireEtcd(given)
                checked = true
            }
            return given
        }
        if let local {
            return local.endpoint
        }
        let etcd = try LocalEtcd()
        try await etcd.start()
        local = etcd
        await MainActor.run {
            XCTestObservationCenter.shared.addTestObserver(StopAtEnd(etcd: etcd))
        }
        return etcd.endpoint
    }
}

/// Stops the private etcd when the test bundle is done.
final class StopAtEnd: NSObject, XCTestObservation, Sendable {
    let etcd: LocalEtcd

    init(etcd: LocalEtcd) {
        self.etcd = etcd
    }

    func testBundleDidFinish(_ testBundle: Bundle) {
        etcd.stop()
    }
}

/// A test case with a client of the shared etcd and a key prefix no other test uses.
class EtcdTestCase: XCTestCase {
    /// The shared etcd's endpoint.
    var endpoint = ""
    /// A client of it.
    var client: EtcdClient!
    /// `/titan-test/<test name>/<random>/`: every key a test writes starts with it.
    var prefix = ""

    override func setUp() async throws {
        endpoint = try await SharedEtcd.shared.endpoint()
        client = EtcdClient(endpoints: [endpoint])
        let name = name.filter { $0.isLetter || $0.isNumber }
        prefix = "/titan-test/\(name)/\(UUID().uuidString.prefix(8))/"
    }

    override func tearDown() async throws {
        if let client {
            _ = try? await client.deleteRange(prefix: prefix)
            client.shutdown()
        }
        client = nil
    }

    /// `prefix + suffix`.
    func key(_ suffix: String) -> String {
        prefix + suffix
    }
}

/// Asserts that `body` throws an ``EtcdError`` for which `matches` is true.
func assertThrowsEtcdError<T>(
    _ body: @autoclosure () async throws -> T,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ matches: (EtcdError) -> Bool
) async {
    do {
        let value = try await body()
        XCTFail("expected an EtcdError, got \(value)", file: file, line: line)
    } catch let error as EtcdError {
        XCTAssertTrue(matches(error), "unexpected error: \(error)", file: file, line: line)
    } catch {
        XCTFail("expected an EtcdError, got \(error)", file: file, line: line)
    }
}
