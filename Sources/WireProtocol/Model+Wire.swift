import ClusterModel
import NIOCore

// The records that carry `ClusterModel` values. A record is a `u32` byte length and its fields;
// a decoder skips the fields it does not know at the end of a record, so records grow the same
// way payloads do (`Protocol/README.md`, § Records).

extension WireReader {
    /// Reads `Resources`: `cpuMillis: i64`, `memoryBytes: i64`.
    mutating func readResources(_ cpuField: String, _ memoryField: String) throws(WireError) -> Resources {
        Resources(
            cpuMillis: try self.readInteger(cpuField, as: Int64.self),
            memoryBytes: try self.readInteger(memoryField, as: Int64.self)
        )
    }

    /// Reads a `JobSpec` record.
    mutating func readJobSpec() throws(WireError) -> JobSpec {
        try self.readRecord("JobSpec", limit: WireLimits.maxJobSpecBytes) { (r: inout WireReader) throws(WireError) in
            let name = try r.readOptional("JobSpec.name") { (r: inout WireReader) throws(WireError) in
                try r.readString("JobSpec.name", limit: WireLimits.maxNameBytes)
            }
            let runtime = try r.readEnum("JobSpec.runtime", as: Runtime.self)
            let image = try r.readOptional("JobSpec.image") { (r: inout WireReader) throws(WireError) in
                try r.readString("JobSpec.image", limit: WireLimits.maxImageBytes)
            }
            let command: JobCommand
            switch try r.readInteger("JobSpec.command", as: UInt8.self) {
            case 1:
                let count = try r.readCount("JobSpec.argv", limit: WireLimits.maxArgvCount, minimumItemBytes: 4)
                var argv: [String] = []
                argv.reserveCapacity(count)
                for _ in 0..<count {
                    argv.append(try r.readString("JobSpec.argv[]", limit: WireLimits.maxArgBytes, wideLength: true))
                }
                command = .argv(argv)
            case 2:
                command = .script(try r.readString("JobSpec.script", limit: WireLimits.maxScriptBytes, wideLength: true))
            case let other:
                throw WireError.invalidValue(field: "JobSpec.command", detail: "unknown command kind \(other)")
            }
            var spec = JobSpec(
                name: name,
                runtime: runtime,
                image: image,
                command: command,
                environment: try r.readMap(
                    "JobSpec.environment",
                    limit: WireLimits.maxEnvCount,
                    keyLimit: WireLimits.maxEnvKeyBytes,
                    valueLimit: WireLimits.maxEnvValueBytes
                ),
                labels: try r.readJobLabels("JobSpec.labels"),
                nodeSelector: try r.readJobLabels("JobSpec.nodeSelector"),
                resources: try r.readResources("JobSpec.resources.cpuMillis", "JobSpec.resources.memoryBytes"),
                priority: try r.readInteger("JobSpec.priority"),
                maxAttempts: try r.readInteger("JobSpec.maxAttempts"),
                timeoutSeconds: try r.readInteger("JobSpec.timeoutSeconds"),
                networkMode: try r.readEnum("JobSpec.networkMode")
            )
            // Appended fields: a peer that predates them ends the record here (the defaults hold).
            if r.remainingBytes > 0 {
                spec.maxNodeLosses = try r.readInteger("JobSpec.maxNodeLosses")
                spec.retryDelaySeconds = try r.readInteger("JobSpec.retryDelaySeconds")
                spec.retryDelayMaxSeconds = try r.readInteger("JobSpec.retryDelayMaxSeconds")
            }
            return spec
        }
    }

    /// Reads a job's label map or node selector.
    mutating func readJobLabels(_ field: String) throws(WireError) -> [String: String] {
        try self.readMap(
            field,
            limit: WireLimits.maxJobLabelCount,
            keyLimit: WireLimits.maxJobLabelKeyBytes,
            valueLimit: WireLimits.maxJobLabelValueBytes
        )
    }

    /// Reads a node's label map.
    mutating func readNodeLabels(_ field: String) throws(WireError) -> [String: String] {
        try self.readMap(
            field,
            limit: WireLimits.maxNodeLabelCount,
            keyLimit: WireLimits.maxNodeLabelKeyBytes,
            valueLimit: WireLimits.maxNodeLabelValueBytes
        )
    }

