import EtcdClient
import TitanTestSupport
import XCTest

final class FailoverTests: EtcdTestCase {
    func testADeadFirstEndpointFailsOverToTheLiveOne() async throws {
        let dead = "http://127.0.0.1:\(try freeLoopbackPort())"
        let client = EtcdClient(endpoints: [dead, endpoint])
        defer { client.shutdown() }
        try await client.put(key: key("f"), value: "v")
        XCTAssertEqual(client.currentEndpoint, endpoint, "the working endpoint is remembered")
        let kv = try await client.get(key("f"))
        XCTAssertEqual(kv?.valueString, "v")
    }

    func testAllEndpointsDeadIsUnreachableNamingThem() async throws {
        let dead = [try freeLoopbackPort(), try freeLoopbackPort()].map { "http://127.0.0.1:\($0)" }
        let client = EtcdClient(endpoints: dead)
        defer { client.shutdown() }
        do {
            _ = try await client.get("x")
            XCTFail("a read from dead endpoints succeeded")
        } catch let error as EtcdError {
            XCTAssertEqual(error, .unreachable(endpoints: dead))
            XCTAssertEqual(
                error.description,
                "etcd is unreachable at \(dead[0]), \(dead[1]): start etcd or pass --etcd")
        }
    }
}
