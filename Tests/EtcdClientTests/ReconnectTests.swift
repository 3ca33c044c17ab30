import EtcdClient
import TitanTestSupport
import XCTest

/// Tests that stop and restart etcd, so they run their own private member.
final class ReconnectTests: XCTestCase {
    func testWatchResumesAfterEtcdIsKilledOrStoppedWithoutLosingOrRepeatingEvents() async throws {
        let etcd = try LocalEtcd()
        try await etcd.start()
        defer { etcd.stop() }
        let client = EtcdClient(endpoints: [etcd.endpoint])
        defer { client.shutdown() }

        let first = try await client.put(key: "/r/a", value: "1")
        let iterator = client.watch(prefix: "/r/", startRevision: first.header.revision).iteratorWithDeadlines()
        let before = try await iterator.next(within: .seconds(10), waitingFor: "the put of /r/a")
        XCTAssertEqual(before?.events.map(\.kv.keyString), ["/r/a"])

        etcd.kill()
        try await etcd.start()
        let second = try await client.put(key: "/r/b", value: "2")

        let after = try await iterator.next(within: .seconds(20), waitingFor: "the put of /r/b after etcd's restart")
        XCTAssertEqual(after?.events.map(\.kv.keyString), ["/r/b"], "resumed at the revision after the last event")
        XCTAssertEqual(after?.events.first?.kv.modRevision, second.header.revision)

        // A graceful stop ends the stream with an error line ("the client connection is
        // closing"): that too is a reconnection, not the end of the watch.
        etcd.terminate()
        try await etcd.start()
        let third = try await client.put(key: "/r/c", value: "3")
        let last = try await iterator.next(within: .seconds(20), waitingFor: "the put of /r/c after etcd's graceful restart")
        XCTAssertEqual(last?.events.map(\.kv.keyString), ["/r/c"])
        XCTAssertEqual(last?.events.first?.kv.modRevision, third.header.revision)
    }

    func testWatchGivesUpWithUnreachableAfterBoundedRetries() async throws {
        let etcd = try LocalEtcd()
        try await etcd.start()
        defer { etcd.stop() }
        let client = EtcdClient(endpoints: [etcd.endpoint])
        defer { client.shutdown() }

        let first = try await client.put(key: "/g/a", value: "1")
        let retry = WatchRetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(200))
        let iterator = client.watch(WatchRequest(key: "/g/a", startRevision: first.header.revision), retry: retry)
            .iteratorWithDeadlines()
        _ = try await iterator.next(within: .seconds(10), waitingFor: "the put of /g/a")
        etcd.kill()
        do {
            _ = try await iterator.next(within: .seconds(20), waitingFor: "the watch to give up on a dead etcd")
            XCTFail("a watch on a dead etcd delivered a response")
        } catch let error as EtcdError {
            XCTAssertEqual(error, .unreachable(endpoints: [etcd.endpoint]))
        }
        let ended = try await iterator.next(within: .seconds(5), waitingFor: "the end of a failed watch")
        XCTAssertNil(ended, "a watch that threw is finished")
    }

    func testWatchFailsOverFromADeadEndpoint() async throws {
        let live = try await SharedEtcd.shared.endpoint()
        let dead = "http://127.0.0.1:\(try freeLoopbackPort())"
        let client = EtcdClient(endpoints: [dead, live])
        defer { client.shutdown() }
        let key = "/titan-test/failover-watch/\(UUID().uuidString)"
        let put = try await client.put(key: key, value: "v")
        // Start the watch on the dead endpoint on purpose.
        let deadFirst = EtcdClient(endpoints: [dead, live])
        defer { deadFirst.shutdown() }
        let events = try await collectEvents(deadFirst.watch(key: key, startRevision: put.header.revision), count: 1)
        XCTAssertEqual(events.first?.kv.valueString, "v")
        XCTAssertEqual(deadFirst.currentEndpoint, live)
        _ = try await client.deleteRange(key: key)
    }
}
