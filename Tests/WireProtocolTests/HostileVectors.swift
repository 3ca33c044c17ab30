import ClusterModel
import NIOCore

@testable import WireProtocol

/// A stream a receiver must refuse, and exactly how.
struct HostileVector {
    /// The vector's file name in `Protocol/vectors/`.
    var file: String
    /// What the stream is, for the file's header comment.
    var summary: String
    /// The error the receiver must produce first.
    var expected: WireError
    /// The stream, as annotated pieces.
    var segments: [(bytes: [UInt8], comment: String)]

    var bytes: [UInt8] { self.segments.flatMap(\.bytes) }
}

/// Builders for hand-made bytes.
enum Bytes {
    static func u16(_ value: UInt16) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }
    static func u32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }
    static func u64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }
    static func str16(_ string: String) -> [UInt8] { u16(UInt16(string.utf8.count)) + Array(string.utf8) }
    static func str32(_ string: String) -> [UInt8] { u32(UInt32(string.utf8.count)) + Array(string.utf8) }

    /// A frame header for `payloadBytes` bytes of payload.
    static func header(_ type: WireMessageType, payloadBytes: Int) -> [(bytes: [UInt8], comment: String)] {
        [
            (u32(UInt32(payloadBytes + 2)), "frame length = \(payloadBytes + 2) (type + payload)"),
            (u16(type.rawValue), "type = \(type) \(type.name ?? "(unknown)")"),
        ]
    }
}

extension VectorCatalog {
    /// A real `Hello` frame from the encoder, with its trace, for the handshake vectors.
    private static func helloSegments(_ hello: Hello) -> [(bytes: [UInt8], comment: String)] {
        VectorFile.annotatedSegments(of: .hello(hello))
    }

