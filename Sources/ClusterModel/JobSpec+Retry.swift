/// The defaults of a job's two budgets and of its retry back-off.
///
/// An attempt lost to the infrastructure (its node lost, its worker fenced) is not the job's
/// fault: like a pod on a lost node that the Kubernetes Job controller replaces, or a Nomad
/// allocation on a down node, it runs again at once and does not count against `maxAttempts`.
/// It counts against `maxNodeLosses` instead, which only stops a job that keeps taking nodes
/// down with it (a job that exhausts a host's memory or disk, say) after five of them.
///
/// A job's own failure is retried after a delay, as Kubernetes (10 s doubling, capped at 6 min)
/// and Nomad (5 s for batch jobs) do, so that a job failing at once cannot burn its attempts in
/// milliseconds or keep the scheduler busy.
public enum RetryDefaults {
    /// Attempts a job may lose to the infrastructure and still run again.
    public static let maxNodeLosses: UInt32 = 5
    /// Seconds before the first retry after an own failure.
    public static let retryDelaySeconds: UInt32 = 5
    /// The longest delay before a retry: 5 minutes.
    public static let retryDelayMaxSeconds: UInt32 = 300
}

extension JobSpec {
    /// Milliseconds to wait before retrying after the job's `failures`-th own failure (from 1):
    /// ``retryDelaySeconds`` doubled per earlier failure, capped at ``retryDelayMaxSeconds``,
    /// then spread by a jitter of −20 % … +20 % that depends only on `job` and `failures`, so
    /// that jobs failing together do not come back together and the leader's decision is the
    /// same whenever it is replayed. Never more than the cap, never negative.
    public func retryDelayMillis(afterFailure failures: UInt32, of job: JobID) -> UInt64 {
        let initial = UInt64(retryDelaySeconds) * 1000
        let cap = UInt64(max(retryDelayMaxSeconds, retryDelaySeconds)) * 1000
        guard initial > 0 else { return 0 }
        // 2^20 × the largest initial delay (a day) still fits; the cap applies long before.
        let doublings = UInt64(min(max(failures, 1) - 1, 20))
        let base = min(initial << doublings, cap)
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a: stable across processes, unlike Hasher
        for byte in job.rawValue.utf8 + [UInt8(truncatingIfNeeded: failures), UInt8(truncatingIfNeeded: failures >> 8)] {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
        }
        let permille = 800 + hash % 401  // 800 … 1200
        return min(base * permille / 1000, cap)
    }
}
