extension EtcdClient {
    /// Keeps lease `id` alive until it is lost or the calling task is cancelled.
    ///
    /// Run it in a child task next to the work that needs the lease, so that losing the lease
    /// cancels that work through the task tree:
    /// ```swift
    /// try await withThrowingTaskGroup(of: Void.self) { group in
    ///     group.addTask { try await client.keepAlive(id: lease.id) }
    ///     group.addTask { try await leadTheCluster() }
    ///     try await group.next()          // the first to end (or throw) ends both
    ///     group.cancelAll()
    /// }
    /// ```
    ///
    /// It renews every `interval` (by default a third of the TTL etcd reports). When a renewal
    /// fails (etcd unreachable, no leader) it retries every half second; it gives up when etcd
    /// says the lease is gone, or when no renewal has succeeded for a whole TTL, since etcd has
    /// then expired the lease. `onRenewal` runs after each successful renewal (a worker tells
    /// its node guard).
    ///
    /// - Throws: ``EtcdError/leaseLost(id:)`` when the lease is gone; `CancellationError` when
    ///   the calling task is cancelled; the etcd error when the very first renewal cannot reach
    ///   etcd. It never returns normally.
    public func keepAlive(id: Int64, interval: Duration? = nil, onRenewal: @Sendable () async -> Void = {}) async throws -> Never {
        let clock = ContinuousClock()
        var ttl = try await renew(id: id, timeout: requestTimeout)
        var lastRenewal = clock.now
        await onRenewal()
        var pause = interval ?? Self.renewInterval(ttl: ttl)
        while true {
            try await Task.sleep(for: pause)
            let leftUntilExpiry = Duration.seconds(ttl) - (clock.now - lastRenewal)
            guard leftUntilExpiry > .zero else {
                throw EtcdError.leaseLost(id: id)
            }
            do {
                // A renewal that takes longer than the lease has left is useless.
                ttl = try await renew(id: id, timeout: leftUntilExpiry)
                lastRenewal = clock.now
                await onRenewal()
                pause = interval ?? Self.renewInterval(ttl: ttl)
            } catch let error as EtcdError where error.isTransient {
                // Give up at the TTL itself, not at the next retry: whoever acts on a lease
                // that ran out (the leader, a node guard) must find this holder gone already.
                let left = Duration.seconds(ttl) - (clock.now - lastRenewal)
                guard left > .zero else { throw EtcdError.leaseLost(id: id) }
                pause = min(.milliseconds(500), left)
            }
        }
    }

    /// One renewal: the TTL left, or ``EtcdError/leaseLost(id:)`` when etcd no longer has the lease.
    private func renew(id: Int64, timeout: Duration) async throws -> Int64 {
        let ttl: Int64
        do {
            ttl = try await keepAliveOnce(id: id, timeout: timeout)
        } catch EtcdError.leaseNotFound {
            throw EtcdError.leaseLost(id: id)
        }
        guard ttl > 0 else {
            throw EtcdError.leaseLost(id: id)
        }
        return ttl
    }

    /// A third of the TTL, so two renewals in a row may fail before the lease expires.
    static func renewInterval(ttl: Int64) -> Duration {
        .milliseconds(max(ttl, 1) * 1000 / 3)
    }
}

extension EtcdError {
    /// True for failures that say nothing about the lease or the data: etcd could not be
    /// reached or could not serve the request right now.
    public var isTransient: Bool {
        switch self {
        case .unreachable, .unavailable: return true
        default: return false
        }
    }
}
