import EtcdClient
import XCTest

/// A watch ran out of time before delivering what the test waited for.
struct WatchTimedOut: Error, CustomStringConvertible {
    var wanted: Int
    var got: [WatchEvent]
    var description: String { "watch delivered \(got.count) of \(wanted) events in time: \(got)" }
}

/// The first `count` events of `watch` (responses are flattened), or throws after `timeout`.
func collectEvents(_ watch: EtcdWatch, count: Int, timeout: Duration = .seconds(10)) async throws -> [WatchEvent] {
    try await withThrowingTaskGroup(of: [WatchEvent]?.self) { group in
        group.addTask {
            var events: [WatchEvent] = []
            for try await response in watch {
                events += response.events
                if events.count >= count { break }
            }
            return events
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let events = first else {
            throw WatchTimedOut(wanted: count, got: [])
        }
        return events
    }
}