    /// Reads a `JobStatus` record.
    mutating func readJobStatus() throws(WireError) -> JobStatus {
        try self.readRecord("JobStatus", limit: WireLimits.maxSmallRecordBytes) { (r: inout WireReader) throws(WireError) in
            var status = JobStatus(
                state: try r.readEnum("JobStatus.state"),
                node: try r.readOptional("JobStatus.node") { (r: inout WireReader) throws(WireError) in
                    NodeID(try r.readID("JobStatus.node"))
                },
                attempt: try r.readInteger("JobStatus.attempt"),
                epoch: Epoch(try r.readInteger("JobStatus.epoch")),
                exitCode: try r.readOptional("JobStatus.exitCode") { (r: inout WireReader) throws(WireError) in
                    try r.readInteger("JobStatus.exitCode", as: Int32.self)
                },
                message: try r.readString("JobStatus.message", limit: WireLimits.maxMessageBytes),
                submittedAt: UnixMillis(try r.readInteger("JobStatus.submittedAt")),
                updatedAt: UnixMillis(try r.readInteger("JobStatus.updatedAt"))
            )
            // Appended fields: a peer that predates them ends the record here.
            if r.remainingBytes > 0 {
                status.failures = try r.readInteger("JobStatus.failures")
                status.nodeLosses = try r.readInteger("JobStatus.nodeLosses")
                status.retryAt = Self.optionalTime(try r.readInteger("JobStatus.retryAt"))
                status.startedAt = Self.optionalTime(try r.readInteger("JobStatus.startedAt"))
            }
            return status
        }
    }

    /// A time on the wire where 0 means "none".
    static func optionalTime(_ millis: UInt64) -> UnixMillis? {
        millis == 0 ? nil : UnixMillis(millis)
    }

    /// Reads an `AttemptRecord`.
    mutating func readAttemptRecord() throws(WireError) -> AttemptRecord {
        try self.readRecord("AttemptRecord", limit: WireLimits.maxSmallRecordBytes) { (r: inout WireReader) throws(WireError) in
            AttemptRecord(
                number: try r.readInteger("AttemptRecord.number"),
                node: NodeID(try r.readID("AttemptRecord.node")),
                startedAt: Self.optionalTime(try r.readInteger("AttemptRecord.startedAt")),
                endedAt: UnixMillis(try r.readInteger("AttemptRecord.endedAt")),
                outcome: try r.readEnum("AttemptRecord.outcome"),
                exitCode: try r.readOptional("AttemptRecord.exitCode") { (r: inout WireReader) throws(WireError) in
                    try r.readInteger("AttemptRecord.exitCode", as: Int32.self)
                },
                reason: try r.readString("AttemptRecord.reason", limit: WireLimits.maxMessageBytes)
            )
        }
    }

    /// Reads a `JobSummary` record: id, optional name, status record.
    mutating func readJobSummary() throws(WireError) -> JobSummary {
        try self.readRecord("JobSummary", limit: WireLimits.maxSmallRecordBytes) { (r: inout WireReader) throws(WireError) in
            JobSummary(
                id: JobID(try r.readID("JobSummary.id")),
                name: try r.readOptional("JobSummary.name") { (r: inout WireReader) throws(WireError) in
                    try r.readString("JobSummary.name", limit: WireLimits.maxNameBytes)
                },
                status: try r.readJobStatus()
            )
        }
    }

