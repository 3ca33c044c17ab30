import ClusterModel
import DockerClient
import EtcdClient
import Foundation
import Synchronization
import TitanClient
import TitanTestSupport
import WireProtocol

/// A whole Titan cluster on 127.0.0.1 for one test: a private etcd (its own data dir, so its
/// own `/titan/v1` space), a random token, and the real `titan-master` / `titan-worker`
/// binaries, each logging to a file under a temp dir.
///
/// Everything it starts is stopped by PID in ``shutdown()``: workers, then masters, then etcd,
/// then any job process a SIGKILLed worker left behind (found by its working directory, which
/// lies under this cluster's temp dir). The temp dir is removed last.
final class LocalCluster: Sendable {
    /// The temp dir holding logs, data, work dirs and the token.
    let root: String
    /// The etcd client URLs, comma-separated (the form `--etcd` takes).
    let etcdEndpoint: String
    /// The file holding the cluster token.
    let tokenFile: String
    /// The token's bytes.
    let token: [UInt8]
    /// Where the programs are.
    let binaries: String
    /// A client of the private etcd (all its members).
    let etcd: EtcdClient
    /// The lease TTL every master and worker gets, in seconds.
    let leaseTTL: Int
    /// The etcd members: process name (`etcd`, or `etcd 1` … `etcd n`) and launch arguments.
    let etcdMembers: [(name: String, clientURL: String, arguments: [String])]

    private let started = Mutex<[ManagedProcess]>([])
    private let masterPorts = Mutex<[String: Int]>([:])

