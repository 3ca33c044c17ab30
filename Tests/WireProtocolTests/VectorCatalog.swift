import ClusterModel
import NIOCore

@testable import WireProtocol

/// The values behind the committed test vectors in `Protocol/vectors/`: one sample message per
/// type, and the hostile streams. `VectorGenerator` writes the files from these; `VectorTests`
/// checks the files against them.
enum VectorCatalog {
    /// The cluster token of every vector's handshake: the UTF-8 bytes of `titan-test-token`.
    static let token = Array("titan-test-token".utf8)
    /// The server nonce of every vector's handshake: the bytes 0x00, 0x01, …, 0x1f.
    static let nonce = (0..<32).map { UInt8($0) }

    /// `hello\n` as one LZ4 frame (block stored uncompressed), as `lz4 --no-frame-crc` writes it.
    static let lz4Hello: [UInt8] = [
        0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 0x06, 0x00, 0x00, 0x80,
        0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a, 0x00, 0x00, 0x00, 0x00,
    ]

    static let spec = JobSpec(
        name: "nightly-report",
        runtime: .docker,
        image: "busybox:latest",
        command: .script("echo hello\nsleep 1\n"),
        environment: ["LANG": "C.UTF-8", "MODE": "fast"],
        labels: ["team": "infra"],
        nodeSelector: ["zone": "a"],
        resources: Resources(cpuMillis: 500, memoryBytes: 256 << 20),
        priority: 10,
        maxAttempts: 3,
        timeoutSeconds: 600,
        networkMode: .none,
        maxNodeLosses: 4,
        retryDelaySeconds: 10,
        retryDelayMaxSeconds: 120
    )

    static let argvSpec = JobSpec(runtime: .exec, command: .argv(["sleep", "5"]))

    static let runningStatus = JobStatus(
        state: .running,
        node: "worker-1",
        attempt: 1,
        epoch: 4_294_967_297,
        exitCode: nil,
        message: "",
        submittedAt: UnixMillis(1_767_225_600_000),
        updatedAt: UnixMillis(1_767_225_600_250),
        nodeLosses: 1,
        startedAt: UnixMillis(1_767_225_600_250)
    )

    /// How the running job's first attempt ended: its node was lost.
    static let lostAttempt = AttemptRecord(
        number: 1, node: "worker-2", startedAt: UnixMillis(1_767_225_590_000), endedAt: UnixMillis(1_767_225_599_000),
        outcome: .nodeLost, reason: "node worker-2 was lost (its lease expired)")

    static let failedStatus = JobStatus(
        state: .failed,
        node: "worker-2",
        attempt: 3,
        epoch: 12_884_901_890,
        exitCode: 2,
        message: "exited with code 2",
        submittedAt: UnixMillis(1_767_225_600_000),
        updatedAt: UnixMillis(1_767_225_660_000),
        failures: 3,
        startedAt: UnixMillis(1_767_225_650_000)
    )

    static let node = NodeStatus(
        descriptor: NodeDescriptor(
            id: "worker-1",
            address: "127.0.0.1:7401",
            capacity: Resources(cpuMillis: 2000, memoryBytes: 4 << 30),
            labels: ["zone": "a"],
            runtimes: [.exec, .docker],
            version: "0.1.0",
            registeredAt: UnixMillis(1_764_633_600_000)
        ),
        allocated: Resources(cpuMillis: 500, memoryBytes: 256 << 20),
        jobCount: 1,
        drain: NodeDrain(origin: .user, since: UnixMillis(1_764_633_900_000), deadline: UnixMillis(1_764_634_200_000)),
        connected: true
    )

