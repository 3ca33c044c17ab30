import Foundation
import XCTest

@testable import EtcdClient

/// The hand-written request bodies: what the gateway reads (proto3 JSON). The KV and txn tests
/// against a real etcd prove the gateway accepts them; these pin the exact fields.
final class GatewayRequestTests: XCTestCase {
    private func object(_ request: some GatewayRequest) throws -> NSDictionary {
        let parsed = try JSONSerialization.jsonObject(with: Data(request.gatewayBody))
        return try XCTUnwrap(parsed as? NSDictionary, "not a JSON object: \(String(decoding: request.gatewayBody, as: UTF8.self))")
    }

    func testBase64MatchesFoundationForEveryLengthModThree() {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            var out: [UInt8] = []
            Base64.append(bytes, to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), Data(bytes).base64EncodedString(), "length \(length)")
        }
    }

    func testPutLeavesDefaultsOutAndSendsInt64AsString() throws {
        XCTAssertEqual(try object(PutRequest(key: "k", value: "v")), ["key": "aw==", "value": "dg=="])
        XCTAssertEqual(
            try object(PutRequest(key: "k", value: [UInt8](), lease: 7_587_000_000_000_000_001, prevKV: true)),
            ["key": "aw==", "value": "", "lease": "7587000000000000001", "prevKv": true]
        )
    }

    func testRangeWritesOnlyWhatDiffersFromTheDefaults() throws {
        XCTAssertEqual(try object(RangeRequest(key: "a")), ["key": "YQ=="])
        let full = RangeRequest(key: "a", rangeEnd: "b", limit: 5, revision: 9, keysOnly: true, countOnly: true, sortOrder: .descend, sortTarget: .mod, serializable: true)
        XCTAssertEqual(try object(full), [
            "key": "YQ==", "rangeEnd": "Yg==", "limit": "5", "revision": "9", "sortOrder": "DESCEND",
            "sortTarget": "MOD", "serializable": true, "keysOnly": true, "countOnly": true,
        ])
    }

    func testTxnCarriesEveryCompareKindAndOp() throws {
        let txn = Txn(
            compares: [.keyMissing("a"), .modRevision("b", .less, 12), .version("c", .greater, 3), .value("d", .notEqual, "x"), .lease("e", .equal, 42)],
            success: [.put(key: "a", value: "1", lease: 42), .delete(key: "b", rangeEnd: "c", prevKV: true)],
            failure: [.range(key: "a")]
        )
        XCTAssertEqual(try object(txn), [
            "compare": [
                ["key": "YQ==", "result": "EQUAL", "target": "CREATE", "createRevision": "0"],
                ["key": "Yg==", "result": "LESS", "target": "MOD", "modRevision": "12"],
                ["key": "Yw==", "result": "GREATER", "target": "VERSION", "version": "3"],
                ["key": "ZA==", "result": "NOT_EQUAL", "target": "VALUE", "value": "eA=="],
                ["key": "ZQ==", "result": "EQUAL", "target": "LEASE", "lease": "42"],
            ],
            "success": [
                ["requestPut": ["key": "YQ==", "value": "MQ==", "lease": "42"]],
                ["requestDeleteRange": ["key": "Yg==", "rangeEnd": "Yw==", "prevKv": true]],
            ],
            "failure": [["requestRange": ["key": "YQ=="]]],
        ])
    }

    func testStringsAreEscaped() throws {
        var out = JSONWriter()
        out.beginObject()
        out.key("s"); out.string("a\"b\\c\n\u{1}é")
        out.endObject()
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.bytes)) as? NSDictionary)
        XCTAssertEqual(parsed, ["s": "a\"b\\c\n\u{1}é"])
    }

    func testATxnAnswerIsScannedWithoutDecodingItsOpsAndAnythingElseFallsBack() {
        let applied = #"{"header":{"cluster_id":"14841639068965178418","member_id":"10276657743932975437","revision":"42","raft_term":"2"},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"42"}}}]}"#
        XCTAssertEqual(
            TxnOutcome.scan(Array(applied.utf8)),
            TxnOutcome(header: ResponseHeader(clusterID: 14_841_639_068_965_178_418, memberID: 10_276_657_743_932_975_437, revision: 42, raftTerm: 2), succeeded: true)
        )
        let refused = #"{"header":{"revision":"43","raft_term":"2"},"responses":[{"response_range":{"header":{"revision":"43"}}}]}"#
        XCTAssertEqual(TxnOutcome.scan(Array(refused.utf8))?.succeeded, false)
        XCTAssertEqual(TxnOutcome.scan(Array(refused.utf8))?.header.revision, 43)
        // protojson (etcd 3.5 and later in some builds) puts spaces after ':' and ','.
        let spaced = #"{"header": {"cluster_id": "1", "member_id": "2", "revision": "44", "raft_term": "3"}, "succeeded": true, "responses": []}"#
        XCTAssertEqual(
            TxnOutcome.scan(Array(spaced.utf8)),
            TxnOutcome(header: ResponseHeader(clusterID: 1, memberID: 2, revision: 44, raftTerm: 3), succeeded: true))
        let spacedRefused = #"{"header": {"revision": "45"}, "responses": []}"#
        XCTAssertEqual(TxnOutcome.scan(Array(spacedRefused.utf8))?.succeeded, false)
        XCTAssertEqual(TxnOutcome.scan(Array(#"{"header":{"revision":"46"}}"#.utf8))?.succeeded, false, "nothing after the header: not applied")
        for other in [
            #"{"succeeded":true,"header":{"revision":"1"}}"#, #"{"header":{"revision":"x1"}}"#, #"{"header":{}}"#, "",
            #"{"header":{"revision":"1"},"something":true}"#, #"{"header":{"revision":"1"} ,"succeeded":false}"#,
        ] {
            XCTAssertNil(TxnOutcome.scan(Array(other.utf8)), other)
        }
    }
}
