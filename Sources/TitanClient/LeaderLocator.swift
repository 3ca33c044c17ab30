import ClusterModel
import EtcdClient
import Foundation

/// Finds the leader's address: an explicit `--master`, or the leader key in etcd.
public struct LeaderLocator: Sendable {
    /// Where to look.
    public enum Source: Sendable {
        /// A fixed `host:port`.
        case fixed(String)
        /// The leader key in this etcd.
        case etcd(EtcdClient)
    }

    let source: Source

    /// Creates a locator.
    public init(_ source: Source) {
        self.source = source
    }

    /// The locator a command-line program wants: `--master` (or `TITAN_MASTER`) when given,
    /// else the leader key in the etcd named by `--etcd` (or `TITAN_ETCD`, or the default).
    /// Call ``shutdown()`` when done with it.
    public static func fromSettings(etcdFlag: String?, masterFlag: String?) throws -> LeaderLocator {
        if let address = ClusterSettings.masterAddress(flag: masterFlag) {
            return LeaderLocator(.fixed(address))
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
        case let .fixed(address):
            return address
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
