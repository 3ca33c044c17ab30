import ClusterModel
import Foundation
import XCTest

@testable import MasterCore

final class JobRecordTests: XCTestCase {
    private func roundTrip(_ job: JobDetails, file: StaticString = #filePath, line: UInt = #line) throws {
        let bytes = JobRecord.encode(job)
        XCTAssertEqual(try JSONDecoder().decode(JobDetails.self, from: Data(bytes)), job, file: file, line: line)
        // And it is valid JSON for any reader, not only Swift's.
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(bytes)), file: file, line: line)
    }

    func testAMinimalRecordDecodesToItself() throws {
        let job = JobDetails(
            id: "7f-1",
            spec: JobSpec(command: .argv(["sleep", "5"])),
            status: JobStatus(state: .pending, submittedAt: UnixMillis(1), updatedAt: UnixMillis(2))
        )
        try roundTrip(job)
    }

    /// A record written before the retry budgets and the attempt history existed reads with
    /// their defaults (an upgraded leader restores it).
    func testARecordWithoutTheRetryFieldsDecodesWithTheDefaults() throws {
        let old = #"{"id":"1-1","spec":{"runtime":"exec","command":{"argv":["true"]},"environment":{},"labels":{},"nodeSelector":{},"resources":{"cpuMillis":100,"memoryBytes":1024},"priority":0,"maxAttempts":2,"timeoutSeconds":0,"networkMode":"none"},"status":{"state":"running","node":"w1","attempt":1,"epoch":1,"message":"","submittedAt":1,"updatedAt":2}}"#
        let job = try JobRecord.decode(Array(old.utf8))
        XCTAssertEqual(job.spec.maxNodeLosses, RetryDefaults.maxNodeLosses)
        XCTAssertEqual(job.spec.retryDelaySeconds, RetryDefaults.retryDelaySeconds)
        XCTAssertEqual(job.status.failures, 0)
        XCTAssertNil(job.status.retryAt)
        XCTAssertEqual(job.attempts, [])
    }

    func testEveryFieldAndHostileTextSurvive() throws {
        var spec = JobSpec(
            name: "quote \" backslash \\ newline \n tab \t bell \u{07} é 日本 🚀",
            runtime: .exec,
            image: "registry.local/app:1.2",
            command: .script("echo \"$HOME\"\nexit 3\r\n"),
            environment: ["A": "1", "B": "", "C": "x=y;\u{01}"],
            labels: ["team": "data"],
            nodeSelector: ["zone": "b"],
            resources: Resources(cpuMillis: 1_024_000, memoryBytes: Int64(4) << 40),
            priority: -7,
            maxAttempts: 100,
            timeoutSeconds: 2_592_000,
            networkMode: .host,
            maxNodeLosses: 0,
            retryDelaySeconds: 86_400,
            retryDelayMaxSeconds: 86_400
        )
        let status = JobStatus(
            state: .failed, node: "w-1", attempt: 3, epoch: Epoch(UInt64.max), exitCode: -1,
            message: "line 1\nline 2", submittedAt: UnixMillis(1_795_913_988_598), updatedAt: UnixMillis(UInt64.max),
            failures: 2, nodeLosses: 1, retryAt: UnixMillis(9), startedAt: UnixMillis(UInt64.max)
        )
        let attempts = [
            AttemptRecord(number: 1, node: "w-2", startedAt: nil, endedAt: UnixMillis(5), outcome: .nodeLost, reason: "node \"w-2\" was lost"),
            AttemptRecord(number: 2, node: "w-1", startedAt: UnixMillis(6), endedAt: UnixMillis(7), outcome: .failed, exitCode: -9, reason: "killed\n"),
        ]
        try roundTrip(JobDetails(id: "a-b_c", spec: spec, status: status, attempts: attempts))
        spec.command = .argv([])
        spec.name = nil
        spec.image = nil
        try roundTrip(JobDetails(id: "x", spec: spec, status: JobStatus(state: .running, submittedAt: UnixMillis(0), updatedAt: UnixMillis(0))))
    }
}
