import EtcdClient
import XCTest

final class CancellationTests: EtcdTestCase {
    func testACallFromACancelledTaskIsNotSent() async throws {
        let client = try XCTUnwrap(self.client)
        let target = key("never")
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.put(key: target, value: "v")
        }
        let outcome = await task.result
        XCTAssertThrowsError(try outcome.get()) { XCTAssertTrue($0 is CancellationError, "\($0)") }
        let written = try await client.get(target)
        XCTAssertNil(written, "a cancelled task's put reached etcd")
    }
}
