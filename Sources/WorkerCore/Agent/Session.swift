import ClusterModel
import EtcdClient
import Logging
import StageTrace
import TitanClient
import WireProtocol

/// The worker's one connection to the leader, re-established with back-off whenever it drops
/// or the leader changes. Finding the leader: `--master`, else the leader key in etcd.
struct Session: Sendable {
    let configuration: WorkerConfiguration
    let etcd: EtcdClient
    let state: WorkerState
    let logger: Logger
    let metrics: WorkerMetrics

    func run() async throws {
        let locator = LeaderLocator(configuration.masterAddress.map { .fixed($0) } ?? .etcd(etcd))
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                let address = try await locator.leaderAddress()
                try await TitanConnection.withConnection(
                    to: address,
                    role: .worker,
                    nodeID: configuration.nodeID,
                    token: configuration.token
                ) { connection in
                    logger.info("session open", metadata: ["leader": "\(connection.serverID)", "address": "\(address)"])
                    metrics.sessionConnected.record(1)
                    defer { metrics.sessionConnected.record(0) }
                    // A leader that lets `Outbox.defaultLimit` messages pile up: the session ends
                    // at once; the next one replays what matters.
                    let outbox = Outbox(onOverflow: { connection.disconnect() })
                    await withTaskGroup(of: Void.self) { group in
                        // The one writer: messages leave in the order the state queued them,
                        // everything queued in one write.
                        group.addTask {
                            while let batch = await outbox.nextBatch() {
                                do {
                                    try await connection.send(contentsOf: batch)
                                    var chunks = 0
                                    var bytes = 0
                                    for case let .logChunk(chunk) in batch {
                                        chunks += 1
                                        bytes += chunk.data.readableBytes
                                    }
                                    if chunks > 0 {
                                        metrics.chunksSent.increment(by: chunks)
                                        metrics.bytesSent.increment(by: bytes)
                                    }
                                    if StageTrace.isOn {
                                        for case let .started(report) in batch { StageTrace.mark(.startedWritten, report.jobID.rawValue) }
                                    }
                                } catch {
                                    return  // the connection broke; the next session replays
                                }
                            }
                        }
                        let id = await state.attach(outbox)
                        for await push in connection.pushes {
                            if case let .assign(assign) = push { StageTrace.mark(.assignReceived, assign.jobID.rawValue) }
                            await state.handle(push)
                        }
                        await state.detach(id)
                    }
                }
                backoff = .milliseconds(100)
                logger.info("session closed; reconnecting")
            } catch is CancellationError {
                return
            } catch TitanClientError.authenticationFailed(let address) {
                logger.error("the leader refused this worker's token: check TITAN_TOKEN_FILE", metadata: ["address": "\(address)"])
                backoff = .seconds(5)
            } catch {
                logger.debug("no session", metadata: ["error": "\(error)", "retry.in": "\(backoff)"])
            }
            try await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(2))
        }
    }
}
