import Foundation

/// Where a Titan program finds its cluster, from flags or the environment (`TITAN_ETCD`,
/// `TITAN_MASTER`, `TITAN_TOKEN_FILE`), and the errors a user gets when one is wrong.
public enum ClusterSettings {
    /// The default etcd endpoint.
    public static let defaultEtcd = "http://127.0.0.1:2379"

    /// etcd endpoints: the flag, else `TITAN_ETCD`, else the default; comma-separated.
    public static func etcdEndpoints(flag: String?) throws -> [String] {
        let text = flag ?? ProcessInfo.processInfo.environment["TITAN_ETCD"] ?? defaultEtcd
        let endpoints = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !endpoints.isEmpty else { throw SettingsError("--etcd '\(text)' names no endpoint: give e.g. http://127.0.0.1:2379") }
        for endpoint in endpoints where !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            throw SettingsError("etcd endpoint '\(endpoint)' is not a URL: give e.g. http://127.0.0.1:2379")
        }
        return endpoints
    }

    /// An explicit master address: the flag, else `TITAN_MASTER`, else nil (find it in etcd).
    public static func masterAddress(flag: String?) -> String? {
        flag ?? ProcessInfo.processInfo.environment["TITAN_MASTER"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The cluster token: the bytes of the file named by the flag or `TITAN_TOKEN_FILE`, with
    /// surrounding white space removed.
    public static func token(flag: String?) throws -> [UInt8] {
        guard let path = flag ?? ProcessInfo.processInfo.environment["TITAN_TOKEN_FILE"], !path.isEmpty else {
            throw SettingsError("no cluster token: pass --token-file or set TITAN_TOKEN_FILE (Tools/titan-up writes one)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SettingsError("cannot read the token file '\(path)': check TITAN_TOKEN_FILE")
        }
        let token = Array(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard token.count >= 16 else {
            throw SettingsError("the token in '\(path)' is \(token.count) bytes; use at least 16 (Tools/titan-up makes 32 random bytes)")
        }
        return token
    }
}

/// A bad flag or setting: one sentence naming it and what to do.
public struct SettingsError: Error, CustomStringConvertible, Sendable {
    /// The sentence.
    public var description: String

    /// Creates the error.
    public init(_ description: String) {
        self.description = description
    }
}
