import ArgumentParser
import CommandSupport
import EtcdClient
import Foundation
import TitanClient

/// `titan-bench etcd`: etcd's own batched-write rate through ``EtcdClient`` — the ceiling
/// Titan's group commit is measured against (Tools/bench-control-plane).
@main
struct TitanBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "titan-bench",
        abstract: "Measure etcd's batched-write rate through EtcdClient (txns of many puts, several in flight)."
    )

    @Option(help: "etcd endpoints (default: $TITAN_ETCD or http://127.0.0.1:2379).")
    var etcd: String?

    @Option(parsing: .unconditional, help: "Total puts (1 to 10000000).")
    var puts = 50_000

    @Option(parsing: .unconditional, help: "Puts per txn (etcd allows at most 128 operations).")
    var perTxn = 128

    @Option(parsing: .unconditional, help: "Txns in flight at once (1 to 64).")
    var inFlight = 4

    @Option(parsing: .unconditional, help: "Bytes per value, 0 to 1048576 (a Titan job record is about 420).")
    var valueBytes = 420

    @Option(help: "Key prefix to write under (deleted afterwards).")
    var prefix = "/titan-bench/"

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Write as Titan's leader does: each put conditioned on its key being absent, and every txn on a fence key (at most 127 puts per txn).")
    var conditional = false

    /// Parses and runs; a refusal or a failure is one line on stderr (`titan-bench: …`) with exit
    /// code 64 for a usage error and 1 for a failure; --help prints the help.
    static func main() async {
        await runWithOneLineErrors(program: "titan-bench")
    }

    func validate() throws {
        guard (1...128).contains(perTxn) else { throw ValidationError("--per-txn \(perTxn) is out of range: use 1 to 128 (etcd's limit of operations per txn)") }
        guard !conditional || perTxn <= 127 else { throw ValidationError("--per-txn \(perTxn) with --conditional is out of range: use 1 to 127 (the fence takes one of etcd's 128 compares)") }
        guard (1...64).contains(inFlight) else { throw ValidationError("--in-flight \(inFlight) is out of range: use 1 to 64") }
        guard (1...10_000_000).contains(puts) else { throw ValidationError("--puts \(puts) is out of range: use 1 to 10000000") }
        // One put must fit in etcd's default request limit of 1.5 MiB.
        guard (0...1_048_576).contains(valueBytes) else { throw ValidationError("--value-bytes \(valueBytes) is out of range: use 0 to 1048576") }
    }

    func run() async throws {
        let client: EtcdClient
        do {
            client = EtcdClient(endpoints: try ClusterSettings.etcdEndpoints(flag: etcd))
        } catch let error as SettingsError {
            throw ValidationError(error.description)
        }
        defer { client.shutdown() }
        let value = [UInt8](repeating: UInt8(ascii: "x"), count: valueBytes)
        let txns = (puts + perTxn - 1) / perTxn
        let perTxn = perTxn
        let prefix = prefix
        let puts = puts
        let fence = prefix + "fence"
        let fenceRevision = try await client.put(key: fence, value: "leader").header.revision
        let conditional = conditional
        let started = ContinuousClock.now
        // Each txn's round trip (a durable write: etcd answers after its WAL fsync), in ms.
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for lane in 0..<inFlight {
                group.addTask {
                    var txn = lane
                    var millis: [Double] = []
                    while txn < txns {
                        let first = txn * perTxn
                        let keys = (first..<min(first + perTxn, puts)).map { "\(prefix)\($0)" }
                        var request = Txn(success: keys.map { TxnOp.put(key: $0, value: value) })
                        if conditional {
                            request.compares = [.modRevision(fence, .equal, fenceRevision)] + keys.map { .keyMissing($0) }
                        }
                        let sent = ContinuousClock.now
                        guard try await client.txnOutcome(request).succeeded else {
                            throw ValidationError("a conditional txn failed: is another titan-bench writing under --prefix '\(prefix)'?")
                        }
                        millis.append((ContinuousClock.now - sent) / .milliseconds(1))
                        txn += inFlight
                    }
                    return millis
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }.sorted()
        }
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, max(0, Int((Double(latencies.count) * p).rounded(.up)) - 1))]
        }
        let (p50, p99) = (percentile(0.5), percentile(0.99))
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        try await client.deleteRange(prefix: prefix)
        let rate = Double(puts) / seconds
        let mibPerSecond = rate * Double(valueBytes) / Double(1 << 20)
        if json {
            print("{\"puts\": \(puts), \"per_txn\": \(perTxn), \"in_flight\": \(inFlight), \"value_bytes\": \(valueBytes), \"seconds\": \(String(format: "%.3f", seconds)), \"puts_per_s\": \(String(format: "%.1f", rate)), \"mib_per_s\": \(String(format: "%.1f", mibPerSecond)), \"txn_p50_ms\": \(String(format: "%.2f", p50)), \"txn_p99_ms\": \(String(format: "%.2f", p99))}")
        } else {
            print(String(format: "etcd batched writes: %d puts of %d B in txns of %d, %d in flight: %.2f s, %.0f puts/s, %.1f MiB/s; txn round trip p50 %.2f ms, p99 %.2f ms", puts, valueBytes, perTxn, inFlight, seconds, rate, mibPerSecond, p50, p99))
        }
    }
}
