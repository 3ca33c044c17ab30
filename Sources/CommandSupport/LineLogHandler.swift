import Glibc
import Logging

/// How a daemon writes its log lines (`--log-format`).
public enum LogFormat: String, CaseIterable, Sendable {
    /// swift-log's own lines, for a person at a terminal (the default).
    case text
    /// `key=value` pairs (logfmt), what Loki, Grafana and `grep` read best.
    case logfmt
    /// One JSON object per line, for log shippers.
    case json
}

/// A log handler that writes one line per event to stderr as logfmt or JSON:
/// `time`, `level`, `logger`, `msg`, then every metadata key sorted (`job.id`, `job.attempt`, …).
/// Each line goes out in one `write` (lines of concurrent tasks interleave only when longer than
/// the pipe's atomic size, 4 KiB).
public struct LineLogHandler: LogHandler {
    /// The metadata every line of this logger carries.
    public var metadata: Logger.Metadata = [:]
    /// The lowest level written.
    public var logLevel: Logger.Level = .info
    private let label: String
    private let format: LogFormat

    /// The handler of a logger named `label`, writing `format` (`.text` is not handled here: use
    /// swift-log's `StreamLogHandler`; it is written as logfmt if given).
    public init(label: String, format: LogFormat) {
        self.label = label
        self.format = format
    }

    /// The handler for `label` in `format`: swift-log's stream handler for `.text`, this one else.
    public static func make(label: String, format: LogFormat, level: Logger.Level) -> any LogHandler {
        var handler: any LogHandler
        switch format {
        case .text: handler = StreamLogHandler.standardError(label: label)
        case .logfmt, .json: handler = LineLogHandler(label: label, format: format)
        }
        handler.logLevel = level
        return handler
    }

    /// One metadata value of this logger.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line.
    public func log(event: LogEvent) {
        var fields: [(String, String)] = [("time", Self.timestamp()), ("level", event.level.rawValue), ("logger", label), ("msg", event.message.description)]
        var merged = event.metadata.map { metadata.merging($0) { $1 } } ?? metadata
        if let error = event.error { merged["error"] = "\(error)" }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            // Metadata never hides a line's own fields: a key named like one gets a `_` suffix.
            fields.append((["time", "level", "logger", "msg"].contains(key) ? key + "_" : key, "\(value)"))
        }
        var text = format == .json ? Self.json(fields) : Self.logfmt(fields)
        text.append("\n")
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }  // stderr is gone: the line is dropped, the daemon goes on
                offset += written
            }
        }
    }

    /// `key=value` pairs; a value with a space, `=`, `"`, `\` or a control character is quoted
    /// and escaped.
    static func logfmt(_ fields: [(String, String)]) -> String {
        fields.map { key, value in
            let plain = !value.isEmpty && !value.unicodeScalars.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.value < 0x20 }
            return key + "=" + (plain ? value : "\"" + escaped(value) + "\"")
        }.joined(separator: " ")
    }

    /// One JSON object; every value a string.
    static func json(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\"\(escaped($0))\":\"\(escaped($1))\"" }.joined(separator: ",") + "}"
    }

    /// `text` with `"`, `\` and control characters escaped as JSON does (logfmt uses the same).
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Now as RFC 3339 in UTC with milliseconds: `2026-12-02T17:12:57.123Z`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = now.tv_nsec / 1_000_000
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }
}
