import Glibc
import Synchronization

/// Per-job timestamps for `--trace`: where a job waits on its way through titan-load, the leader
/// and a worker (``Stage``). Off unless ``start(file:)`` was called; then each ``mark(_:_:)``
/// costs a clock read and an append under a lock.
///
/// Every process of a traced run writes its own file of lines `<nanoseconds> <stage> <job id>`;
/// the clock is `CLOCK_MONOTONIC`, one clock for every process of the host, so the files of one
/// host can be joined (`titan-load --trace DIR` does). Lines are buffered and written by a
/// background thread every 100 ms, and at once when 1 MiB is buffered; a process that is killed
/// loses at most its last 100 ms.
public enum StageTrace {
    private struct Recorder {
        var descriptor: Int32
        var buffer: [UInt8] = []
    }

    private static let enabled = Atomic<Bool>(false)
    private static let recorder = Mutex<Recorder?>(nil)
    /// Held while a buffer is written: the recorder's lock is never held across disk I/O.
    private static let writing = Mutex<Void>(())
    private static let flushBytes = 1 << 20

    /// Whether this process records marks.
    public static var isOn: Bool { enabled.load(ordering: .relaxed) }

    /// Starts recording to `file` (created or truncated). Throws a sentence naming the file when
    /// it cannot be opened. Calling it again is a mistake and traps.
    public static func start(file: String) throws(TraceFileError) {
        let descriptor = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw TraceFileError(path: file, errno: errno) }
        recorder.withLock { recorder in
            precondition(recorder == nil, "StageTrace.start called twice")
            recorder = Recorder(descriptor: descriptor)
        }
        enabled.store(true, ordering: .relaxed)
        var thread = pthread_t()
        _ = pthread_create(&thread, nil, { _ in
            while true {
                usleep(100_000)
                StageTrace.flush()
            }
        }, nil)
        pthread_detach(thread)
    }

    /// Now on the trace clock, in nanoseconds.
    public static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Records that `job` passed `stage` now (or at `time`, a reading of ``now()``).
    @inline(__always)
    public static func mark(_ stage: Stage, _ job: String, at time: UInt64? = nil) {
        guard enabled.load(ordering: .relaxed) else { return }
        record(stage, job, time ?? now())
    }

    private static func record(_ stage: Stage, _ job: String, _ time: UInt64) {
        let full = recorder.withLock { recorder -> (Int32, [UInt8])? in
            guard recorder != nil else { return nil }
            recorder!.buffer.append(contentsOf: String(time).utf8)
            recorder!.buffer.append(UInt8(ascii: " "))
            recorder!.buffer.append(contentsOf: stage.rawValue.utf8)
            recorder!.buffer.append(UInt8(ascii: " "))
            recorder!.buffer.append(contentsOf: job.utf8)
            recorder!.buffer.append(UInt8(ascii: "\n"))
            guard recorder!.buffer.count >= flushBytes else { return nil }
            return take(&recorder!)
        }
        if let (descriptor, bytes) = full { write(bytes, to: descriptor) }
    }

    /// Writes what is buffered. titan-load calls it before reading the files back.
    public static func flush() {
        guard let (descriptor, bytes) = recorder.withLock({ recorder in recorder != nil ? take(&recorder!) : nil }) else { return }
        write(bytes, to: descriptor)
    }

    private static func take(_ recorder: inout Recorder) -> (Int32, [UInt8]) {
        defer { recorder.buffer = [] }
        return (recorder.descriptor, recorder.buffer)
    }

    /// Whole lines, one buffer at a time (so two buffers never interleave inside a line).
    private static func write(_ buffer: [UInt8], to descriptor: Int32) {
        guard !buffer.isEmpty else { return }
        writing.withLock { _ in
            var offset = 0
            buffer.withUnsafeBytes { bytes in
                while offset < bytes.count {
                    let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { return }  // a full disk ends the trace, not the process
                    offset += written
                }
            }
        }
    }
}

/// A trace file that cannot be opened.
public struct TraceFileError: Error, CustomStringConvertible {
    /// The file.
    public let path: String
    /// Why, as `errno`.
    public let errno: Int32

    /// One sentence naming the file and what to do.
    public var description: String {
        "cannot write the trace file \(path): \(String(cString: strerror(errno))); give --trace a writable directory"
    }
}
