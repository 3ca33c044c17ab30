import Foundation
import StageTrace

/// Where jobs waited in a traced run: the files every process of the run wrote with
/// ``StageTrace`` (one directory), joined by job id, as the spans between two stages.
public struct TraceAnalysis: Sendable {
    /// One span between two stages, over every job that passed both.
    public struct Span: Sendable {
        /// What the span is, for a person.
        public let name: String
        /// Jobs that passed both stages.
        public let count: Int
        /// Median, 99th percentile and maximum, in milliseconds.
        public let p50: Double, p99: Double, max: Double
    }

    /// The spans, in the order a job passes them.
    public let spans: [Span]
    /// Jobs seen in the trace files.
    public let jobs: Int

    /// The spans reported, each from one stage to a later one.
    static let spanDefinitions: [(String, Stage, Stage)] = [
        ("submit → placed on the leader", .submitSent, .placed),
        ("placed → scheduled durable (commit)", .placed, .scheduledDurable),
        ("scheduled durable → submit answer at titan-load", .scheduledDurable, .submitAcked),
        ("scheduled durable → Assign written", .scheduledDurable, .assignWritten),
        ("Assign written → received by the worker", .assignWritten, .assignReceived),
        ("Assign received → process started", .assignReceived, .processStarted),
        ("process started → Started written", .processStarted, .startedWritten),
        ("Started written → received by the leader", .startedWritten, .startedReceived),
        ("Started received → running durable (commit)", .startedReceived, .runningDurable),
        ("running durable → event at titan-load", .runningDurable, .runningEvent),
        ("DISPATCH, leader: scheduled durable → running durable", .scheduledDurable, .runningDurable),
        ("DISPATCH, titan-load: scheduled event → running event", .scheduledEvent, .runningEvent),
        ("process started → exited", .processStarted, .processExited),
        ("process exited → Exited received by the leader", .processExited, .exitedReceived),
        ("Exited received → final durable (commit)", .exitedReceived, .finalDurable),
        ("final durable → event at titan-load", .finalDurable, .finalEvent),
    ]

    /// Reads every `*.trace` file in `directory`. Throws a sentence naming a file it cannot read.
    public init(directory: String) throws {
        var times: [Substring: [Stage: UInt64]] = [:]
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".trace") }
        for name in names {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path])
            }
            let text = String(decoding: data, as: UTF8.self)
            // A daemon may be writing as this reads: only whole lines count.
            let complete = text.hasSuffix("\n") ? Substring(text) : text[..<(text.lastIndex(of: "\n") ?? text.startIndex)]
            for line in complete.split(separator: "\n") {
                let fields = line.split(separator: " ", maxSplits: 2)
                guard fields.count == 3, let time = UInt64(fields[0]), let stage = Stage(rawValue: String(fields[1])) else { continue }
                // The first time a job passes a stage (a retried job passes it again).
                if times[fields[2], default: [:]][stage] == nil {
                    times[fields[2], default: [:]][stage] = time
                }
            }
        }
        jobs = times.count
        spans = Self.spanDefinitions.map { name, from, to in
            var millis: [Double] = []
            for stages in times.values {
                guard let start = stages[from], let end = stages[to] else { continue }
                millis.append(end >= start ? Double(end - start) / 1e6 : -Double(start - end) / 1e6)
            }
            millis.sort()
            func percentile(_ p: Double) -> Double {
                millis.isEmpty ? 0 : millis[min(millis.count - 1, Int((Double(millis.count) * p).rounded(.up)) - 1)]
            }
            return Span(name: name, count: millis.count, p50: percentile(0.5), p99: percentile(0.99), max: millis.last ?? 0)
        }
    }

    /// The table printed by `titan-load --trace`.
    public var table: String {
        var lines = ["trace of \(jobs) jobs (ms)                                      jobs       p50       p99       max"]
        for span in spans where span.count > 0 {
            let name = span.name.padding(toLength: 56, withPad: " ", startingAt: 0)
            lines.append(name + [String(span.count), format(span.p50), format(span.p99), format(span.max)].map { $0.leftPadded(to: 10) }.joined())
        }
        return lines.joined(separator: "\n")
    }

    private func format(_ value: Double) -> String {
        String(format: "%.2f", value)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
