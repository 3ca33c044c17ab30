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

    /// Parses and runs; a refusal or a failure is one line on stderr (`titan-bench: …`) with exit
    /// code 64 for a usage error and 1 for a failure; --help prints the help.
    static func main() async {
        await runWithOneLineErrors(program: "titan-bench")
    }

    func validate() throws {
        guard (1...128).contains(perTxn) else { throw ValidationError("--per-txn \(perTxn) is out of range: use 1 to 128 (etcd's limit of operations per txn)") }
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
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<inFlight {
                group.addTask {
                    var txn = lane
                    while txn < txns {
                        let first = txn * perTxn
                        let ops = (first..<min(first + perTxn, puts)).map { TxnOp.put(key: "\(prefix)\($0)", value: value) }
                        _ = try await client.txn(Txn(success: ops))
                        txn += inFlight
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        try await client.deleteRange(prefix: prefix)
        let rate = Double(puts) / seconds
        let mibPerSecond = rate * Double(valueBytes) / Double(1 << 20)
        if json {
            print("{\"puts\": \(puts), \"per_txn\": \(perTxn), \"in_flight\": \(inFlight), \"value_bytes\": \(valueBytes), \"seconds\": \(String(format: "%.3f", seconds)), \"puts_per_s\": \(String(format: "%.1f", rate)), \"mib_per_s\": \(String(format: "%.1f", mibPerSecond))}")
        } else {
            print(String(format: "etcd batched writes: %d puts of %d B in txns of %d, %d in flight: %.2f s, %.0f puts/s, %.1f MiB/s", puts, valueBytes, perTxn, inFlight, seconds, rate, mibPerSecond))
        }
    }
}
