import CurlSupport
import TitanTestSupport

extension SilentListener {
    /// A GET to this listener with no overall timeout: it ends only by cancellation or shutdown.
    var request: CurlRequest {
        CurlRequest(method: "GET", url: "http://127.0.0.1:\(port)/never", timeoutMilliseconds: nil, connectTimeoutMilliseconds: 60_000)
    }
}
