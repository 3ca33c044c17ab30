import ClusterModel
import NIOCore
import XCTest

@testable import WireProtocol

final class RoundTripTests: XCTestCase {
    private func roundTrip(_ message: WireMessage, file: StaticString = #filePath, line: UInt = #line) throws {
        var buffer = ByteBuffer()
        let size = try buffer.writeWireFrame(message)
        XCTAssertEqual(size, buffer.readableBytes, file: file, line: line)
        let outcome = StreamHarness.run(Array(buffer.readableBytesView), split: .whole, verifyHello: false)
        XCTAssertNil(outcome.error, file: file, line: line)
        XCTAssertEqual(outcome.messages, [message], file: file, line: line)
    }

    /// The label selector appended to `ListJobs` (protocol 1.1) is written only when not empty:
    /// a request without one has exactly the bytes it had before, and one with it has them as a
    /// prefix, which a server that predates the selector reads while ignoring the rest.
    func testListJobsWritesItsLabelSelectorOnlyWhenThereIsOne() throws {
        var plain = ByteBuffer()
        _ = try plain.writeWireFrame(.listJobs(ListJobs(correlationID: 3, states: [.running], limit: 10)))
        var selected = ByteBuffer()
        _ = try selected.writeWireFrame(.listJobs(ListJobs(correlationID: 3, states: [.running], limit: 10, labels: ["team": "red"])))
        let plainPayload = Array(plain.readableBytesView.dropFirst(6))
        let selectedPayload = Array(selected.readableBytesView.dropFirst(6))
        XCTAssertEqual(Array(selectedPayload.prefix(plainPayload.count)), plainPayload)
        XCTAssertEqual(selectedPayload.count - plainPayload.count, 2 + 2 + 4 + 2 + 3, "u16 count, then \"team\" and \"red\" as str16")
    }

    private func encodeError(_ message: WireMessage) -> WireError? {
        var buffer = ByteBuffer(bytes: [0xAB])
        do {
            try buffer.writeWireFrame(message)
            return nil
        } catch {
            XCTAssertEqual(Array(buffer.readableBytesView), [0xAB], "a failed encode leaves the buffer as it was")
            return error
        }
    }

    func testEveryCatalogMessage() throws {
        for sample in VectorCatalog.messages {
            try self.roundTrip(sample.message)
        }
    }

    func testCorrelationIDs() {
        let ids = Dictionary(uniqueKeysWithValues: VectorCatalog.messages.map { ($0.message.type, $0.message.correlationID) })
        XCTAssertEqual(ids[.submitJobs], 1)
        XCTAssertEqual(ids[.error], 7)
        for pushed in [WireMessageType.assign, .cancel, .logChunk, .jobEvent, .logEnd, .hello, .ping] {
            XCTAssertEqual(ids[pushed], .some(nil), "\(pushed) carries no correlation id")
        }
    }

    func testValuesAtTheirLimitsRoundTrip() throws {
        let key = String(repeating: "k", count: WireLimits.maxJobLabelKeyBytes)
        let labels = Dictionary(uniqueKeysWithValues: (0..<WireLimits.maxJobLabelCount).map { i in
            (String(key.dropLast(2)) + String(format: "%02d", i), String(repeating: "v", count: WireLimits.maxJobLabelValueBytes))
        })
        // Every field at its bound, except that the selector stays empty: both label maps at
        // their bounds would pass the 1 MiB of the whole record.
        let spec = JobSpec(
            name: String(repeating: "n", count: WireLimits.maxNameBytes),
            runtime: .exec,
            image: String(repeating: "i", count: WireLimits.maxImageBytes),
            command: .script(String(repeating: "s", count: WireLimits.maxScriptBytes)),
            labels: labels,
            resources: Resources(cpuMillis: .max, memoryBytes: .min),
            priority: .min,
            maxAttempts: .max,
            timeoutSeconds: .max,
            networkMode: .host
        )
        let id = JobID(String(repeating: "é", count: WireLimits.maxIDBytes / 2))
        try self.roundTrip(.assign(Assign(jobID: id, attempt: .max, epoch: Epoch(.max), spec: spec)))
        try self.roundTrip(.submitJobs(SubmitJobs(correlationID: .max, jobs: Array(repeating: VectorCatalog.argvSpec, count: 1024))))
        try self.roundTrip(.error(ErrorMessage(correlationID: 0, code: WireErrorCode(rawValue: 999), message: "")))
        try self.roundTrip(.listJobs(ListJobs(correlationID: 0, states: Set(JobState.allCases))))
        try self.roundTrip(.listJobs(ListJobs(correlationID: 9, node: "w1", limit: 5, labels: ["team": "red", "tier": "batch"])))
        try self.roundTrip(
            .logChunk(
                LogChunk(
                    jobID: "j",
                    attempt: 1,
                    stream: .stderr,
                    seq: .max,
                    uncompressedLength: UInt32(WireLimits.maxLogChunkUncompressedBytes),
                    data: ByteBuffer(repeating: 7, count: WireLimits.maxLogChunkDataBytes)
                )
            )
        )
    }

