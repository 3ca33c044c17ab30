/// Where a load run stands: what the progress display shows.
public struct LoadProgress: Sendable, Equatable {
    /// Jobs the run will submit (less the refused ones).
    public var expected: Int
    /// Jobs accepted so far.
    public var submitted: Int
    /// Jobs seen running or beyond.
    public var runningOrBeyond: Int
    /// Jobs seen final.
    public var final: Int
    /// Where the run stops following its jobs.
    public var until: LoadPlan.Milestone

    /// How far the run is towards its milestone, from 0 to 1.
    public var fraction: Double {
        guard expected > 0 else { return 1 }
        let reached: Int
        switch until {
        case .placed: reached = submitted
        case .running: reached = runningOrBeyond
        case .final: reached = final
        }
        return min(1, Double(reached) / Double(expected))
    }

    /// One plain line: `submitted 1000/1000  running-or-done 640  final 600`.
    public var line: String {
        "submitted \(submitted)/\(expected)  running-or-done \(runningOrBeyond)  final \(final)"
    }

    /// A bar `width` cells wide, then the percentage and the line: for a terminal.
    public func bar(width: Int = 30) -> String {
        let filled = Int((fraction * Double(width)).rounded(.down))
        let cells = String(repeating: "█", count: filled) + String(repeating: "·", count: max(0, width - filled))
        let percent = Int((fraction * 100).rounded(.down))
        return "[\(cells)] \(percent < 10 ? "  " : percent < 100 ? " " : "")\(percent)%  \(line)"
    }
}

/// When one job of a run passed each step, in seconds from the run's start (`nil`: not seen).
public struct JobTimeline: Sendable, Equatable, Codable {
    /// Its submission was sent.
    public var sent: Double
    /// Its submission was acknowledged.
    public var acked: Double?
    /// It was seen durably scheduled.
    public var scheduled: Double?
    /// It was seen running (or beyond).
    public var running: Double?
    /// It was seen final.
    public var final: Double?

    /// Creates a timeline.
    public init(sent: Double, acked: Double?, scheduled: Double?, running: Double?, final: Double?) {
        self.sent = sent
        self.acked = acked
        self.scheduled = scheduled
        self.running = running
        self.final = final
    }
}
