import EtcdClient
import XCTest

final class KVTests: EtcdTestCase {
    func testPutThenGet() async throws {
        let put = try await client.put(key: key("a"), value: "hello")
        XCTAssertGreaterThan(put.header.revision, 0)
        let kv = try await client.get(key("a"))
        XCTAssertEqual(kv?.valueString, "hello")
        XCTAssertEqual(kv?.keyString, key("a"))
        XCTAssertEqual(kv?.version, 1)
        XCTAssertEqual(kv?.createRevision, put.header.revision)
        XCTAssertEqual(kv?.modRevision, put.header.revision)
        XCTAssertEqual(kv?.lease, 0)
    }
}