    func testEncoderRefusesValuesAboveTheirLimits() {
        let tooLongName = JobSpec(name: String(repeating: "n", count: 257), command: .argv(["true"]))
        XCTAssertEqual(
            self.encodeError(.submitJobs(SubmitJobs(correlationID: 1, jobs: [tooLongName]))),
            .lengthAboveLimit(field: "JobSpec.name", length: 257, limit: 256)
        )
        XCTAssertEqual(
            self.encodeError(.submitJobs(SubmitJobs(correlationID: 1, jobs: Array(repeating: VectorCatalog.argvSpec, count: 1025)))),
            .countAboveLimit(field: "SubmitJobs.jobs", count: 1025, limit: 1024)
        )
        XCTAssertEqual(
            self.encodeError(.getJob(GetJob(correlationID: 1, jobID: ""))),
            .invalidValue(field: "GetJob.jobID", detail: "identifier is empty")
        )
        XCTAssertEqual(
            self.encodeError(.serverHello(ServerHello(nonce: [1, 2, 3]))),
            .invalidValue(field: "ServerHello.nonce", detail: "3 bytes instead of 32")
        )
        let chunk = LogChunk(jobID: "j", attempt: 1, stream: .stdout, seq: 0, uncompressedLength: 65_537, data: ByteBuffer())
        XCTAssertEqual(self.encodeError(.logChunk(chunk)), .lengthAboveLimit(field: "LogChunk.uncompressedLength", length: 65_537, limit: 65_536))
        let labels = Dictionary(uniqueKeysWithValues: (0..<65).map { ("k\($0)", "v") })
        XCTAssertEqual(
            self.encodeError(.submitJobs(SubmitJobs(correlationID: 1, jobs: [JobSpec(command: .argv([]), labels: labels)]))),
            .countAboveLimit(field: "JobSpec.labels", count: 65, limit: 64)
        )
    }

    /// A peer that predates the retry fields (appended to `JobSpec` and `JobStatus`, README §8)
    /// ends those records earlier: they decode with the defaults.
    func testRecordsWithoutTheAppendedRetryFieldsDecodeWithTheDefaults() throws {
        var status = ByteBuffer()
        try status.writeWireRecord(field: "JobStatus", limit: WireLimits.maxSmallRecordBytes) { (b: inout ByteBuffer) throws(WireError) in
            b.writeWireEnum(JobState.pending)
            try b.writeWireOptional(String?.none) { (_: inout ByteBuffer, _: String) throws(WireError) in }
            b.writeInteger(UInt32(2))
            b.writeInteger(UInt64(2))
            try b.writeWireOptional(Int32?.none) { (_: inout ByteBuffer, _: Int32) throws(WireError) in }
            try b.writeWireString("waiting", field: "JobStatus.message", limit: WireLimits.maxMessageBytes)
            b.writeInteger(UInt64(1_000))
            b.writeInteger(UInt64(2_000))
        }
        var reader = WireReader(status)
        let decoded = try reader.readJobStatus()
        XCTAssertEqual(decoded, JobStatus(state: .pending, attempt: 2, epoch: 2, message: "waiting", submittedAt: UnixMillis(1_000), updatedAt: UnixMillis(2_000)))

        var spec = ByteBuffer()
        try spec.writeWireJobSpec(JobSpec(command: .argv(["true"])))
        // Drop the three appended u32s and shorten the record's length prefix to match.
        let length = spec.getInteger(at: 0, as: UInt32.self)! - 12
        spec.setInteger(length, at: 0)
        spec.moveWriterIndex(to: spec.writerIndex - 12)
        var specReader = WireReader(spec)
        let old = try specReader.readJobSpec()
        XCTAssertEqual(old, JobSpec(command: .argv(["true"])))
        XCTAssertEqual(
            [old.maxNodeLosses, old.retryDelaySeconds, old.retryDelayMaxSeconds],
            [RetryDefaults.maxNodeLosses, RetryDefaults.retryDelaySeconds, RetryDefaults.retryDelayMaxSeconds])
    }