    /// Every hostile vector.
    static let hostile: [HostileVector] = {
        var vectors: [HostileVector] = []
        func add(_ file: String, _ summary: String, _ expected: WireError, _ segments: [(bytes: [UInt8], comment: String)]) {
            vectors.append(HostileVector(file: file, summary: summary, expected: expected, segments: segments))
        }
        let jobID = "j-000001"

        add(
            "bad-truncated-frame.hex",
            "The stream ends inside a Ping frame: 10 bytes of a 12-byte frame, then end of stream.",
            .truncatedFrame(bufferedBytes: 10),
            Bytes.header(.ping, payloadBytes: 8) + [([0x01, 0x02, 0x03, 0x04], "first 4 of the 8 token bytes; then end of stream")]
        )
        add(
            "bad-oversize-length.hex",
            "A length one byte above the 4 MiB maximum: refused when the header is read, before any payload arrives.",
            .frameTooLarge(length: 4_194_305, limit: 4_194_304),
            [(Bytes.u32(4_194_305), "frame length = 4194305 = 4 MiB + 1"), (Bytes.u16(0x0101), "type = 0x0101 SubmitJobs")]
        )
        add(
            "bad-garbage.hex",
            "An HTTP request sent to the Titan port: its first 4 bytes read as a length of 1195725856.",
            .frameTooLarge(length: 0x4745_5420, limit: 4_194_304),
            [(Array("GET / HTTP/1.1\r\nHost: titan\r\n\r\n".utf8), "\"GET / HTTP/1.1\\r\\nHost: titan\\r\\n\\r\\n\"")]
        )
        add(
            "bad-length-below-type.hex",
            "A length of 1: too short to hold the 2-byte message type.",
            .frameTooShort(length: 1),
            [(Bytes.u32(1), "frame length = 1 (below 2)"), ([0x00], "one byte")]
        )
        add(
            "bad-unknown-type.hex",
            "A well-delimited frame of type 0x7777, unknown in v1: a server answers Error(unknownType) echoing the first 8 payload bytes and keeps the connection.",
            .unknownMessageType(0x7777),
            Bytes.header(WireMessageType(rawValue: 0x7777), payloadBytes: 8) + [(Bytes.u64(9), "correlation id = 9 (by convention)")]
        )
        add(
            "bad-hello-version.hex",
            "A real Hello (valid MAC) announcing protocol version 2: the server answers Error(unsupportedVersion) and closes.",
            .unsupportedVersion(2),
            helloSegments(
                Hello(
                    version: 2,
                    role: .worker,
                    nodeID: "worker-1",
                    mac: HandshakeAuth.mac(token: token, nonce: nonce, role: .worker, nodeID: "worker-1")
                )
            )
        )
        add(
            "bad-hello-mac.hex",
            "A real Hello whose MAC was computed with the token `wrong-token`: the server answers Error(authFailed) and closes.",
            .authenticationFailed,
            helloSegments(
                Hello(
                    version: 1,
                    role: .client,
                    nodeID: "titan-cli",
                    mac: HandshakeAuth.mac(token: Array("wrong-token".utf8), nonce: nonce, role: .client, nodeID: "titan-cli")
                )
            )
        )
        add(
            "bad-string-past-end.hex",
            "A GetJob whose job id announces 64 bytes but the payload holds only 8 more.",
            .truncatedPayload(field: "GetJob.jobID"),
            Bytes.header(.getJob, payloadBytes: 8 + 2 + 8) + [
                (Bytes.u64(2), "GetJob.correlationID = 2"),
                (Bytes.u16(64), "GetJob.jobID length = 64 (only 8 bytes follow)"),
                (Array(jobID.utf8), "\"\(jobID)\""),
            ]
        )
        add(
            "bad-string-above-limit.hex",
            "A GetJob whose job id is 200 bytes long, above the 128-byte limit of identifiers.",
            .lengthAboveLimit(field: "GetJob.jobID", length: 200, limit: 128),
            Bytes.header(.getJob, payloadBytes: 8 + 2 + 200) + [
                (Bytes.u64(2), "GetJob.correlationID = 2"),
                (Bytes.u16(200), "GetJob.jobID length = 200 (limit 128)"),
                (Array(repeating: UInt8(ascii: "a"), count: 200), "200 × \"a\""),
            ]
        )
        add(
            "bad-count-above-max.hex",
            "A SubmitJobs announcing 1025 jobs, above the batch limit of 1024: refused before any job is read.",
            .countAboveLimit(field: "SubmitJobs.jobs", count: 1025, limit: 1024),
            Bytes.header(.submitJobs, payloadBytes: 8 + 2) + [
                (Bytes.u64(1), "SubmitJobs.correlationID = 1"),
                (Bytes.u16(1025), "SubmitJobs.jobs count = 1025 (limit 1024)"),
            ]
        )
        add(
            "bad-invalid-utf8.hex",
            "A GetJob whose job id is the bytes C3 28, which are not UTF-8.",
            .invalidUTF8(field: "GetJob.jobID"),
            Bytes.header(.getJob, payloadBytes: 8 + 2 + 2) + [
                (Bytes.u64(2), "GetJob.correlationID = 2"),
                (Bytes.u16(2), "GetJob.jobID length = 2"),
                ([0xC3, 0x28], "C3 28: a lead byte followed by a non-continuation byte"),
            ]
        )
        add(
            "bad-enum-value.hex",
            "A CancelResult whose state byte is 9; job states are 1 to 7.",
            .invalidValue(field: "CancelResult.state", detail: "unknown code 9"),
            Bytes.header(.cancelResult, payloadBytes: 8 + 10 + 1 + 1) + [
                (Bytes.u64(4), "CancelResult.correlationID = 4"),
                (Bytes.str16(jobID), "CancelResult.jobID = \"\(jobID)\""),
                ([1], "CancelResult.outcome = 1 (cancelled)"),
                ([9], "CancelResult.state = 9 (no such state)"),
            ]
        )
        add(
            "bad-bool-value.hex",
            "An Exited whose oomKilled byte is 2; booleans are 0 or 1.",
            .invalidValue(field: "Exited.oomKilled", detail: "boolean byte 2 is neither 0 nor 1"),
            Bytes.header(.exited, payloadBytes: 10 + 8 + 4 + 1 + 2) + [
                (Bytes.str16(jobID), "Exited.jobID = \"\(jobID)\""),
                (Bytes.u64(1), "Exited.epoch = 1"),
                (Bytes.u32(0), "Exited.exitCode = 0"),
                ([2], "Exited.oomKilled = 2 (not a boolean)"),
                (Bytes.u16(0), "Exited.reason length = 0"),
            ]
        )
        add(
            "bad-drain-deadline-above-limit.hex",
            "A DrainNode whose deadline is 30 days + 1 ms, above the bound of 2592000000 ms.",
            .invalidValue(field: "DrainNode.deadlineMillis", detail: "2592000001 ms is above 2592000000 (30 days)"),
            Bytes.header(.drainNode, payloadBytes: 8 + 4 + 1 + 8) + [
                (Bytes.u64(1), "DrainNode.correlationID = 1"),
                (Bytes.str16("w1"), "DrainNode.nodeID = \"w1\""),
                ([1], "DrainNode.deadlineMillis present = 1"),
                (Bytes.u64(2_592_000_001), "DrainNode.deadlineMillis = 2592000001 (30 days + 1 ms)"),
            ]
        )
        add(
            "bad-payload-short.hex",
            "A complete Ping frame whose payload has 4 bytes; the token needs 8.",
            .truncatedPayload(field: "Ping.token"),
            Bytes.header(.ping, payloadBytes: 4) + [([0, 0, 0, 1], "4 bytes of an 8-byte token")]
        )
        add(
            "bad-log-data-above-limit.hex",
            "A LogChunk announcing 1 MiB of LZ4 data, above the 66560-byte limit: refused before the data is awaited or reserved.",
            .lengthAboveLimit(field: "LogChunk.data", length: 1 << 20, limit: 66_560),
            Bytes.header(.logChunk, payloadBytes: 10 + 4 + 1 + 8 + 4 + 4) + [
                (Bytes.str16(jobID), "LogChunk.jobID = \"\(jobID)\""),
                (Bytes.u32(1), "LogChunk.attempt = 1"),
                ([1], "LogChunk.stream = 1 (stdout)"),
                (Bytes.u64(0), "LogChunk.seq = 0"),
                (Bytes.u32(65_536), "LogChunk.uncompressedLength = 65536"),
                (Bytes.u32(1 << 20), "LogChunk.data length = 1048576 (limit 66560)"),
            ]
        )
        let record: [(bytes: [UInt8], comment: String)] = [
            ([0], "JobSpec.name present = 0"),
            ([1], "JobSpec.runtime = 1 (exec)"),
            ([0], "JobSpec.image present = 0"),
            ([1], "JobSpec.command = 1 (argv)"),
            (Bytes.u16(1), "JobSpec.argv count = 1"),
            (Bytes.str32("true"), "JobSpec.argv[] = \"true\" (u32 length)"),
            (Bytes.u16(2), "JobSpec.environment count = 2"),
            (Bytes.str16("B"), "JobSpec.environment.key = \"B\""),
            (Bytes.str16("1"), "JobSpec.environment.value = \"1\""),
            (Bytes.str16("A"), "JobSpec.environment.key = \"A\": not after \"B\""),
            (Bytes.str16("2"), "JobSpec.environment.value = \"2\""),
        ]
        let recordLength = record.reduce(0) { $0 + $1.bytes.count }
        add(
            "bad-map-order.hex",
            "A SubmitJobs whose job has environment keys out of order (B before A): maps have one encoding, keys strictly ascending.",
            .invalidValue(field: "JobSpec.environment", detail: "key \"A\" is not after \"B\""),
            Bytes.header(.submitJobs, payloadBytes: 8 + 2 + 4 + recordLength) + [
                (Bytes.u64(1), "SubmitJobs.correlationID = 1"),
                (Bytes.u16(1), "SubmitJobs.jobs count = 1"),
                (Bytes.u32(UInt32(recordLength)), "JobSpec length = \(recordLength) (the record is cut after the bad map)"),
            ] + record
        )
        return vectors
    }()
}
