/// A leader election on one key (Titan's `/titan/v1/leader`): the candidate that creates the key
/// under its lease leads until it resigns or its lease ends.
///
/// ```swift
/// let election = Election(client: client, key: "/titan/v1/leader")
/// let lease = try await client.grantLease(ttl: 10)
/// try await withThrowingTaskGroup(of: Void.self) { group in
///     group.addTask { try await client.keepAlive(id: lease.id) }   // throws leaseLost
///     let leadership = try await election.campaign(value: me, lease: lease.id)
///     group.addTask { try await lead(leadership) }
///     try await group.next()        // losing the lease ends the leader's work
///     group.cancelAll()
/// }
/// ```
///
/// Every write a leader makes should carry ``Leadership/stillLeads`` as a txn compare, so a
/// leader that lost its lease without noticing cannot write.
public struct Election: Sendable {
    /// The client the election talks through.
    public let client: EtcdClient
    /// The key whose holder leads.
    public let key: [UInt8]

    /// Creates an election on `key`.
    public init(client: EtcdClient, key: some EtcdBytes) {
        self.client = client
        self.key = key.etcdBytes
    }

    /// Waits until this candidate leads, then returns its ``Leadership``.
    ///
    /// Creates the key with `value` under `lease` if it is absent; otherwise watches the key
    /// until its holder deletes it (resigns, or its lease expires) and tries again. A key already
    /// held under the same lease (a restarted campaign) counts as won.
    ///
    /// - Throws: ``EtcdError/leaseNotFound(id:)`` when `lease` is gone; `CancellationError`
    ///   when the calling task is cancelled while waiting.
    public func campaign(value: some EtcdBytes, lease: Int64) async throws -> Leadership {
        let value = value.etcdBytes
        while true {
            let attempt = Txn()
                .when(.keyMissing(key))
                .then(.put(key: key, value: value, lease: lease))
                .orElse(.range(key: key))
            let response = try await client.txn(attempt)
            if response.succeeded {
                return Leadership(key: key, createRevision: response.header.revision, lease: lease)
            }
            guard let holder = response.responses.first?.rangeResponse?.kvs.first else {
                continue  // deleted between the compare and the read: try again at once
            }
            if holder.lease == lease {
                return Leadership(key: key, createRevision: holder.createRevision, lease: lease)
            }
            try await waitForDeletion(after: response.header.revision)
        }
    }

    /// The current leader's key-value, or `nil` when nobody leads.
    public func leader() async throws -> KeyValue? {
        try await client.get(key)
    }

    /// Replaces the leader's value (its address, say) if `leadership` still leads; returns false
    /// when it no longer does.
    public func proclaim(value: some EtcdBytes, as leadership: Leadership) async throws -> Bool {
        let txn = Txn()
            .when(leadership.stillLeads)
            .then(.put(key: key, value: value, lease: leadership.lease))
        return try await client.txn(txn).succeeded
    }

    /// Gives up `leadership` by deleting the key, if it still leads; the next candidate then wins.
    /// Returns false when it had already lost the lead.
    @discardableResult
    public func resign(_ leadership: Leadership) async throws -> Bool {
        try await client.txn(Txn().when(leadership.stillLeads).then(.delete(key: key))).succeeded
    }

    /// Returns once the key is deleted at a revision after `revision`.
    private func waitForDeletion(after revision: Int64) async throws {
        do {
            for try await response in client.watch(key: key, startRevision: revision + 1)
            where response.events.contains(where: { $0.kind == .delete }) {
                return
            }
        } catch EtcdError.compacted {
            return  // history is gone: look at the key again
        }
    }
}

/// Proof of having won an ``Election``: the key and the revision that created it.
public struct Leadership: Sendable, Equatable {
    /// The election key.
    public var key: [UInt8]
    /// The revision at which this candidate created the key; it changes if anyone re-creates it.
    public var createRevision: Int64
    /// The lease the key lives under.
    public var lease: Int64

    /// Creates a leadership record.
    public init(key: [UInt8], createRevision: Int64, lease: Int64) {
        self.key = key
        self.createRevision = createRevision
        self.lease = lease
    }

    /// A txn compare that holds only while this leadership lasts: add it to every leader write.
    public var stillLeads: Compare {
        .createRevision(key, .equal, createRevision)
    }
}
