import ArgumentParser

/// `--metrics-listen host:port`, shared by `titan-master` and `titan-worker`.
public struct MetricsOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Serve Prometheus metrics at http://HOST:PORT/metrics (off when not given; Tools/titan-up always gives one).")
    public var metricsListen: String?

    /// Creates the defaults (argument parsing fills them in).
    public init() {}

    /// Where to serve metrics, or nil when the flag is absent; a malformed value is one
    /// sentence naming it.
    public func validated() throws -> (host: String, port: Int)? {
        guard let metricsListen else { return nil }
        guard let colon = metricsListen.lastIndex(of: ":"), colon != metricsListen.startIndex,
            let port = Int(metricsListen[metricsListen.index(after: colon)...]), (1...65535).contains(port)
        else {
            throw ValidationError("--metrics-listen '\(metricsListen)' is not host:port with a port from 1 to 65535, e.g. 127.0.0.1:9464")
        }
        var host = String(metricsListen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}