    /// Reads a `NodeStatus` record.
    mutating func readNodeStatus() throws(WireError) -> NodeStatus {
        try self.readRecord("NodeStatus", limit: WireLimits.maxSmallRecordBytes) { (r: inout WireReader) throws(WireError) in
            let descriptor = NodeDescriptor(
                id: NodeID(try r.readID("NodeStatus.id")),
                address: try r.readString("NodeStatus.address", limit: WireLimits.maxAddressBytes),
                capacity: try r.readResources("NodeStatus.capacity.cpuMillis", "NodeStatus.capacity.memoryBytes"),
                labels: try r.readNodeLabels("NodeStatus.labels"),
                runtimes: try r.readEnumSet("NodeStatus.runtimes", mask: UInt8.self),
                version: try r.readString("NodeStatus.version", limit: WireLimits.maxVersionBytes)
            )
            var status = NodeStatus(
                descriptor: descriptor,
                allocated: try r.readResources("NodeStatus.allocated.cpuMillis", "NodeStatus.allocated.memoryBytes"),
                jobCount: try r.readInteger("NodeStatus.jobCount")
            )
            let draining = try r.readBool("NodeStatus.draining")
            status.connected = try r.readBool("NodeStatus.connected")
            // Appended fields: a peer that predates them ends the record here, and says only
            // whether the node drains.
            if r.remainingBytes > 0 {
                status.descriptor.registeredAt = Self.optionalTime(try r.readInteger("NodeStatus.registeredAt"))
                status.drain = try r.readOptional("NodeStatus.drain") { (r: inout WireReader) throws(WireError) in
                    try r.readNodeDrain("NodeStatus.drain")
                }
            } else if draining {
                status.drain = NodeDrain(origin: .user, since: UnixMillis(0))
            }
            return status
        }
    }
}

extension ByteBuffer {
    /// Writes `Resources`: `cpuMillis: i64`, `memoryBytes: i64`.
    mutating func writeWireResources(_ resources: Resources) {
        self.writeInteger(resources.cpuMillis)
        self.writeInteger(resources.memoryBytes)
    }

    /// Writes a job's label map or node selector.
    mutating func writeWireJobLabels(_ labels: [String: String], field: String) throws(WireError) {
        try self.writeWireMap(
            labels,
            field: field,
            limit: WireLimits.maxJobLabelCount,
            keyLimit: WireLimits.maxJobLabelKeyBytes,
            valueLimit: WireLimits.maxJobLabelValueBytes
        )
    }

    /// Writes a node's label map.
    mutating func writeWireNodeLabels(_ labels: [String: String], field: String) throws(WireError) {
        try self.writeWireMap(
            labels,
            field: field,
            limit: WireLimits.maxNodeLabelCount,
            keyLimit: WireLimits.maxNodeLabelKeyBytes,
            valueLimit: WireLimits.maxNodeLabelValueBytes
        )
    }

    /// Writes a `JobSpec` record.
    mutating func writeWireJobSpec(_ spec: JobSpec) throws(WireError) {
        try self.writeWireRecord(field: "JobSpec", limit: WireLimits.maxJobSpecBytes) { (b: inout ByteBuffer) throws(WireError) in
            try b.writeWireOptional(spec.name) { (b: inout ByteBuffer, name: String) throws(WireError) in
                try b.writeWireString(name, field: "JobSpec.name", limit: WireLimits.maxNameBytes)
            }
            b.writeWireEnum(spec.runtime)
            try b.writeWireOptional(spec.image) { (b: inout ByteBuffer, image: String) throws(WireError) in
                try b.writeWireString(image, field: "JobSpec.image", limit: WireLimits.maxImageBytes)
            }
            switch spec.command {
            case .argv(let argv):
                b.writeInteger(UInt8(1))
                try b.writeWireCount(argv.count, field: "JobSpec.argv", limit: WireLimits.maxArgvCount)
                for argument in argv {
                    try b.writeWireString(argument, field: "JobSpec.argv[]", limit: WireLimits.maxArgBytes, wideLength: true)
                }
            case .script(let script):
                b.writeInteger(UInt8(2))
                try b.writeWireString(script, field: "JobSpec.script", limit: WireLimits.maxScriptBytes, wideLength: true)
            }
            try b.writeWireMap(
                spec.environment,
                field: "JobSpec.environment",
                limit: WireLimits.maxEnvCount,
                keyLimit: WireLimits.maxEnvKeyBytes,
                valueLimit: WireLimits.maxEnvValueBytes
            )
            try b.writeWireJobLabels(spec.labels, field: "JobSpec.labels")
            try b.writeWireJobLabels(spec.nodeSelector, field: "JobSpec.nodeSelector")
            b.writeWireResources(spec.resources)
            b.writeInteger(spec.priority)
            b.writeInteger(spec.maxAttempts)
            b.writeInteger(spec.timeoutSeconds)
            b.writeWireEnum(spec.networkMode)
            b.writeInteger(spec.maxNodeLosses)
            b.writeInteger(spec.retryDelaySeconds)
            b.writeInteger(spec.retryDelayMaxSeconds)
        }
    }

