import ArgumentParser
import ClusterModel
import EtcdClient
import Foundation
import LogStream
import TitanClient
import WireProtocol

/// `titan-cli logs JOB`: what an attempt of the job wrote, byte-exact, from the archive in etcd;
/// stdout to stdout and stderr to stderr.
struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a job's output from the archive: its stdout to stdout, its stderr to stderr.")

    @OptionGroup var cluster: ClusterOptions

    @Argument(help: "The job id.")
    var job: String

    @Option(help: "Only this stream: stdout or stderr (default: both).")
    var stream: LogStreamKind?

    @Option(parsing: .unconditional, help: "The attempt to show (default: the job's current or last attempt).")
    var attempt: UInt32?

    @Option(parsing: .unconditional, help: "Only the last N lines (of the streams shown, in the order they were read).")
    var tail: Int?

    @Flag(name: [.short, .long], help: "Then print the output as it is written, until the job ends; exit with the job's exit code.")
    var follow = false

    func validate() throws {
        if let tail, tail < 0 { throw ValidationError("--tail \(tail) is out of range: give a number of lines, 0 or more") }
        if let attempt, !(1...JobSpecLimits.maxAttempts).contains(attempt) {
            throw ValidationError("--attempt \(attempt) is out of range: attempts count from 1 to at most \(JobSpecLimits.maxAttempts)")
        }
        if follow, tail != nil { throw ValidationError("--tail and --follow do not go together: --follow prints everything") }
    }

    func run() async throws {
        let id = JobID(job)
        let details = try await cluster.job(id)
        let last = details.status.attempt
        let attempt = self.attempt ?? last
        guard attempt <= last else {
            throw CLIFailure("job \(id.rawValue) has no attempt \(attempt): its attempts are 1 to \(last)")
        }
        if follow {
            try await LogFollower(cluster: cluster, job: id, attempt: attempt, streams: stream.map { [$0] } ?? [.stdout, .stderr]).run()
            return
        }
        let etcd = EtcdClient(endpoints: try ClusterSettings.etcdEndpoints(flag: cluster.etcd))
        defer { etcd.shutdown() }
        var printer = LogPrinter(streams: stream.map { [$0] } ?? [.stdout, .stderr], tail: tail)
        let cut = try await ArchiveReader(etcd: etcd, job: id, attempt: attempt).read { try printer.take($0) }
        printer.finish()
        if cut > 0 {
            FileHandle.standardError.write(Data("titan-cli: the archive of job \(id.rawValue) attempt \(attempt) reached its cap; \(cut) more bytes of output were cut\n".utf8))
        }
    }
}

extension LogStreamKind: ExpressibleByArgument {}

/// Reads one attempt's archive from etcd, a few batches at a time, and hands out each chunk once,
/// in seq order.
struct ArchiveReader {
    /// Batches per range read: at most 768 KiB each, so a page stays a few MiB.
    static let batchesPerPage: Int64 = 4

    let etcd: EtcdClient
    let job: JobID
    let attempt: UInt32

    /// Calls `body` with every archived chunk in seq order and returns how many output bytes the
    /// cap cut. Batches overlap only after a leader fail-over; a seq seen already is skipped.
    func read(_ body: (LogRecord) throws -> Void) async throws -> UInt64 {
        var cursor = LogArchiveCursor(cutKey: Keys.logCut(of: job, attempt: attempt))
        try await etcd.forEachPage(prefix: Keys.logs(of: job, attempt: attempt), pageSize: Self.batchesPerPage) { page in
            for kv in page.kvs {
                do {
                    for record in try cursor.take(key: kv.keyString, value: kv.value) {
                        try body(record)
                    }
                } catch let error as LogArchiveError {
                    throw CLIFailure("the log archive of job \(job.rawValue) is damaged at \(kv.keyString): \(error)")
                }
            }
        }
        return cursor.cutBytes
    }
}

/// Decompresses chunks and writes them to stdout or stderr, or keeps the last lines for `--tail`.
struct LogPrinter {
    let streams: Set<LogStreamKind>
    let tail: Int?
    /// With `--tail`: every selected chunk, decompressed (bounded by the archive cap).
    private var kept: [(LogStreamKind, [UInt8])] = []

    init(streams: Set<LogStreamKind>, tail: Int?) {
        self.streams = streams
        self.tail = tail
    }

    mutating func take(_ record: LogRecord) throws {
        let kind = record.stream
        guard streams.contains(kind) else { return }
        let bytes: [UInt8]
        do {
            bytes = try LZ4Frame.decompress(record.frame, maxDecompressedSize: Int(record.uncompressedLength))
        } catch {
            throw CLIFailure("chunk \(record.seq) of the log archive does not decompress: \(error)")
        }
        if tail == nil {
            Self.write(kind, bytes[...])
        } else {
            kept.append((kind, bytes))
        }
    }

    /// Writes what `--tail` kept: everything after the N-th newline from the end (a newline that
    /// ends the output closes the last line and is not counted), or all of it when there are
    /// fewer lines.
    mutating func finish() {
        guard let tail, tail > 0 else { return }
        var from = (chunk: 0, offset: 0)
        var newlines = 0
        search: for index in kept.indices.reversed() {
            let bytes = kept[index].1
            for offset in bytes.indices.reversed() where bytes[offset] == UInt8(ascii: "\n") {
                if index == kept.count - 1 && offset == bytes.count - 1 { continue }
                newlines += 1
                if newlines == tail {
                    from = (index, offset + 1)
                    break search
                }
            }
        }
        for index in from.chunk..<kept.count {
            let (kind, bytes) = kept[index]
            Self.write(kind, bytes[(index == from.chunk ? from.offset : 0)...])
        }
    }

    private static func write(_ kind: LogStreamKind, _ bytes: ArraySlice<UInt8>) {
        guard !bytes.isEmpty else { return }
        let handle = kind == .stdout ? FileHandle.standardOutput : FileHandle.standardError
        handle.write(Data(bytes))
    }
}
