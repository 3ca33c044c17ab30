import Foundation
import Histogram

/// Percentiles of one latency measure, in milliseconds.
public struct LatencySummary: Codable, Sendable {
    /// Samples recorded.
    public var count: UInt64
    /// Median.
    public var p50: Double
    /// 90th percentile.
    public var p90: Double
    /// 99th percentile.
    public var p99: Double
    /// Largest sample.
    public var max: Double

    init(_ histogram: Histogram<UInt64>) {
        count = histogram.totalCount
        func ms(_ micros: UInt64) -> Double { (Double(micros) / 1000 * 1000).rounded() / 1000 }
        p50 = count == 0 ? 0 : ms(histogram.valueAtPercentile(50))
        p90 = count == 0 ? 0 : ms(histogram.valueAtPercentile(90))
        p99 = count == 0 ? 0 : ms(histogram.valueAtPercentile(99))
        max = count == 0 ? 0 : ms(histogram.maxRecorded)
    }
}

/// The figures of a load run; `--json` writes exactly this object (README documents the names).
public struct LoadReport: Codable, Sendable {
    /// Jobs submitted and accepted.
    public var jobs: Int
    /// Jobs refused at submission.
    public var refused: Int
    /// Jobs that ended `succeeded`.
    public var succeeded: Int
    /// Jobs that ended `failed`.
    public var failed: Int
    /// Jobs that ended `lost`.
    public var lost: Int
    /// Jobs that ended `cancelled`.
    public var cancelled: Int
    /// Jobs not final when the run ended (deadline reached).
    public var unfinished: Int
    /// Accepted jobs per second, first send to last acknowledgement.
    public var submitRate: Double
    /// Jobs per second from the first send until the last job was durably `scheduled`.
    public var placementRate: Double
    /// Seconds from the first send until the last job was seen `running` (or beyond).
    public var timeToAllRunningS: Double
    /// Seconds from the first send until the last job was final.
    public var wallS: Double
    /// Latencies: `submit_ack` (send → ack), `dispatch` (durably scheduled → `running`),
    /// `end_to_end` (send → final).
    public var latencyMs: [String: LatencySummary]

    enum CodingKeys: String, CodingKey {
        case jobs, refused, succeeded, failed, lost, cancelled, unfinished
        case submitRate = "submit_rate"
        case placementRate = "placement_rate"
        case timeToAllRunningS = "time_to_all_running_s"
        case wallS = "wall_s"
        case latencyMs = "latency_ms"
    }

    /// The report as people read it.
    public var text: String {
        func f(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
        var lines = [
            "jobs            \(jobs) accepted, \(refused) refused",
            "outcome         \(succeeded) succeeded, \(failed) failed, \(lost) lost, \(cancelled) cancelled, \(unfinished) unfinished",
            "submit rate     \(f(submitRate)) jobs/s",
            "placement rate  \(f(placementRate)) jobs/s (submit → durably scheduled)",
            "all running     \(f(timeToAllRunningS, 2)) s",
            "wall time       \(f(wallS, 2)) s",
            "latency (ms)    p50       p90       p99       max",
        ]
        for name in ["submit_ack", "dispatch", "end_to_end"] {
            guard let summary = latencyMs[name] else { continue }
            let cells = [summary.p50, summary.p90, summary.p99, summary.max].map { f($0, 2).padding(toLength: 10, withPad: " ", startingAt: 0) }
            lines.append("  " + name.padding(toLength: 14, withPad: " ", startingAt: 0) + cells.joined())
        }
        return lines.joined(separator: "\n")
    }
}
