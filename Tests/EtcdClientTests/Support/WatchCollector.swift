import EtcdClient
import TitanTestSupport
import XCTest

/// The first `count` events of `watch` (responses are flattened), or throws after `timeout`.
func collectEvents(_ watch: EtcdWatch, count: Int, timeout: Duration = .seconds(10)) async throws -> [WatchEvent] {
    try await withDeadline(timeout, waitingFor: "\(count) watch events") {
        var events: [WatchEvent] = []
        for try await response in watch {
            events += response.events
            if events.count >= count { break }
        }
        return events
    }
}
