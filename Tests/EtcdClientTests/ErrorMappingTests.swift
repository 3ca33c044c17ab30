@testable import EtcdClient
import XCTest

/// The gateway's error bodies, as recorded from etcd 3.4, mapped to typed errors.
final class ErrorMappingTests: XCTestCase {
    private func map(_ status: Int, _ body: String, context: ErrorContext = ErrorContext()) -> EtcdError {
        EtcdError.from(status: status, body: Array(body.utf8), endpoint: "http://127.0.0.1:2379", context: context)
    }

    private func body(_ message: String, _ code: Int) -> String {
        "{\"error\":\"\(message)\",\"message\":\"\(message)\",\"code\":\(code)}"
    }

    func testEachDocumentedErrorHasItsCase() {
        let tooLarge = ErrorContext(requestBytes: 2_200_020)
        XCTAssertEqual(
            map(400, body("etcdserver: request is too large", 3), context: tooLarge),
            .requestTooLarge(bytes: 2_200_020, message: "etcdserver: request is too large"))
        if case .requestTooLarge = map(429, body("grpc: received message larger than max (2200020 vs. 2097152)", 8)) {} else {
            XCTFail("429 larger than max")
        }
        XCTAssertEqual(
            map(400, body("etcdserver: too many operations in txn request", 3), context: ErrorContext(opCount: 200)),
            .tooManyOps(count: 200, limit: 128))
        XCTAssertEqual(
            map(404, body("etcdserver: requested lease not found", 5), context: ErrorContext(leaseID: 42)),
            .leaseNotFound(id: 42))
        XCTAssertEqual(map(429, body("etcdserver: mvcc: database space exceeded", 8)), .quotaExceeded)
        XCTAssertEqual(
            map(400, body("etcdserver: mvcc: required revision has been compacted", 11), context: ErrorContext(revision: 3)),
            .compacted(requestedRevision: 3, compactRevision: nil))
        XCTAssertEqual(
            map(400, body("etcdserver: mvcc: required revision is a future revision", 11), context: ErrorContext(revision: 9)),
            .futureRevision(requestedRevision: 9))
        XCTAssertEqual(
            map(503, body("etcdserver: no leader", 14)),
            .unavailable(endpoint: "http://127.0.0.1:2379", message: "etcdserver: no leader"))
        XCTAssertEqual(map(400, body("unexpected EOF", 3)), .invalidArgument(message: "unexpected EOF"))
        XCTAssertEqual(map(404, "404 page not found"), .unexpected(status: 404, body: "404 page not found"))
        XCTAssertEqual(
            map(412, body("etcdserver: lease already exists", 9)),
            .unexpected(status: 412, body: body("etcdserver: lease already exists", 9)))
    }

    func testDescriptionsNameTheValueAndTheRemedy() {
        XCTAssertEqual(
            EtcdError.unreachable(endpoints: ["http://127.0.0.1:2379", "http://127.0.0.1:22379"]).description,
            "etcd is unreachable at http://127.0.0.1:2379, http://127.0.0.1:22379: start etcd or pass --etcd")
        XCTAssertEqual(
            EtcdError.tooManyOps(count: 129, limit: 128).description,
            "a txn with 129 operations exceeds etcd's limit of 128: split it into several txns")
        XCTAssertTrue(EtcdError.compacted(requestedRevision: 5, compactRevision: 18).description
            .hasPrefix("revision 5 has been compacted (history now starts at 18)"))
        XCTAssertTrue(EtcdError.leaseLost(id: 7587899226083372842).description.contains("7587899226083372842"))
    }

    func testRetryBackoffDoublesUpToTheCap() {
        let policy = WatchRetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(500))
        XCTAssertEqual((1...5).map(policy.backoff(attempt:)),
                       [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(500), .milliseconds(500)])
    }
}
