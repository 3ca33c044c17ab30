import ClusterModel
import EtcdClient
import Foundation
import Logging

/// What a worker process does, before it registers, with the attempts an earlier process of its
/// node left in the runtimes (containers outlive a worker that crashed).
///
/// A leftover is *adopted* when the earlier process's lease still lives (the leader has not
/// given the node's jobs to others) and the job's record in etcd still places that very attempt
/// here: not final, this node, the same attempt and epoch, the same runtime. Everything else is
/// killed and removed: its attempt was re-placed, cancelled or has ended, or the lease is gone
/// and the leader re-places all of them. So nothing is leaked and nothing runs twice under one
/// epoch.
///
/// One etcd read per leftover; the leftovers are bounded by what the node's capacity let the
/// earlier process run.
struct Reconciliation: Sendable {
    /// An attempt to take over, and how long it has run already (since the leader recorded it
    /// running), which its timeout counts.
    struct Adoption: Sendable {
        let request: RunRequest
        let alreadyRan: Duration
    }

    let etcd: EtcdClient
    let node: NodeID
    let runtimes: [Runtime: any JobRuntime]
    let logger: Logger

    /// Discards every leftover not adopted and returns the attempts to resume. `continuing`:
    /// the earlier process's lease still lives and this process carries it on.
    func run(continuing: Bool) async throws -> [Adoption] {
        var adopted: [Adoption] = []
        for (kind, runtime) in runtimes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            var discarded = 0
            for leftover in try await runtime.leftovers(node: node) {
                if continuing, let request = try await self.assignment(of: leftover, in: kind) {
                    adopted.append(request)
                } else {
                    try await runtime.discard(leftover)
                    discarded += 1
                }
            }
            if discarded > 0 {
                logger.info("removed what an earlier process of this node left", metadata: ["runtime": "\(kind.rawValue)", "count": "\(discarded)"])
            }
        }
        if !adopted.isEmpty {
            logger.info("adopted the attempts an earlier process of this node left running", metadata: ["count": "\(adopted.count)"])
        }
        return adopted
    }

    /// The attempt as etcd still assigns it here, or nil when it does not.
    private func assignment(of leftover: LeftoverAttempt, in runtime: Runtime) async throws -> Adoption? {
        guard let record = try await etcd.get(Keys.job(leftover.job)),
            let job = try? JSONDecoder().decode(JobDetails.self, from: Data(record.value))
        else {
            return nil
        }
        let status = job.status
        guard !status.state.isFinal, status.node == node, status.attempt == leftover.attempt, status.epoch == leftover.epoch,
            job.spec.runtime == runtime
        else {
            return nil
        }
        var alreadyRan = Duration.zero
        if status.state == .running {
            let now = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
            alreadyRan = .milliseconds(Int64(now - min(now, status.updatedAt.rawValue)))
        }
        return Adoption(
            request: RunRequest(job: leftover.job, attempt: leftover.attempt, epoch: leftover.epoch, node: node, spec: job.spec),
            alreadyRan: alreadyRan)
    }
}
