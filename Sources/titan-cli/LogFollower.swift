import ArgumentParser
import ClusterModel
import Foundation
import LogStream
import TitanClient
import WireProtocol

/// `titan-cli logs --follow`: the attempt's archive, then its live output, through the leader;
/// resumes by seq on a new connection when the leader changes; follows the next attempt when the
/// job runs again; exits with the job's exit code once it is final.
struct LogFollower {
    /// How often a lost connection is retried before giving up.
    static let maxReconnects = 30

    let cluster: ClusterOptions
    let job: JobID
    var attempt: UInt32
    let streams: Set<LogStreamKind>

    private enum Outcome: Sendable {
        case ended(LogEnd)
        case resume(next: UInt64)
    }

    func run() async throws {
        var attempt = self.attempt
        var next: UInt64 = 0
        var reconnects = 0
        while true {
            let outcome: Outcome
            do {
                outcome = try await cluster.withLeader { [job, streams, attempt, next] connection in
                    try await Self.stream(connection, job: job, attempt: attempt, streams: streams, from: next)
                }
            } catch let error where Self.isTransient(error) && reconnects < Self.maxReconnects {
                // The leader went away or none leads for a moment (a fail-over): try again.
                reconnects += 1
                try await Task.sleep(for: .milliseconds(200 * min(reconnects, 10)))
                continue
            }
            switch outcome {
            case let .resume(resumeAt):
                next = resumeAt
                reconnects += 1
                guard reconnects <= Self.maxReconnects else {
                    throw CLIFailure("lost the connection to the leader \(reconnects) times while following job \(job.rawValue): try again")
                }
                try await Task.sleep(for: .milliseconds(200))
            case let .ended(end) where !end.finalState.isFinal:
                FileHandle.standardError.write(Data("titan-cli: attempt \(attempt) of job \(job.rawValue) ended; following attempt \(attempt + 1)\n".utf8))
                attempt += 1
                next = 0
            case let .ended(end):
                try Self.exit(for: end, job: job)
            }
        }
    }

    /// One connection's worth: subscribe from `from`, print chunks, return at `LogEnd` or with
    /// where to resume when the connection ends or the leader says the follower fell behind.
    private static func stream(
        _ connection: TitanConnection, job: JobID, attempt: UInt32, streams: Set<LogStreamKind>, from: UInt64
    ) async throws -> Outcome {
        try await connection.followLogs(job, attempt: attempt, streams: streams, fromSeq: from)
        var next = from
        for await push in connection.pushes {
            switch push {
            case let .logChunk(chunk) where chunk.jobID == job && chunk.attempt == attempt && chunk.seq >= next:
                let bytes: [UInt8]
                do {
                    bytes = try LZ4Frame.decompress(Array(chunk.data.readableBytesView), maxDecompressedSize: Int(chunk.uncompressedLength))
                } catch {
                    throw CLIFailure("chunk \(chunk.seq) of job \(job.rawValue) does not decompress: \(error)")
                }
                (chunk.stream == .stdout ? FileHandle.standardOutput : FileHandle.standardError).write(Data(bytes))
                next = chunk.seq + 1
            case let .logEnd(end) where end.jobID == job && end.attempt == attempt:
                return .ended(end)
            case let .error(error) where error.correlationID == 0 && error.code == .unavailable:
                return .resume(next: next)
            default:
                continue
            }
        }
        return .resume(next: next)
    }

    /// Whether `error` may pass with a new leader: anything but a refusal of the request itself.
    private static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case is CLIFailure, is ExitCode, is CancellationError: return false
        case TitanClientError.authenticationFailed, TitanClientError.server, TitanClientError.protocolViolation, TitanClientError.badAddress:
            return false
        default: return true
        }
    }

    /// Ends the program as the job ended: its own exit code, or 1 with a sentence.
    private static func exit(for end: LogEnd, job: JobID) throws -> Never {
        switch end.finalState {
        case .succeeded:
            throw ExitCode(0)
        case .failed:
            let code = end.exitCode ?? 1
            throw ExitCode((1...255).contains(code) ? code : 1)
        case .lost:
            throw CLIFailure("job \(job.rawValue) was lost: see titan-cli status \(job.rawValue)")
        case .cancelled:
            throw CLIFailure("job \(job.rawValue) was cancelled")
        case .pending, .scheduled, .running:
            throw CLIFailure("job \(job.rawValue) ended in state \(end.finalState.rawValue)")
        }
    }
}