    /// A peer that predates `registeredAt` and `drain` (appended to `NodeStatus`) ends the record
    /// after `connected`: the node's age is unknown, and `draining` alone reads as a user's drain.
    func testANodeStatusWithoutTheAppendedDrainFieldsDecodesFromItsFlag() throws {
        var node = ByteBuffer()
        try node.writeWireNodeStatus(VectorCatalog.node)
        // registeredAt (8) + drain present (1) + origin (1) + since (8) + deadline (8).
        let appended: UInt32 = 26
        node.setInteger(node.getInteger(at: 0, as: UInt32.self)! - appended, at: 0)
        node.moveWriterIndex(to: node.writerIndex - Int(appended))
        var reader = WireReader(node)
        let old = try reader.readNodeStatus()
        XCTAssertNil(old.descriptor.registeredAt)
        XCTAssertEqual(old.drain, NodeDrain(origin: .user, since: UnixMillis(0)))
        XCTAssertTrue(old.draining)
        XCTAssertEqual(old.jobCount, VectorCatalog.node.jobCount)
    }

    func testDrainDurationsAboveThirtyDaysAreRefused() {
        var buffer = ByteBuffer()
        XCTAssertThrowsError(try buffer.writeWireFrame(.stopping(Stopping(timeoutMillis: NodeDrain.maxDeadlineMillis + 1))))
        XCTAssertThrowsError(try buffer.writeWireFrame(.drainNode(DrainNode(correlationID: 1, nodeID: "w1", deadlineMillis: .max))))
        XCTAssertEqual(buffer.readableBytes, 0, "nothing is written for a refused frame")
    }

    func testEncoderRefusesAJobSpecAboveItsRecordLimit() {
        // Each field is within its own limit; together they pass the 1 MiB of a spec record.
        let argv = Array(repeating: String(repeating: "a", count: WireLimits.maxArgBytes), count: 17)
        XCTAssertEqual(
            self.encodeError(.assign(Assign(jobID: "j", attempt: 1, epoch: 1, spec: JobSpec(command: .argv(argv))))),
            .lengthAboveLimit(field: "JobSpec", length: 1_114_233, limit: WireLimits.maxJobSpecBytes)
        )
    }

    func testEncoderRefusesAFrameAboveFourMiB() {
        // 1024 jobs of 8 KiB each are within every per-field bound but make an 8 MiB frame: the
        // sender must split the batch.
        let spec = JobSpec(command: .script(String(repeating: "s", count: 8 << 10)))
        let error = self.encodeError(.submitJobs(SubmitJobs(correlationID: 1, jobs: Array(repeating: spec, count: 1024))))
        XCTAssertEqual(error?.code, .frameTooLarge)
    }

