import ArgumentParser
import Logging
import StageTrace

/// The log and trace flags every daemon takes (`titan-master`, `titan-worker`).
public struct DaemonLogOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    public var logLevel = "info"

    @Option(help: "Log line format: text (for a person), logfmt or json (one object per line, for log shippers).")
    public var logFormat = "text"

    @Option(help: "Write per-job stage timestamps to this file, for titan-load --trace (a diagnosis aid; off by default).")
    public var traceFile: String?

    /// Creates the defaults (argument parsing fills them in).
    public init() {}

    /// The level and format, or a sentence naming the bad value.
    public func validated() throws -> (level: Logger.Level, format: LogFormat) {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level '\(logLevel)' is unknown: use trace, debug, info, notice, warning or error")
        }
        guard let format = LogFormat(rawValue: logFormat) else {
            throw ValidationError("--log-format '\(logFormat)' is unknown: use text, logfmt or json")
        }
        return (level, format)
    }

    /// Starts the stage trace when `--trace-file` was given; a file that cannot be written is a
    /// sentence naming it.
    public func startTrace() throws {
        guard let traceFile else { return }
        do throws(TraceFileError) {
            try StageTrace.start(file: traceFile)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
