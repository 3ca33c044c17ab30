import ClusterModel
import Foundation
import HTTPServing
import LogStream
import TitanClient
import WireProtocol

/// The live parts of the UI as server-sent events, each fed by a subscription to the leader
/// (`WatchJobs`, `FollowLogs`) that lives exactly as long as the browser's connection.
extension WebUI {
    /// `/api/events`: one `job` event (`{"id":…,"status":{…}}`) per change of any job. When the
    /// leader's connection ends (a fail-over) the stream ends; the browser reconnects on its own.
    func jobEvents(leader: LeaderView) -> HTTPResponse {
        .eventStream { writer in
            try await withLeader(leader) { connection in
                try await connection.watchJobs()
                try await writer.send(ServerSentEvent(name: "ready", data: "{}"))
                for await push in connection.pushes {
                    guard case let .jobEvent(event) = push else { continue }
                    try await writer.send(ServerSentEvent(name: "job", data: Self.encodeLine(JobChange(id: event.jobID.rawValue, status: event.status))))
                }
            }
        }
    }

    /// `/api/jobs/ID/log?attempt=N`: the attempt's output from its start (or from the browser's
    /// `Last-Event-ID` when it reconnects), archived then live, as `chunk` events whose id is the
    /// next seq; then one `end` event (`{"state":…,"exitCode":…}`).
    func logStream(_ job: JobID, request: HTTPRequest, leader: LeaderView) -> HTTPResponse {
        guard let attempt = request.query["attempt"].flatMap({ UInt32($0) }), attempt >= 1 else {
            return .text("attempt '\(request.query["attempt"] ?? "")' is not an attempt number (1 or more)\n", status: 400)
        }
        let from = request.header("Last-Event-ID").flatMap { UInt64($0) } ?? 0
        return .eventStream { writer in
            try await withLeader(leader) { connection in
                try await connection.followLogs(job, attempt: attempt, streams: [.stdout, .stderr], fromSeq: from)
                var next = from
                for await push in connection.pushes {
                    switch push {
                    case let .logChunk(chunk) where chunk.jobID == job && chunk.attempt == attempt && chunk.seq >= next:
                        let bytes = (try? LZ4Frame.decompress(Array(chunk.data.readableBytesView), maxDecompressedSize: Int(chunk.uncompressedLength)))
                            ?? Array("[chunk \(chunk.seq) does not decompress]\n".utf8)
                        next = chunk.seq + 1
                        let piece = LogPiece(stream: chunk.stream.rawValue, text: String(decoding: bytes, as: UTF8.self))
                        try await writer.send(ServerSentEvent(name: "chunk", data: Self.encodeLine(piece), id: String(next)))
                    case let .logEnd(end) where end.jobID == job && end.attempt == attempt:
                        let ending = LogEnding(state: end.finalState.rawValue, exitCode: end.exitCode, final: end.finalState.isFinal)
                        try await writer.send(ServerSentEvent(name: "end", data: Self.encodeLine(ending)))
                        return
                    default:
                        continue
                    }
                }
            }
        }
    }

    /// One line of JSON (an SSE `data:` line holds no newline: JSON escapes those in strings).
    static func encodeLine(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// A job's new status, as `/api/events` sends it.
struct JobChange: Encodable {
    var id: String
    var status: JobStatus
}

/// A piece of output: which stream, and its text (invalid UTF-8 shown as U+FFFD).
struct LogPiece: Encodable {
    var stream: String
    var text: String
}

/// How an attempt ended; `final` is false when the job will run again (the page follows the
/// next attempt).
struct LogEnding: Encodable {
    var state: String
    var exitCode: Int32?
    var final: Bool
}