    /// Writes a `JobStatus` record.
    mutating func writeWireJobStatus(_ status: JobStatus) throws(WireError) {
        try self.writeWireRecord(field: "JobStatus", limit: WireLimits.maxSmallRecordBytes) { (b: inout ByteBuffer) throws(WireError) in
            b.writeWireEnum(status.state)
            try b.writeWireOptional(status.node) { (b: inout ByteBuffer, node: NodeID) throws(WireError) in
                try b.writeWireID(node.rawValue, field: "JobStatus.node")
            }
            b.writeInteger(status.attempt)
            b.writeInteger(status.epoch.rawValue)
            try b.writeWireOptional(status.exitCode) { (b: inout ByteBuffer, code: Int32) throws(WireError) in
                b.writeInteger(code)
            }
            try b.writeWireString(status.message, field: "JobStatus.message", limit: WireLimits.maxMessageBytes)
            b.writeInteger(status.submittedAt.rawValue)
            b.writeInteger(status.updatedAt.rawValue)
            b.writeInteger(status.failures)
            b.writeInteger(status.nodeLosses)
            b.writeInteger(status.retryAt?.rawValue ?? 0)
            b.writeInteger(status.startedAt?.rawValue ?? 0)
        }
    }

    /// Writes an `AttemptRecord`.
    mutating func writeWireAttemptRecord(_ attempt: AttemptRecord) throws(WireError) {
        try self.writeWireRecord(field: "AttemptRecord", limit: WireLimits.maxSmallRecordBytes) { (b: inout ByteBuffer) throws(WireError) in
            b.writeInteger(attempt.number)
            try b.writeWireID(attempt.node.rawValue, field: "AttemptRecord.node")
            b.writeInteger(attempt.startedAt?.rawValue ?? 0)
            b.writeInteger(attempt.endedAt.rawValue)
            b.writeWireEnum(attempt.outcome)
            try b.writeWireOptional(attempt.exitCode) { (b: inout ByteBuffer, code: Int32) throws(WireError) in
                b.writeInteger(code)
            }
            try b.writeWireString(attempt.reason, field: "AttemptRecord.reason", limit: WireLimits.maxMessageBytes)
        }
    }

    /// Writes a `JobSummary` record.
    mutating func writeWireJobSummary(_ summary: JobSummary) throws(WireError) {
        try self.writeWireRecord(field: "JobSummary", limit: WireLimits.maxSmallRecordBytes) { (b: inout ByteBuffer) throws(WireError) in
            try b.writeWireID(summary.id.rawValue, field: "JobSummary.id")
            try b.writeWireOptional(summary.name) { (b: inout ByteBuffer, name: String) throws(WireError) in
                try b.writeWireString(name, field: "JobSummary.name", limit: WireLimits.maxNameBytes)
            }
            try b.writeWireJobStatus(summary.status)
        }
    }

    /// Writes a `NodeStatus` record.
    mutating func writeWireNodeStatus(_ node: NodeStatus) throws(WireError) {
        try self.writeWireRecord(field: "NodeStatus", limit: WireLimits.maxSmallRecordBytes) { (b: inout ByteBuffer) throws(WireError) in
            let descriptor = node.descriptor
            try b.writeWireID(descriptor.id.rawValue, field: "NodeStatus.id")
            try b.writeWireString(descriptor.address, field: "NodeStatus.address", limit: WireLimits.maxAddressBytes)
            b.writeWireResources(descriptor.capacity)
            try b.writeWireNodeLabels(descriptor.labels, field: "NodeStatus.labels")
            b.writeWireEnumSet(descriptor.runtimes, mask: UInt8.self)
            try b.writeWireString(descriptor.version, field: "NodeStatus.version", limit: WireLimits.maxVersionBytes)
            b.writeWireResources(node.allocated)
            b.writeInteger(node.jobCount)
            b.writeWireBool(node.draining)
            b.writeWireBool(node.connected)
            b.writeInteger(descriptor.registeredAt?.rawValue ?? 0)
            try b.writeWireOptional(node.drain) { (b: inout ByteBuffer, drain: NodeDrain) in b.writeWireNodeDrain(drain) }
        }
    }
}
