import ClusterModel
import DockerClient

extension DockerRuntime {
    /// Removes the stopped container of `request`, passing the gate (so that removals wait behind
    /// the creates and starts queued before them). Call it once the attempt's outcome is safe;
    /// a container that is already gone is fine. Cancelled, it removes without waiting its turn.
    public func release(_ request: RunRequest) async throws {
        try await self.remove(DockerContainerPlan(request).name)
    }

    /// The containers labelled for `node`, running or stopped: what an earlier process of this
    /// node left when it died. A container whose labels do not name an attempt is removed at once.
    public func leftovers(node: NodeID) async throws -> [LeftoverAttempt] {
        var found: [LeftoverAttempt] = []
        for container in try await client.listContainers(labels: ["titan.node": node.rawValue], all: true) {
            guard
                let job = container.labels["titan.job"].map({ JobID($0) }),
                let attempt = container.labels["titan.attempt"].flatMap(UInt32.init),
                let epoch = container.labels["titan.epoch"].flatMap(UInt64.init)
            else {
                try await self.remove(container.id)
                continue
            }
            found.append(LeftoverAttempt(job: job, attempt: attempt, epoch: Epoch(epoch), runtimeID: container.id))
        }
        return found
    }

    /// Kills and removes a leftover container.
    public func discard(_ leftover: LeftoverAttempt) async throws {
        try await self.remove(leftover.runtimeID)
    }

    /// Supervises the leftover container of `request` to its end, as `run` does once its own
    /// container has started: output (read from the engine's log of it, from the byte after
    /// `skipping` of each stream), kill on cancellation, status. A container that has stopped
    /// meanwhile delivers its output and status at once; one that is gone throws `notFound`.
    public func resume(_ request: RunRequest, skipping: OutputOffsets, output: @escaping JobOutputHandler) async throws -> ExitStatus {
        try await self.supervise(DockerContainerPlan(request).name, output: output, skipping: skipping)
    }

    private func remove(_ container: String) async throws {
        let client = self.client
        do {
            try await self.gate.acquire()
        } catch {
            try await withoutCancellation { _ = try await client.removeContainer(container, force: true) }
            return
        }
        defer { self.gate.release() }
        try await withoutCancellation { _ = try await client.removeContainer(container, force: true) }
    }
}