    /// One sample message per type, keyed by the vector's file name.
    static let messages: [(file: String, message: WireMessage)] = [
        (
            "0001-Error.hex",
            .error(ErrorMessage(correlationID: 7, code: .notLeader, message: "127.0.0.1:7400"))
        ),
        ("0002-ServerHello.hex", .serverHello(ServerHello(version: 1, nonce: nonce))),
        (
            "0003-Hello.hex",
            .hello(try! Handshake.hello(answering: ServerHello(nonce: nonce), role: .worker, nodeID: "worker-1", token: token))
        ),
        ("0004-Welcome.hex", .welcome(Welcome(version: 1, serverID: "master-a"))),
        ("0005-Ping.hex", .ping(PingPayload(token: 0x0102_0304_0506_0708))),
        ("0006-Pong.hex", .pong(PingPayload(token: 0x0102_0304_0506_0708))),
        ("0101-SubmitJobs.hex", .submitJobs(SubmitJobs(correlationID: 1, jobs: [spec, argvSpec]))),
        ("0102-GetJob.hex", .getJob(GetJob(correlationID: 2, jobID: "j-000001"))),
        (
            "0103-ListJobs.hex",
            .listJobs(ListJobs(correlationID: 3, states: [.pending, .running], node: "worker-1", after: "j-000001", limit: 100))
        ),
        ("0104-CancelJob.hex", .cancelJob(CancelJob(correlationID: 4, jobID: "j-000001"))),
        ("0105-ListNodes.hex", .listNodes(ListNodes(correlationID: 5))),
        (
            "0106-FollowLogs.hex",
            .followLogs(FollowLogs(correlationID: 6, jobID: "j-000001", attempt: 0, streams: [.stdout, .stderr], fromSeq: 0))
        ),
        ("0107-WatchJobs.hex", .watchJobs(WatchJobs(correlationID: 8, jobIDs: ["j-000001", "j-000002"]))),
        ("0108-DrainNode.hex", .drainNode(DrainNode(correlationID: 9, nodeID: "worker-1", deadlineMillis: 300_000))),
        ("0109-UncordonNode.hex", .uncordonNode(UncordonNode(correlationID: 10, nodeID: "worker-1"))),
        (
            "0201-SubmitResult.hex",
            .submitResult(
                SubmitResult(
                    correlationID: 1,
                    results: [
                        .accepted("j-000001"),
                        .rejected(code: .invalidRequest, message: "resources.cpuMillis must be positive, got 0"),
                    ]
                )
            )
        ),
        (
            "0202-JobInfo.hex",
            .jobInfo(JobInfoMessage(correlationID: 2, job: JobDetails(id: "j-000001", spec: spec, status: runningStatus, attempts: [lostAttempt])))
        ),
        (
            "0203-JobList.hex",
            .jobList(
                JobList(
                    correlationID: 3,
                    jobs: [
                        JobSummary(id: "j-000002", name: "nightly-report", status: runningStatus),
                        JobSummary(id: "j-000003", name: nil, status: failedStatus),
                    ],
                    nextAfter: "j-000003"
                )
            )
        ),
        (
            "0204-CancelResult.hex",
            .cancelResult(CancelResult(correlationID: 4, jobID: "j-000001", outcome: .cancelled, state: .cancelled))
        ),
        ("0205-NodeList.hex", .nodeList(NodeList(correlationID: 5, nodes: [node]))),
        ("0206-Subscribed.hex", .subscribed(Subscribed(correlationID: 6))),
        ("0207-JobEvent.hex", .jobEvent(JobEvent(jobID: "j-000003", status: failedStatus))),
        (
            "0208-DrainResult.hex",
            .drainResult(DrainResult(correlationID: 9, nodeID: "worker-1", changed: true, drain: node.drain, jobCount: 1))
        ),
        ("0301-Assign.hex", .assign(Assign(jobID: "j-000001", attempt: 1, epoch: 4_294_967_297, spec: spec))),
        ("0302-Cancel.hex", .cancel(Cancel(jobID: "j-000001", epoch: 4_294_967_297))),
        ("0303-Started.hex", .started(Started(jobID: "j-000001", epoch: 4_294_967_297))),
        (
            "0304-Exited.hex",
            .exited(Exited(jobID: "j-000001", epoch: 4_294_967_297, exitCode: 137, oomKilled: true, reason: "killed by the OOM killer"))
        ),
        (
            "0305-LogChunk.hex",
            .logChunk(
                LogChunk(
                    jobID: "j-000001",
                    attempt: 1,
                    stream: .stdout,
                    seq: 0,
                    uncompressedLength: 6,
                    data: ByteBuffer(bytes: lz4Hello)
                )
            )
        ),
        ("0306-LogAck.hex", .logAck(LogAck(jobID: "j-000001", attempt: 1, seq: 41))),
        ("0307-LogEnd.hex", .logEnd(LogEnd(jobID: "j-000001", attempt: 1, finalState: .succeeded, exitCode: 0))),
        ("0308-ReportAck.hex", .reportAck(ReportAck(jobID: "j-000001", epoch: 4_294_967_297))),
        ("0309-Synced.hex", .synced(Synced(held: 3))),
        ("030a-Stopping.hex", .stopping(Stopping(timeoutMillis: 30_000))),
    ]
}
