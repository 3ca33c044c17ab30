import ClusterModel
import Foundation
import Placement

/// Renders rows as an aligned text table, the header first.
func table(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for row in rows {
        for (index, cell) in row.enumerated() where index < widths.count {
            widths[index] = max(widths[index], cell.count)
        }
    }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n")
}

/// Pretty, key-sorted JSON of any encodable value.
func json(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// `12s`, `3m04s`, `2h05m` since a timestamp.
func age(since millis: UnixMillis, now: Date = Date()) -> String {
    span(seconds: max(0, Int(now.timeIntervalSince1970) - Int(millis.rawValue / 1000)))
}

/// How long until `millis`, rounded up to a second: `8s`, `4m05s` (`0s` when it is past).
func timeUntil(_ millis: UnixMillis, now: Date = Date()) -> String {
    let left = Int64(clamping: millis.rawValue) - Int64(now.timeIntervalSince1970 * 1000)
    return span(seconds: Int(max(0, (left + 999) / 1000)))
}

/// `42s`, `3m07s`, `2h05m`.
func span(seconds: Int) -> String {
    if seconds < 60 { return "\(seconds)s" }
    if seconds < 3600 { return "\(seconds / 60)m\(String(format: "%02d", seconds % 60))s" }
    return "\(seconds / 3600)h\(String(format: "%02d", (seconds % 3600) / 60))m"
}

/// `250m` CPU and `64Mi` memory, as the user typed them.
func describe(_ resources: Resources) -> (cpu: String, memory: String) {
    ("\(resources.cpuMillis)m", Quantity.bytes(resources.memoryBytes))
}

/// The command of a job in one line.
func describe(_ command: JobCommand) -> String {
    switch command {
    case let .argv(argv): return argv.joined(separator: " ")
    case let .script(script): return "sh -c '\(script.replacingOccurrences(of: "\n", with: "; "))'"
    }
}
