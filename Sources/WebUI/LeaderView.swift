import ClusterModel
import EtcdClient
import Foundation

/// The leader key as the UI reads it: who leads, where its wire listener and UI are, its term.
struct LeaderView: Sendable, Encodable {
    /// The leading master's id.
    var id: String
    /// `host:port` of its wire-protocol listener.
    var address: String
    /// Base URL of its web UI (`http://host:port`), if it serves one.
    var ui: String?
    /// The term: the leader key's create revision, unique to each term.
    var term: Int64

    /// Why the leader could not be read, in one sentence.
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads the leader key.
    static func read(from etcd: EtcdClient) async -> Result<LeaderView, Problem> {
        struct Record: Decodable {
            var id: String
            var address: String
            var ui: String?
        }
        let kv: KeyValue?
        do {
            kv = try await etcd.get(Keys.leader)
        } catch {
            return .failure(Problem(description: "cannot read the leader key from etcd at \(etcd.endpoints.joined(separator: ",")) (\(error)): check that etcd runs"))
        }
        guard let kv else {
            return .failure(Problem(description: "no Titan master leads the cluster right now: a standby takes over within the lease TTL; check that titan-master runs"))
        }
        guard let record = try? JSONDecoder().decode(Record.self, from: Data(kv.value)) else {
            return .failure(Problem(description: "the leader key in etcd holds no readable record"))
        }
        return .success(LeaderView(id: record.id, address: record.address, ui: record.ui, term: kv.createRevision))
    }
}