    /// Starts a private etcd of `etcdMembers` members on loopback and waits until it answers;
    /// masters and workers are started by the test.
    /// With `alsoListenOn`, etcd also serves on that address (the root side of a ``TestHost``'s link).
    static func start(leaseTTL: Int = 2, etcdMembers memberCount: Int = 1, alsoListenOn extraAddress: String? = nil) async throws -> LocalCluster {
        guard FileManager.default.isExecutableFile(atPath: BuildProducts.etcd) else {
            throw HarnessFailure("etcd not found at \(BuildProducts.etcd): run Tools/install-deps")
        }
        let binaries = try BuildProducts.directory()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("titan-cluster-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
        var ports: [(client: Int, peer: Int)] = []
        for _ in 0..<memberCount { ports.append((try freeLoopbackPort(), try freeLoopbackPort())) }
        let names = memberCount == 1 ? ["etcd"] : (1...memberCount).map { "etcd \($0)" }
        let initialCluster = zip(names, ports).map { "\($0.0.replacingOccurrences(of: " ", with: "-"))=http://127.0.0.1:\($0.1.peer)" }.joined(separator: ",")
        let members = zip(names, ports).map { name, port -> (name: String, clientURL: String, arguments: [String]) in
            let client = "http://127.0.0.1:\(port.client)"
            let peer = "http://127.0.0.1:\(port.peer)"
            let member = name.replacingOccurrences(of: " ", with: "-")
            let listen = [client] + (extraAddress.map { ["http://\($0):\(port.client)"] } ?? [])
            return (name, client, [
                "--name", member,
                "--data-dir", root + "/" + member,
                "--listen-client-urls", listen.joined(separator: ","),
                "--advertise-client-urls", client,
                "--listen-peer-urls", peer,
                "--initial-advertise-peer-urls", peer,
                "--initial-cluster", initialCluster,
                "--initial-cluster-token", "titan-\(root.suffix(8))",
                "--log-level", "error",
            ])
        }
        let cluster = try LocalCluster(root: root, binaries: binaries, etcdMembers: members, leaseTTL: leaseTTL)
        do {
            for member in members {
                try cluster.launch(member.name, executable: BuildProducts.etcd, arguments: member.arguments)
            }
            try await cluster.waitForEtcd()
        } catch {
            await cluster.shutdown()
            throw error
        }
        return cluster
    }

    /// Starts etcd member `name` again after it was stopped, on its data.
    @discardableResult
    func restartEtcd(_ name: String = "etcd") throws -> ManagedProcess {
        guard let member = etcdMembers.first(where: { $0.name == name }) else { throw HarnessFailure("no etcd member named \(name)") }
        return try launch(member.name, executable: BuildProducts.etcd, arguments: member.arguments)
    }

    private init(root: String, binaries: String, etcdMembers: [(name: String, clientURL: String, arguments: [String])], leaseTTL: Int) throws {
        self.root = root
        self.binaries = binaries
        self.leaseTTL = leaseTTL
        self.etcdMembers = etcdMembers
        etcdEndpoint = etcdMembers.map(\.clientURL).joined(separator: ",")
        tokenFile = root + "/token"
        let text = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: tokenFile))
        token = Array(text.utf8)
        etcd = EtcdClient(endpoints: etcdMembers.map(\.clientURL), requestTimeout: .seconds(5))
    }

    @discardableResult
    private func launch(_ name: String, executable: String, arguments: [String], environment: [String: String] = [:]) throws -> ManagedProcess {
        let process = try ManagedProcess(
            name: name,
            executable: executable,
            arguments: arguments,
            logPath: root + "/logs/" + name.replacingOccurrences(of: " ", with: "-") + ".log",
            environment: environment
        )
        started.withLock { $0.append(process) }
        return process
    }

    private func waitForEtcd() async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if (try? await etcd.status()) != nil { return }
            for member in etcdMembers {
                if let process = process(named: member.name), !process.isRunning {
                    throw HarnessFailure("\(member.name) exited at start: \(process.logTail())")
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessFailure("etcd at \(etcdEndpoint) did not answer within 20 s")
    }

    // MARK: - Masters and workers

    /// Starts `titan-master --id <id>` on a free loopback port.
    @discardableResult
    func startMaster(_ id: String, extra: [String] = [], host: String = "127.0.0.1") throws -> ManagedProcess {
        let port = try freeLoopbackPort()
        masterPorts.withLock { $0[id] = port }
        return try launch(
            "master \(id)",
            executable: binaries + "/titan-master",
            arguments: [
                "--etcd", etcdEndpoint, "--listen", "\(host):\(port)", "--token-file", tokenFile,
                "--lease-ttl", "\(leaseTTL)", "--id", id,
            ] + extra
        )
    }

    /// Starts `titan-worker --id <id>` offering `cpu` and `memory` (exec runtime), working in
    /// `<root>/work-<id>` unless `workDir` names another directory; `name` is the process's name
    /// in ``process(named:)`` (default `worker <id>`).
    @discardableResult
    func startWorker(
        _ id: String, cpu: String, memory: String, workDir: String? = nil, name: String? = nil, in host: TestHost? = nil,
        environment: [String: String] = [:], extra: [String] = []
    ) throws -> ManagedProcess {
        let workDir = workDir ?? root + "/work-\(id)"
        try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
        let arguments = [
            "--etcd", host.map { etcdEndpoint(seenFrom: $0) } ?? etcdEndpoint, "--token-file", tokenFile, "--id", id, "--cpu", cpu,
            "--memory", memory, "--lease-ttl", "\(leaseTTL)", "--work-dir", workDir,
        ] + extra
        guard let host else {
            return try launch(name ?? "worker \(id)", executable: binaries + "/titan-worker", arguments: arguments, environment: environment)
        }
        // `ip netns exec` enters the namespace and execs the worker: the pid is the worker's.
        return try launch(
            name ?? "worker \(id)", executable: TestHost.ip, arguments: ["netns", "exec", host.namespace, binaries + "/titan-worker"] + arguments,
            environment: environment)
    }

    /// The etcd endpoints as a program inside `host` reaches them: through the host side of its link.
    func etcdEndpoint(seenFrom host: TestHost) -> String {
        etcdMembers.map { $0.clientURL.replacingOccurrences(of: "127.0.0.1", with: host.rootAddress) }.joined(separator: ",")
    }

    // MARK: - A Docker engine of its own

    /// The unix socket of this cluster's own Docker engine (``startDockerEngine()``).
    var dockerSocket: String { root + "/docker.sock" }

    /// The engine's working directories: data under the cluster's root, and a short exec root
    /// (containerd's socket path must stay under 108 bytes).
    private var dockerExecRoot: String { "/tmp/tde-" + root.suffix(8) }

    /// Starts (or starts again, on the same data) a Docker engine of this cluster's own on
    /// ``dockerSocket`` — `--live-restore`, no bridge, no iptables — waits until it answers, and
    /// on the first start gives it busybox:latest (`Tools/import-busybox-image`). Stopped by pid in
    /// ``shutdown()``, after the workers.
    @discardableResult
    func startDockerEngine() async throws -> ManagedProcess {
        let engine = try launch(
            "dockerd", executable: "/usr/sbin/dockerd",
            arguments: [
                "-H", "unix://\(dockerSocket)", "--data-root", root + "/docker", "--exec-root", dockerExecRoot,
                "--pidfile", root + "/dockerd.pid", "--bridge=none", "--iptables=false", "--ip-masq=false", "--live-restore",
            ])
        let client = DockerClient(socketPath: dockerSocket)
        try await waitUntil("the cluster's own Docker engine to answer on \(dockerSocket)", timeout: .seconds(30), interval: .milliseconds(250)) {
            guard engine.isRunning else { throw HarnessFailure("dockerd exited at start: \(engine.logTail())") }
            return (try? await client.ping()) != nil
        }
        if try await client.inspectImage("busybox:latest") == nil {
            let tools = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tools").path
            var environment = ProcessInfo.processInfo.environment
            environment["DOCKER_HOST"] = "unix://\(dockerSocket)"
            let imported = try await spawnAndWait(tools + "/import-busybox-image", [], in: root, timeout: .seconds(60), environment: environment)
            guard imported.exitCode == 0 else {
                throw HarnessFailure("could not give the cluster's engine busybox:latest: \(String(decoding: imported.stderr, as: UTF8.self))")
            }
        }
        return engine
    }

    /// The process started under `name` (`etcd`, `master m1`, `worker w1`).
    func process(named name: String) -> ManagedProcess? {
        started.withLock { $0.last { $0.name == name } }
    }

    /// The port a master listens on.
    func port(ofMaster id: String) -> Int? {
        masterPorts.withLock { $0[id] }
    }

    // MARK: - The leader and clients

    /// What `/titan/v1/leader` holds now, or nil.
    func leader() async throws -> (id: String, address: String)? {
        guard let kv = try await etcd.get("/titan/v1/leader") else { return nil }
        struct Record: Decodable { var id: String; var address: String }
        let record = try JSONDecoder().decode(Record.self, from: Data(kv.value))
        return (record.id, record.address)
    }

    /// Waits until a master leads (the one named `id`, if given); returns its id.
    @discardableResult
    func waitForLeader(_ id: String? = nil, timeout: Duration = .seconds(20)) async throws -> String {
        try await waitFor("master \(id ?? "any") leads", timeout: timeout) {
            let found = try? await self.leader()?.id
            return found.flatMap { id == nil || $0 == id ? $0 : nil }
        }
    }

    /// `titan-cli logs ID` against this cluster: the job's archived output (stdout, stderr).
    func logs(_ id: JobID, timeout: Duration = .seconds(20)) async throws -> ProgramRun {
        try await runProgram(
            binaries + "/titan-cli", ["logs", id.rawValue, "--etcd", etcdEndpoint, "--token-file", tokenFile],
            in: root, timeout: timeout)
    }

    /// Runs `body` on a client connection to the current leader (found in etcd), within
    /// `timeout` for the whole conversation.
    func withClient<T: Sendable>(
        timeout: Duration = .seconds(120),
        _ body: @escaping @Sendable (TitanConnection) async throws -> T
    ) async throws -> T {
        guard let leader = try await leader() else { throw HarnessFailure("no master leads: nothing at /titan/v1/leader") }
        return try await withConnection(to: leader.address, role: .client, nodeID: "cluster-test", timeout: timeout, body)
    }

    /// Runs `body` on a connection to `address` as `role` with the cluster token, within
    /// `timeout` for the whole conversation.
    func withConnection<T: Sendable>(
        to address: String,
        role: PeerRole,
        nodeID: String,
        timeout: Duration = .seconds(120),
        _ body: @escaping @Sendable (TitanConnection) async throws -> T
    ) async throws -> T {
        let token = token
        return try await withDeadline(timeout, waitingFor: "a conversation with the master at \(address) to end") {
            try await TitanConnection.withConnection(to: address, role: role, nodeID: NodeID(nodeID), token: token, body: body)
        }
    }

    /// Waits until the leader lists `count` nodes, every one connected.
    func waitForNodes(_ count: Int, timeout: Duration = .seconds(20)) async throws {
        try await waitUntil("\(count) connected nodes", timeout: timeout) {
            let nodes = try? await self.withClient { try await $0.nodes() }
            return nodes.map { $0.count == count && $0.allSatisfy(\.connected) } ?? false
        }
    }

    /// A job as the leader reports it (through a fresh connection, so it works across fail-over).
    func job(_ id: JobID) async throws -> JobDetails {
        try await withClient { try await $0.job(id) }
    }

    /// A job's record as etcd holds it (`/titan/v1/jobs/<id>`).
    func storedJob(_ id: JobID) async throws -> JobDetails {
        guard let kv = try await etcd.get("/titan/v1/jobs/\(id.rawValue)") else { throw HarnessFailure("no record of job \(id) in etcd") }
        return try JSONDecoder().decode(JobDetails.self, from: Data(kv.value))
    }

    // MARK: - Clean-up

    /// Every log's tail, for a failure report.
    func logTails(bytes: Int = 3000) -> String {
        started.withLock { $0 }.map { "----- \($0.name) (pid \($0.pid), \($0.logPath)) -----\n\($0.logTail(bytes: bytes))" }
            .joined(separator: "\n")
    }

    /// Stops everything this cluster started (by PID) and removes its temp dir.
    func shutdown() async {
        let launched = started.withLock { $0 }
        // Workers first (SIGINT stops their jobs at once; SIGTERM would drain them first), then
        // their own Docker engine, then masters, then etcd.
        for prefix in ["worker", "dockerd", "master", "etcd"] {
            for process in launched.reversed() where process.name.hasPrefix(prefix) {
                await process.stop(grace: prefix == "dockerd" ? .seconds(20) : .seconds(3), signal: prefix == "worker" ? SIGINT : SIGTERM)
            }
        }
        if launched.contains(where: { $0.name == "dockerd" }) {
            // The engine bind-mounts its data directory onto itself and leaves that mount behind.
            _ = try? await spawnAndWait("/bin/umount", ["-R", root + "/docker"], in: "/", timeout: .seconds(10))
            try? FileManager.default.removeItem(atPath: dockerExecRoot)
        }
        // Jobs a SIGKILLed worker left running.
        for pid in processes(workingUnder: root) {
            kill(pid, SIGKILL)
        }
        etcd.shutdown()
        try? FileManager.default.removeItem(atPath: root)
    }
}

