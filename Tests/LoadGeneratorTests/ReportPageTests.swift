import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

@testable import LoadGenerator

/// The page of `titan-load --report`: well-formed, every plot drawn from the run's own numbers.
final class ReportPageTests: XCTestCase {
    /// 100 jobs: sent at 0.01 s steps, acknowledged 5 ms later, scheduled 10 ms after sending,
    /// running 20 ms after that, final 1 s after sending.
    private let timelines = (0..<100).map { index -> JobTimeline in
        let sent = Double(index) / 100
        return JobTimeline(sent: sent, acked: sent + 0.005, scheduled: sent + 0.01, running: sent + 0.03, final: sent + 1)
    }

    func testThePageIsWellFormedAndHoldsThreePlotsWithEverySeries() throws {
        let report = LoadReport(
            jobs: 100, refused: 0, succeeded: 100, failed: 0, lost: 0, cancelled: 0, unfinished: 0, submitRate: 100,
            placementRate: 100, timeToAllRunningS: 1.02, wallS: 1.99, latencyMs: [:])
        let html = ReportPage.html(title: "100 jobs <&>", report: report, timelines: timelines)
        XCTAssertTrue(html.contains("100 jobs &lt;&amp;&gt;"), "the title is escaped")
        let svgs = html.components(separatedBy: "<svg ").dropFirst().map { "<svg " + $0.components(separatedBy: "</svg>")[0] + "</svg>" }
        XCTAssertEqual(svgs.count, 3)
        for svg in svgs {
            XCTAssertTrue(XMLParser(data: Data(svg.utf8)).parse(), "not well-formed: \(svg.prefix(300))")
        }
        for name in ["submit ack", "dispatch", "end to end", "submitted", "running", "final", "placed"] {
            XCTAssertTrue(html.contains("data-name=\"\(name)\""), "series \(name)")
        }
    }

    func testTheCDFEndsAtOneAndTheCountsFollowTheJobs() {
        XCTAssertEqual(ReportPage.count([1, 2, 2, 3], atOrBefore: 2), 3)
        XCTAssertEqual(ReportPage.count([1, 2, 2, 3], atOrBefore: 0.5), 0)
        XCTAssertEqual(ReportPage.count([1, 2, 2, 3], atOrBefore: 9), 4)
        // Every dispatch is 20 ms: the dispatch curve is a vertical step at 20 ms, reaching 1.
        let svg = ReportPage.latencyCDFs(timelines)
        let dispatch = svg.components(separatedBy: "data-name=\"dispatch\"")[1].components(separatedBy: "points=\"")[1].components(separatedBy: "\"")[0]
        let points = dispatch.split(separator: " ").map { $0.split(separator: ",").map { Double($0)! } }
        XCTAssertEqual(Set(points.map { $0[0] }).count, 1, "one latency for every job")
        XCTAssertEqual(points.last?[1], 20, "the curve reaches the top of the plot (fraction 1)")
    }

    func testTheProgressBarFillsTowardsTheRunsMilestone() {
        let half = LoadProgress(expected: 10, submitted: 10, runningOrBeyond: 7, final: 5, until: .final)
        XCTAssertEqual(half.fraction, 0.5)
        XCTAssertEqual(half.bar(width: 4), "[██··]  50%  submitted 10/10  running-or-done 7  final 5")
        XCTAssertEqual(LoadProgress(expected: 10, submitted: 10, runningOrBeyond: 7, final: 5, until: .running).fraction, 0.7)
    }
}
