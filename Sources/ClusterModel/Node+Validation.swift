extension NodeDescriptor {
    /// Checks what a worker declares before the leader schedules on it: capacity within
    /// ``QuantityLimits`` (so that placement arithmetic cannot overflow), an id, and labels within
    /// ``JobSpecLimits``. The leader skips a node that fails, with this sentence in its log.
    public func validate() throws(JobSpecError) {
        guard !id.rawValue.isEmpty, id.rawValue.utf8.count <= JobSpecLimits.maxNameBytes else {
            throw JobSpecError("node id '\(id.rawValue.prefix(64))' must be 1 to \(JobSpecLimits.maxNameBytes) bytes: start the worker with another --id")
        }
        let cpu = capacity.cpuMillis
        guard cpu > 0, cpu <= QuantityLimits.maxCPUMillis else {
            throw JobSpecError("node \(id.rawValue) declares \(cpu)m of CPU: a node offers 1m to \(QuantityLimits.maxCPUMillis)m (start its worker with a --cpu in that range)")
        }
        let memory = capacity.memoryBytes
        guard memory > 0, memory <= QuantityLimits.maxMemoryBytes else {
            throw JobSpecError("node \(id.rawValue) declares \(memory) bytes of memory: a node offers 1 byte to \(QuantityLimits.maxMemoryBytes) (1Pi; start its worker with a --memory in that range)")
        }
        guard labels.count <= JobSpecLimits.maxLabels else {
            throw JobSpecError("node \(id.rawValue) has \(labels.count) labels, more than \(JobSpecLimits.maxLabels): drop some --label flags")
        }
        for (key, value) in labels where key.isEmpty || key.utf8.count > JobSpecLimits.maxNameBytes || value.utf8.count > JobSpecLimits.maxValueBytes {
            throw JobSpecError("node \(id.rawValue) has a label '\(key.prefix(64))' whose key is empty or too long, or whose value is too long: keys up to \(JobSpecLimits.maxNameBytes) bytes, values up to \(JobSpecLimits.maxValueBytes)")
        }
    }
}