    func testTrailingBytesAreIgnoredInPayloadsAndRecords() throws {
        // A newer peer appends fields: at the end of a payload, and at the end of a record.
        var payload = ByteBuffer()
        try JobEvent(jobID: "j", status: VectorCatalog.failedStatus).encode(into: &payload)
        payload.writeBytes([0xDE, 0xAD])
        var reader = WireReader(payload)
        XCTAssertEqual(try JobEvent(from: &reader).status, VectorCatalog.failedStatus)

        var grown = ByteBuffer()
        try grown.writeWireRecord(field: "JobStatus", limit: 1 << 14) { (b: inout ByteBuffer) throws(WireError) in
            var inner = ByteBuffer()
            try inner.writeWireJobStatus(VectorCatalog.runningStatus)
            inner.moveReaderIndex(forwardBy: 4)  // drop the inner length: re-wrap the fields
            b.writeBuffer(&inner)
            b.writeBytes([1, 2, 3, 4, 5])  // a field from the future
        }
        grown.writeInteger(UInt64(42))  // the field after the record must still line up
        var grownReader = WireReader(grown)
        XCTAssertEqual(try grownReader.readJobStatus(), VectorCatalog.runningStatus)
        XCTAssertEqual(try grownReader.readInteger("next", as: UInt64.self), 42)
    }

    func testErrorMessageFromWireError() {
        let message = ErrorMessage(correlationID: 3, error: .unknownMessageType(0x7777))
        XCTAssertEqual(message.code, .unknownType)
        XCTAssertEqual(message.correlationID, 3)
        XCTAssertTrue(message.message.contains("0x7777"), message.message)
    }

    func testErrorCodeNames() {
        XCTAssertEqual(WireErrorCode.allKnown.map(\.rawValue), Array(1...12))
        XCTAssertEqual(Set(WireErrorCode.allKnown.map(\.name)).count, 12)
        XCTAssertEqual(WireErrorCode(rawValue: 77).name, "code(77)")
        XCTAssertEqual(WireErrorCode.notLeader.description, "notLeader(7)")
        XCTAssertEqual(WireMessageType.submitJobs.description, "0x0101")
        XCTAssertNil(WireMessageType(rawValue: 0x7777).name)
    }
}

/// The wire must carry every spec that `JobSpec.validate()` admits, field by field.
final class AdmissionBoundsTests: XCTestCase {
    func testWireBoundsCoverAdmissionBounds() {
        XCTAssertGreaterThanOrEqual(WireLimits.maxArgvCount, JobSpecLimits.maxArguments)
        XCTAssertGreaterThanOrEqual(WireLimits.maxArgBytes, JobSpecLimits.maxCommandBytes)
        XCTAssertGreaterThanOrEqual(WireLimits.maxScriptBytes, JobSpecLimits.maxCommandBytes)
        XCTAssertGreaterThanOrEqual(WireLimits.maxEnvCount, JobSpecLimits.maxEnvironment)
        XCTAssertGreaterThanOrEqual(WireLimits.maxEnvKeyBytes, JobSpecLimits.maxNameBytes)
        XCTAssertGreaterThanOrEqual(WireLimits.maxEnvValueBytes, JobSpecLimits.maxValueBytes)
        XCTAssertGreaterThanOrEqual(WireLimits.maxJobLabelCount, JobSpecLimits.maxLabels)
        XCTAssertGreaterThanOrEqual(WireLimits.maxJobLabelKeyBytes, JobSpecLimits.maxNameBytes)
        XCTAssertGreaterThanOrEqual(WireLimits.maxJobLabelValueBytes, JobSpecLimits.maxValueBytes)
        XCTAssertGreaterThanOrEqual(WireLimits.maxNameBytes, JobSpecLimits.maxNameBytes)
        XCTAssertGreaterThanOrEqual(WireLimits.maxImageBytes, JobSpecLimits.maxNameBytes)
    }

    func testAnAdmittedSpecWithALongArgumentIsEncodable() throws {
        let spec = JobSpec(runtime: .exec, command: .argv(["echo", String(repeating: "a", count: JobSpecLimits.maxCommandBytes)]))
        XCTAssertNoThrow(try spec.validate())
        var buffer = ByteBuffer()
        XCTAssertNoThrow(try buffer.writeWireFrame(.submitJobs(SubmitJobs(correlationID: 1, jobs: [spec]))))
    }
}
