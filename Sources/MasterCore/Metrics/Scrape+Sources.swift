import ClusterModel

// What the scrape asks of the term's actors: summaries counted when asked, never kept up to
// date on a job's path.

extension Scheduler {
    /// The leader's view summarised for the metrics endpoint.
    public func summary() -> ClusterSummary {
        state.summary()
    }
}

extension LogArchiver {
    /// The log pipeline summarised for the metrics endpoint.
    public func summary() -> LogSummary {
        let lag = archive.lag
        return LogSummary(lagChunks: lag.chunks, lagBytes: lag.bytes, followers: followers.count)
    }
}

extension ArchiveBook {
    /// Chunks received and not yet durable (queued or in the txn in flight), and their
    /// compressed bytes: O(tracked attempts).
    var lag: (chunks: Int, bytes: Int) {
        var chunks = 0
        var bytes = 0
        for attempt in attempts.values where !attempt.pending.isEmpty || !attempt.writing.isEmpty {
            chunks += attempt.pending.count + attempt.writing.count
            for record in attempt.pending { bytes += record.frame.count }
            for record in attempt.writing { bytes += record.frame.count }
        }
        return (chunks, bytes)
    }
}
