import CurlSupport
import Foundation
import TitanTestSupport

/// A real Prometheus server (`/usr/bin/prometheus`, Debian's `prometheus`) of the test's own:
/// a config listing the given loopback targets, scraped every second, its data in a temporary
/// directory, listening on a free loopback port. Stopped by its PID.
final class PrometheusServer: Sendable {
    static let executable = "/usr/bin/prometheus"

    /// Where its HTTP API answers, e.g. `http://127.0.0.1:41234`.
    let url: String
    let process: ManagedProcess
    let http = CurlLoop(name: "test.prometheus")

    /// Starts Prometheus scraping `targets` (`host:port`, path `/metrics`) every second, under
    /// `root`; returns once its API answers.
    static func start(scraping targets: [String], root: String) async throws -> PrometheusServer {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw HarnessFailure("no \(executable): run Tools/install-deps (it installs Debian's prometheus)")
        }
        let directory = root + "/prometheus"
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let list = targets.map { "'\($0)'" }.joined(separator: ", ")
        let config = """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: titan
                scrape_timeout: 1s
                static_configs:
                  - targets: [\(list)]

            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: directory + "/prometheus.yml"))
        let port = try freeLoopbackPort()
        let process = try ManagedProcess(
            name: "prometheus", executable: executable,
            arguments: [
                "--config.file=\(directory)/prometheus.yml", "--web.listen-address=127.0.0.1:\(port)",
                "--storage.tsdb.path=\(directory)/data",
            ],
            logPath: directory + "/prometheus.log")
        let server = PrometheusServer(url: "http://127.0.0.1:\(port)", process: process)
        do {
            try await waitUntil("Prometheus to answer on 127.0.0.1:\(port)", timeout: .seconds(30), interval: .milliseconds(200)) {
                guard process.isRunning else { throw HarnessFailure("prometheus exited at start: \(process.logTail())") }
                return (try? await server.get("/-/ready").status) == 200
            }
        } catch {
            await server.stop()
            throw error
        }
        return server
    }

    private init(url: String, process: ManagedProcess) {
        self.url = url
        self.process = process
    }

    /// Stops the server by its PID.
    func stop() async {
        await process.stop()
        http.shutdown()
    }

    func get(_ path: String) async throws -> CurlResponse {
        try await http.perform(CurlRequest(method: "GET", url: url + path, timeoutMilliseconds: 5000))
    }

    /// The value of an instant query whose result is one sample (`sum(…)`, or a single series);
    /// nil while it has no sample.
    func value(of query: String) async throws -> Double? {
        let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
        let response = try await get("/api/v1/query?query=\(encoded)")
        guard response.status == 200 else { throw HarnessFailure("Prometheus answered \(response.status) to \(query): \(String(decoding: response.body, as: UTF8.self))") }
        struct Answer: Decodable {
            struct Data: Decodable {
                struct Sample: Decodable { var value: [StringOrNumber] }
                var result: [Sample]
            }
            var status: String
            var data: Data
        }
        let answer = try JSONDecoder().decode(Answer.self, from: Foundation.Data(response.body))
        guard answer.status == "success" else { throw HarnessFailure("Prometheus failed \(query): \(String(decoding: response.body, as: UTF8.self))") }
        guard let sample = answer.data.result.first, sample.value.count == 2, case let .string(text) = sample.value[1] else { return nil }
        return Double(text)
    }

    /// Waits until `query` yields a value satisfying `accept`, and returns it.
    @discardableResult
    func waitForValue(of query: String, _ what: String, timeout: Duration = .seconds(30), accept: @escaping @Sendable (Double) -> Bool) async throws -> Double {
        try await waitFor("Prometheus to report \(what) (\(query))", timeout: timeout, interval: .milliseconds(250)) {
            guard let value = try await self.value(of: query), accept(value) else { return nil }
            return value
        }
    }
}

/// A JSON value that is a string or a number (Prometheus's `[time, "value"]` pairs).
enum StringOrNumber: Decodable {
    case string(String)
    case number(Double)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .string(text)
        } else {
            self = .number(try container.decode(Double.self))
        }
    }
}
