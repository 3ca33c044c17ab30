import ClusterModel
import Foundation

/// A user's drain in etcd (`Keys.drain`): ``NodeDrain`` as JSON, e.g.
/// `{"deadline":1764634200000,"origin":"user","since":1764633900000}` (times in Unix
/// milliseconds; no `deadline`: the node's jobs run to their end). Written by the leader's fenced
/// writes, read when a term begins; readable with `etcdctl get --prefix /titan/v1/drains/`.
public enum DrainRecord {
    /// The record's bytes.
    public static func encode(_ drain: NodeDrain) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // A NodeDrain holds only numbers and a closed enum: encoding it cannot fail.
        return Array((try? encoder.encode(drain)) ?? Data())
    }

    /// Decodes a record.
    public static func decode(_ bytes: [UInt8]) throws -> NodeDrain {
        try JSONDecoder().decode(NodeDrain.self, from: Data(bytes))
    }
}
