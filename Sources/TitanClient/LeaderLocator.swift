import ClusterModel
import EtcdClient
import Foundation
import Synchronization

/// Finds the leader's address: among the masters given by `--master`, or from the leader key
/// in etcd.
public struct LeaderLocator: Sendable {
    /// Where to look.
    public enum Source: Sendable {
        /// Fixed `host:port` addresses of masters, tried in turn (a standby answers `notLeader`).
        case masters([String])
        /// The leader key in this etcd.
        case etcd(EtcdClient)

        /// One fixed address.
        public static func fixed(_ address: String) -> Source {
            .masters([address])
        }
    }

    let source: Source
    /// Which of several fixed masters to try next.
    private let turn = Turn()

    /// Creates a locator.
    public init(_ source: Source) {
        self.source = source
    }

    /// After a failed try: the next of several fixed masters is tried next.
    func advance() {
        turn.advance()
    }

    /// The locator a command-line program wants: `--master` (or `TITAN_MASTER`) when given,
    /// else the leader key in the etcd named by `--etcd` (or `TITAN_ETCD`, or the default).
    /// Call ``shutdown()`` when done with it.
    public static func fromSettings(etcdFlag: String?, masterFlag: String?) throws -> LeaderLocator {
        if let given = ClusterSettings.masterAddress(flag: masterFlag) {
            let addresses = given.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !addresses.isEmpty else { throw SettingsError("--master '\(given)' names no address: give host:port, or several separated by commas") }
            return LeaderLocator(.masters(addresses))
        }
        let endpoints = try ClusterSettings.etcdEndpoints(flag: etcdFlag)
        return LeaderLocator(.etcd(EtcdClient(endpoints: endpoints, requestTimeout: .seconds(5))))
    }

    /// Releases the etcd client a locator made for itself (a no-op for a fixed address).
    public func shutdown() {
        if case let .etcd(etcd) = source { etcd.shutdown() }
    }

    /// The leader's `host:port`, or an error saying why there is none.
    public func leaderAddress() async throws -> String {
        switch source {
        case let .masters(addresses):
            return addresses[turn.value % addresses.count]
        case let .etcd(etcd):
            guard let kv = try await etcd.get(Keys.leader) else {
                throw TitanClientError.notLeader(message: "no Titan master leads the cluster at \(etcd.endpoints.joined(separator: ",")) (is titan-master running?)")
            }
            struct Record: Decodable { var address: String }
            guard let record = try? JSONDecoder().decode(Record.self, from: Data(kv.value)) else {
                throw TitanClientError.protocolViolation("the leader key in etcd holds no readable address")
            }
            return record.address
        }
    }
}

/// A counter shared by copies of a locator.
private final class Turn: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func advance() { count.add(1, ordering: .relaxed) }
}
