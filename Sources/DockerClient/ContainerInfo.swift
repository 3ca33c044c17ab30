import Foundation

/// What `inspectContainer` tells about one container: its state, its limits and its labels.
public struct ContainerDetails: Sendable, Equatable {
    /// The full container id.
    public var id: String
    /// The name, without the engine's leading `/`.
    public var name: String
    /// The image reference it was created from.
    public var image: String
    /// Its labels.
    public var labels: [String: String]
    /// Where it is in its life.
    public var state: ContainerState
    /// The CPU limit in billionths of a CPU; 0 when unlimited.
    public var nanoCPUs: Int64
    /// The memory limit in bytes; 0 when unlimited.
    public var memoryBytes: Int64
    /// The network mode (`none`, `host`, …).
    public var networkMode: String
    /// The log driver (`local`, `json-file`, …).
    public var logDriver: String
}

/// A container's `State`, as the engine reports it.
public struct ContainerState: Sendable, Equatable {
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    public var status: String
    /// True while its process runs.
    public var running: Bool
    /// The exit code of the last run; 0 before the first, 137 after a SIGKILL.
    public var exitCode: Int
    /// True when the kernel's OOM killer ended it for exceeding its memory limit.
    public var oomKilled: Bool
    /// The engine's error for a run that could not start (e.g. the command was not found).
    public var error: String
    /// When it last started; `nil` if it never has.
    public var startedAt: Date?
    /// When it last stopped; `nil` if it never has.
    public var finishedAt: Date?
}

/// One entry of `listContainers`.
public struct ContainerSummary: Sendable, Equatable {
    /// The full container id.
    public var id: String
    /// Its names, without the engine's leading `/`.
    public var names: [String]
    /// The image reference it was created from.
    public var image: String
    /// Its labels.
    public var labels: [String: String]
    /// The state word: `created`, `running`, `exited`, …
    public var state: String
    /// The engine's human status, e.g. `Exited (137) 14 seconds ago`.
    public var status: String
}

/// The engine's JSON for an inspect, decoded as loosely as the engine writes it
/// (`null` lists and maps are common).
struct InspectAnswer: Decodable {
    struct ConfigPart: Decodable {
        var Image: String?
        var Labels: [String: String]?
    }
    struct StatePart: Decodable {
        var Status: String
        var Running: Bool
        var ExitCode: Int
        var OOMKilled: Bool
        var Error: String?
        var StartedAt: String?
        var FinishedAt: String?
    }
    struct HostPart: Decodable {
        var NanoCpus: Int64?
        var Memory: Int64?
        var NetworkMode: String?
        var LogConfig: LogPart?
    }
    struct LogPart: Decodable {
        var `Type`: String?
    }

    var Id: String
    var Name: String
    var Config: ConfigPart?
    var State: StatePart
    var HostConfig: HostPart?

    var details: ContainerDetails {
        ContainerDetails(
            id: Id,
            name: Name.hasPrefix("/") ? String(Name.dropFirst()) : Name,
            image: Config?.Image ?? "",
            labels: Config?.Labels ?? [:],
            state: ContainerState(
                status: State.Status,
                running: State.Running,
                exitCode: State.ExitCode,
                oomKilled: State.OOMKilled,
                error: State.Error ?? "",
                startedAt: State.StartedAt.flatMap(dockerTimestamp),
                finishedAt: State.FinishedAt.flatMap(dockerTimestamp)
            ),
            nanoCPUs: HostConfig?.NanoCpus ?? 0,
            memoryBytes: HostConfig?.Memory ?? 0,
            networkMode: HostConfig?.NetworkMode ?? "",
            logDriver: HostConfig?.LogConfig?.Type ?? ""
        )
    }
}

/// The engine's JSON for one entry of a list.
struct SummaryAnswer: Decodable {
    var Id: String
    var Names: [String]?
    var Image: String?
    var Labels: [String: String]?
    var State: String?
    var Status: String?

    var summary: ContainerSummary {
        ContainerSummary(
            id: Id,
            names: (Names ?? []).map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 },
            image: Image ?? "",
            labels: Labels ?? [:],
            state: State ?? "",
            status: Status ?? ""
        )
    }
}

/// Parses the engine's RFC 3339 UTC timestamps with up to nanosecond precision
/// (`2026-11-29T00:58:38.132736064Z`). The engine's "never" (`0001-01-01T00:00:00Z`) and
/// anything unparsable are `nil`.
func dockerTimestamp(_ text: String) -> Date? {
    let bytes = Array(text.utf8)
    guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
    func number(_ range: Range<Int>) -> Int? {
        var value = 0
        for byte in bytes[range] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
    guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
          let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
          year > 1
    else { return nil }
    var fraction = 0.0
    if bytes[19] == UInt8(ascii: "."), bytes.count > 21 {
        guard let digits = number(20..<(bytes.count - 1)) else { return nil }
        fraction = Double(digits) / pow(10, Double(bytes.count - 21))
    }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    return calendar.date(from: components).map { $0.addingTimeInterval(fraction) }
}
