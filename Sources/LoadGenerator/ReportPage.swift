import Foundation

/// The HTML page of `titan-load --report DIR`: the report's figures and three plots drawn as
/// inline SVG (latency CDFs, jobs over time, placement rate over time). One file, no script, no
/// external resource: it opens offline in any browser.
public enum ReportPage {
    /// The page for a run described by `title`.
    public static func html(title: String, report: LoadReport, timelines: [JobTimeline]) -> String {
        let end = timelines.map { $0.final ?? $0.running ?? $0.scheduled ?? $0.acked ?? $0.sent }.max() ?? 0
        var figures = ""
        for (name, summary) in report.latencyMs.sorted(by: { $0.key < $1.key }) where summary.count > 0 {
            figures += "<tr><td>\(escape(name))</td><td>\(summary.count)</td><td>\(number(summary.p50))</td><td>\(number(summary.p90))</td><td>\(number(summary.p99))</td><td>\(number(summary.max))</td></tr>\n"
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>titan-load: \(escape(title))</title>
            <style>
            body { font: 14px system-ui, sans-serif; margin: 2em auto; max-width: 780px; color: #222 }
            h1 { font-size: 1.3em } h2 { font-size: 1.05em; margin-top: 2em }
            table { border-collapse: collapse } td, th { padding: 2px 10px; text-align: right; border-bottom: 1px solid #ddd }
            td:first-child, th:first-child { text-align: left }
            svg text { font: 11px system-ui, sans-serif; fill: #444 }
            </style></head><body>
            <h1>titan-load: \(escape(title))</h1>
            <p>\(report.jobs) jobs accepted, \(report.refused) refused; \(report.succeeded) succeeded, \(report.failed) failed,
            \(report.lost) lost, \(report.cancelled) cancelled, \(report.unfinished) unfinished.
            Submit rate \(number(report.submitRate)) jobs/s, placement rate \(number(report.placementRate)) jobs/s,
            wall time \(number(report.wallS)) s.</p>
            <table><tr><th>latency (ms)</th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>
            \(figures)</table>
            <h2>Latency, cumulative (fraction of jobs at or under each latency)</h2>
            \(latencyCDFs(timelines))
            <h2>Jobs over time</h2>
            \(jobsOverTime(timelines, end: end))
            <h2>Placement rate over time (jobs durably scheduled per second)</h2>
            \(placementRate(timelines, end: end))
            </body></html>

            """
    }

    static func latencyCDFs(_ timelines: [JobTimeline]) -> String {
        func millis(_ pairs: [(Double?, Double?)]) -> [Double] {
            pairs.compactMap { start, end in
                guard let start, let end, end >= start else { return nil }
                return max(0.01, (end - start) * 1000)
            }.sorted()
        }
        let series: [(String, [Double])] = [
            ("submit ack", millis(timelines.map { ($0.sent, $0.acked) })),
            ("dispatch", millis(timelines.map { ($0.scheduled, $0.running) })),
            ("end to end", millis(timelines.map { ($0.sent, $0.final) })),
        ].filter { !$0.1.isEmpty }
        guard let low = series.compactMap({ $0.1.first }).min(), let high = series.compactMap({ $0.1.last }).max() else {
            return "<p>No latencies were measured.</p>"
        }
        var chart = Chart(xLabel: "latency (ms, log scale)", yLabel: "fraction", x: Chart.Axis(low: low, high: max(high, low * 10), log: true), y: Chart.Axis(low: 0, high: 1))
        for (name, values) in series {
            // At most 400 points a curve, at evenly spaced ranks.
            let step = max(1, values.count / 400)
            var points = stride(from: 0, to: values.count, by: step).map { (values[$0], Double($0 + 1) / Double(values.count)) }
            points.append((values[values.count - 1], 1))
            chart.add(name, points)
        }
        return chart.svg
    }

    static func jobsOverTime(_ timelines: [JobTimeline], end: Double) -> String {
        let acked = timelines.compactMap(\.acked).sorted()
        let running = timelines.compactMap(\.running).sorted()
        let final = timelines.compactMap(\.final).sorted()
        // Jobs that ran and ended: a job seen final without being seen running never counted as running.
        let ranAndEnded = timelines.compactMap { $0.running != nil ? $0.final : nil }.sorted()
        var chart = Chart(xLabel: "seconds since the start", yLabel: "jobs", x: Chart.Axis(low: 0, high: max(end, 0.001)), y: Chart.Axis(low: 0, high: Double(max(timelines.count, 1))))
        let samples = (0...300).map { Double($0) / 300 * max(end, 0.001) }
        chart.add("submitted", samples.map { ($0, Double(count(acked, atOrBefore: $0))) })
        chart.add("running", samples.map { ($0, Double(count(running, atOrBefore: $0) - count(ranAndEnded, atOrBefore: $0))) })
        chart.add("final", samples.map { ($0, Double(count(final, atOrBefore: $0))) })
        return chart.svg
    }

    static func placementRate(_ timelines: [JobTimeline], end: Double) -> String {
        let scheduled = timelines.compactMap(\.scheduled)
        guard !scheduled.isEmpty else { return "<p>No job was seen scheduled.</p>" }
        let width = max(0.05, end / 60)
        var bins = [Int](repeating: 0, count: Int((end / width).rounded(.up)) + 1)
        for time in scheduled { bins[min(bins.count - 1, Int(time / width))] += 1 }
        let rates = bins.map { Double($0) / width }
        var chart = Chart(xLabel: "seconds since the start", yLabel: "jobs/s", x: Chart.Axis(low: 0, high: Double(bins.count) * width), y: Chart.Axis(low: 0, high: max(rates.max() ?? 1, 1)))
        chart.add("placed", rates.enumerated().flatMap { index, rate in
            [(Double(index) * width, rate), (Double(index + 1) * width, rate)]
        })
        return chart.svg
    }

    /// How many of the sorted `times` are at or before `time`.
    static func count(_ times: [Double], atOrBefore time: Double) -> Int {
        var low = 0
        var high = times.count
        while low < high {
            let middle = (low + high) / 2
            if times[middle] <= time { low = middle + 1 } else { high = middle }
        }
        return low
    }

    static func number(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : String(format: "%.2f", value)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
