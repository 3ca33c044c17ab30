import Foundation
import TitanTestSupport

/// Where the built `titan-master`, `titan-worker` and `titan-cli` are: the directory of the
/// test bundle (SwiftPM puts executables next to it), else `.build/debug` of the package.
/// `TITAN_BIN_DIR` overrides both.
enum BuildProducts {
    static let programs = ["titan-master", "titan-worker", "titan-cli"]

    /// The directory holding every program, or a failure naming where it looked.
    static func directory() throws -> String {
        var candidates: [String] = []
        if let given = ProcessInfo.processInfo.environment["TITAN_BIN_DIR"], !given.isEmpty {
            candidates.append(given)
        }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent().path)
        }
        let bundle = Bundle.main.bundleURL
        candidates += [bundle.path, bundle.deletingLastPathComponent().path]
        // Tests/ClusterTests/Support/BuildProducts.swift → the package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates += [root.appendingPathComponent(".build/debug").path]
        for directory in candidates where programs.allSatisfy({ FileManager.default.isExecutableFile(atPath: directory + "/" + $0) }) {
            return directory
        }
        throw HarnessFailure(
            "build the binaries first: swift build (no \(programs.joined(separator: ", ")) found in any of \(candidates.joined(separator: ", ")))"
        )
    }

    /// etcd, as Tools/install-deps installs it.
    static let etcd = "/usr/bin/etcd"
}
