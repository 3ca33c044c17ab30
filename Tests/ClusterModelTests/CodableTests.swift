import ClusterModel
import Foundation
import XCTest

final class CodableTests: XCTestCase {
    private func roundTrip<Value: Codable & Equatable>(_ value: Value, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        XCTAssertEqual(try JSONDecoder().decode(Value.self, from: data), value, file: file, line: line)
        return String(decoding: data, as: UTF8.self)
    }

    func testJobSpecRoundTrip() throws {
        let spec = JobSpec(
            name: "nightly",
            runtime: .docker,
            image: "busybox:latest",
            command: .script("echo hello; sleep 1"),
            environment: ["A": "1"],
            labels: ["team": "infra"],
            nodeSelector: ["zone": "a"],
            resources: Resources(cpuMillis: 250, memoryBytes: 128 << 20),
            priority: -3,
            maxAttempts: 3,
            timeoutSeconds: 60,
            networkMode: .host
        )
        let json = try self.roundTrip(spec)
        XCTAssertTrue(json.contains(#""command":{"script":"echo hello; sleep 1"}"#), json)
        XCTAssertTrue(json.contains(#""runtime":"docker""#), json)
        XCTAssertEqual(spec.effectiveImage, "busybox:latest")

        let argv = JobSpec(runtime: .exec, command: .argv(["sleep", "5"]))
        XCTAssertTrue(try self.roundTrip(argv).contains(#""command":{"argv":["sleep","5"]}"#))
        XCTAssertNil(argv.name)
        XCTAssertEqual(argv.networkMode, .none)
    }

    func testIdentifiersEncodeBare() throws {
        XCTAssertEqual(try self.roundTrip([JobID("j-1")]), #"["j-1"]"#)
        XCTAssertEqual(try self.roundTrip([NodeID("n-1")]), #"["n-1"]"#)
        XCTAssertEqual(try self.roundTrip([Epoch(42)]), "[42]")
        XCTAssertEqual(try self.roundTrip([UnixMillis(7)]), "[7]")
    }

    func testJobDetailsAndNodeStatusRoundTrip() throws {
        let status = JobStatus(
            state: .running,
            node: "n1",
            attempt: 2,
            epoch: 77,
            exitCode: nil,
            message: "",
            submittedAt: UnixMillis(1_700_000_000_000),
            updatedAt: UnixMillis(1_700_000_000_500)
        )
        let info = JobDetails(id: "j1", spec: JobSpec(command: .argv(["true"])), status: status)
        _ = try self.roundTrip(info)
        XCTAssertEqual(info.summary.status, status)

        let node = NodeStatus(
            descriptor: NodeDescriptor(
                id: "n1",
                address: "127.0.0.1:7400",
                capacity: Resources(cpuMillis: 2000, memoryBytes: 4 << 30),
                labels: ["zone": "a"],
                runtimes: [.exec, .docker],
                version: "0.1.0",
                registeredAt: UnixMillis(1_763_999_000_000)
            ),
            allocated: Resources(cpuMillis: 500, memoryBytes: 1 << 30),
            jobCount: 3,
            drain: NodeDrain(origin: .user, since: UnixMillis(1_764_000_000_000), deadline: UnixMillis(1_764_000_060_000)),
            connected: true
        )
        _ = try self.roundTrip(node)
        XCTAssertEqual(node.free, Resources(cpuMillis: 1500, memoryBytes: 3 << 30))
    }

    func testCommandWithBothKeysIsRejected() {
        let json = Data(#"{"argv":["a"],"script":"b"}"#.utf8)
        XCTAssertThrowsError(try JSONDecoder().decode(JobCommand.self, from: json))
    }
}
