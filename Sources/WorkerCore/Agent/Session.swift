import ClusterModel
import EtcdClient
import Logging
import TitanClient
import WireProtocol

/// The worker's one connection to the leader, re-established with back-off whenever it drops
/// or the leader changes. Finding the leader: `--master`, else the leader key in etcd.
struct Session: Sendable {
    let configuration: WorkerConfiguration
    let etcd: EtcdClient
    let state: WorkerState
    let logger: Logger

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
                    let (outgoing, queue) = AsyncStream.makeStream(of: WireMessage.self)
                    await withTaskGroup(of: Void.self) { group in
                        // The one writer: messages leave in the order the state queued them.
                        group.addTask {
                            for await message in outgoing {
                                do {
                                    try await connection.send(message)
                                } catch {
                                    return  // the connection broke; the next session replays
                                }
                            }
                        }
                        let id = await state.attach(queue)
                        for await push in connection.pushes {
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
