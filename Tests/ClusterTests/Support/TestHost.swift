import Foundation
import TitanTestSupport

/// A test host: a network namespace this test makes, linked to the root namespace by a veth
/// pair on a /30 of its own, so that a partition is a link taken down, not a signal.
///
/// Following `shared/reference/verified-tools.md`: a blackhole route for the subnet comes first
/// (no packet for it can ever leave the machine, even with the link down), and the link is cut
/// on the namespace side. ``remove()`` takes down everything it made; nothing else is touched.
final class TestHost: Sendable {
    static let ip = FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip"

    /// The namespace's name.
    let namespace: String
    /// The root side's address on the link (what programs in the namespace connect to).
    let rootAddress: String
    /// The namespace side's address.
    let address: String
    private let subnet: String
    private let rootLink: String
    private let link: String

    /// Makes the namespace and its link; `index` (1…250) picks the subnet 10.213.<index>.0/30.
    init(index: Int) async throws {
        guard getuid() == 0 else {
            throw HarnessFailure("test hosts (network namespaces) need root: run the tests as root (Tools/test does)")
        }
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        namespace = "titan-test-\(tag)"
        subnet = "10.213.\(index).0/30"
        rootAddress = "10.213.\(index).1"
        address = "10.213.\(index).2"
        rootLink = "tr\(tag)".prefix(15).description
        link = "tn\(tag)".prefix(15).description
        do {
            try await Self.run(["route", "add", "blackhole", subnet, "metric", "4000"])
            try await Self.run(["netns", "add", namespace])
            try await Self.run(["link", "add", rootLink, "type", "veth", "peer", "name", link])
            try await Self.run(["link", "set", link, "netns", namespace])
            try await Self.run(["addr", "add", "\(rootAddress)/30", "dev", rootLink])
            try await Self.run(["link", "set", rootLink, "up"])
            try await inside(["addr", "add", "\(address)/30", "dev", link])
            try await inside(["link", "set", link, "up"])
            try await inside(["link", "set", "lo", "up"])
        } catch {
            await remove()
            throw error
        }
    }

    /// Cuts the link (on the namespace side): a partition.
    func partition() async throws {
        try await inside(["link", "set", link, "down"])
    }

    /// Restores the link.
    func heal() async throws {
        try await inside(["link", "set", link, "up"])
    }

    /// Deletes the namespace (and with it the link) and the blackhole route; errors are ignored.
    func remove() async {
        try? await Self.run(["netns", "delete", namespace])
        try? await Self.run(["link", "delete", rootLink])
        try? await Self.run(["route", "delete", "blackhole", subnet, "metric", "4000"])
    }

    private func inside(_ arguments: [String]) async throws {
        try await Self.run(["netns", "exec", namespace, Self.ip] + arguments)
    }

    private static func run(_ arguments: [String]) async throws {
        let run = try await runProgram(ip, arguments, in: FileManager.default.temporaryDirectory.path, timeout: .seconds(10))
        guard run.exitCode == 0 else {
            throw HarnessFailure("ip \(arguments.joined(separator: " ")) failed (exit \(run.exitCode)): \(run.stderr)")
        }
    }
}
