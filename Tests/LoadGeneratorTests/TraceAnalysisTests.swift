import Foundation
import StageTrace
import XCTest

@testable import LoadGenerator

/// Joining trace files: spans per job across files, first passage only, unknown lines skipped.
final class TraceAnalysisTests: XCTestCase {
    func testSpansJoinTheFilesOfEveryProcessByJob() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Job a: scheduled durable at 1 ms, running durable at 4 ms; job b: 2 ms and 10 ms. Job b's
        // second `scheduled-durable` (a retry) is ignored; a malformed line is skipped.
        try """
            1000000 leader.scheduled-durable a
            4000000 leader.running-durable a
            2000000 leader.scheduled-durable b
            9000000 leader.scheduled-durable b
            10000000 leader.running-durable b
            not a line
            """.write(toFile: directory + "/master.trace", atomically: true, encoding: .utf8)
        // The worker's file ends in a line still being written: it does not count.
        try "3000000 worker.process-started a\n3500000 worker.process-started c-half".write(toFile: directory + "/w1.trace", atomically: true, encoding: .utf8)
        try "ignored\n".write(toFile: directory + "/notes.txt", atomically: true, encoding: .utf8)
        let analysis = try TraceAnalysis(directory: directory)
        XCTAssertEqual(analysis.jobs, 2)
        let dispatch = try XCTUnwrap(analysis.spans.first { $0.name.hasPrefix("DISPATCH, leader") })
        XCTAssertEqual(dispatch.count, 2)
        XCTAssertEqual(dispatch.p50, 3, accuracy: 1e-9)
        XCTAssertEqual(dispatch.max, 8, accuracy: 1e-9)
        XCTAssertEqual(analysis.spans.first { $0.name.hasPrefix("process started → Started written") }?.count, 0, "no job passed both")
        XCTAssertTrue(analysis.table.contains("DISPATCH, leader"), analysis.table)
    }
}
