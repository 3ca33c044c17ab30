import ClusterModel
import EtcdClient
import Foundation

/// A job's record in etcd: ``JobDetails`` as JSON.
///
/// Encoding is hand-written because it is on the placement path (one record per job write, and
/// Foundation's `JSONEncoder` took over a third of the leader's CPU at 8,000 jobs/s). The output is
/// exactly what `JSONEncoder` would accept back: decoding uses `JSONDecoder`, and a test checks
/// that every encoded record decodes to the value it came from.
public enum JobRecord {
    /// The record's bytes.
    public static func encode(_ job: JobDetails, nodeLease: Int64? = nil) -> [UInt8] {
        var out = JSONWriter()
        out.beginObject()
        out.key("id"); out.string(job.id.rawValue)
        if let nodeLease { out.key("nodeLease"); out.number(nodeLease) }
        out.key("spec"); encode(job.spec, into: &out)
        out.key("status"); encode(job.status, into: &out)
        if !job.attempts.isEmpty {
            out.key("attempts")
            out.beginArray()
            for attempt in job.attempts { encode(attempt, into: &out) }
            out.endArray()
        }
        out.endObject()
        return out.bytes
    }

    /// Decodes a record.
    public static func decode(_ bytes: [UInt8]) throws -> JobDetails {
        try JSONDecoder().decode(JobDetails.self, from: Data(bytes))
    }

    /// Decodes a record and the lease of the node incarnation it was placed on, if it says.
    public static func decodeWithLease(_ bytes: [UInt8]) throws -> (JobDetails, Int64?) {
        struct Lease: Decodable { var nodeLease: Int64? }
        let data = Data(bytes)
        return (try JSONDecoder().decode(JobDetails.self, from: data), try JSONDecoder().decode(Lease.self, from: data).nodeLease)
    }

    private static func encode(_ spec: JobSpec, into out: inout JSONWriter) {
        out.beginObject()
        do {
            if let name = spec.name { out.key("name"); out.string(name) }
            out.key("runtime"); out.string(spec.runtime.rawValue)
            if let image = spec.image { out.key("image"); out.string(image) }
            out.key("command")
            out.beginObject()
            switch spec.command {
            case let .argv(argv):
                out.key("argv"); out.strings(argv)
            case let .script(script):
                out.key("script"); out.string(script)
            }
            out.endObject()
            out.key("environment"); out.map(spec.environment)
            out.key("labels"); out.map(spec.labels)
            out.key("nodeSelector"); out.map(spec.nodeSelector)
            out.key("resources")
            out.beginObject()
            out.key("cpuMillis"); out.number(spec.resources.cpuMillis)
            out.key("memoryBytes"); out.number(spec.resources.memoryBytes)
            out.endObject()
            out.key("priority"); out.number(Int64(spec.priority))
            out.key("maxAttempts"); out.number(Int64(spec.maxAttempts))
            out.key("timeoutSeconds"); out.number(Int64(spec.timeoutSeconds))
            out.key("networkMode"); out.string(spec.networkMode.rawValue)
            out.key("maxNodeLosses"); out.number(Int64(spec.maxNodeLosses))
            out.key("retryDelaySeconds"); out.number(Int64(spec.retryDelaySeconds))
            out.key("retryDelayMaxSeconds"); out.number(Int64(spec.retryDelayMaxSeconds))
        }
        out.endObject()
    }

    private static func encode(_ status: JobStatus, into out: inout JSONWriter) {
        out.beginObject()
        do {
            out.key("state"); out.string(status.state.rawValue)
            if let node = status.node { out.key("node"); out.string(node.rawValue) }
            out.key("attempt"); out.number(Int64(status.attempt))
            out.key("epoch"); out.unsigned(status.epoch.rawValue)
            if let exitCode = status.exitCode { out.key("exitCode"); out.number(Int64(exitCode)) }
            out.key("message"); out.string(status.message)
            out.key("submittedAt"); out.unsigned(status.submittedAt.rawValue)
            out.key("updatedAt"); out.unsigned(status.updatedAt.rawValue)
            out.key("failures"); out.number(Int64(status.failures))
            out.key("nodeLosses"); out.number(Int64(status.nodeLosses))
            if let retryAt = status.retryAt { out.key("retryAt"); out.unsigned(retryAt.rawValue) }
            if let startedAt = status.startedAt { out.key("startedAt"); out.unsigned(startedAt.rawValue) }
        }
        out.endObject()
    }

    private static func encode(_ attempt: AttemptRecord, into out: inout JSONWriter) {
        out.beginObject()
        do {
            out.key("number"); out.number(Int64(attempt.number))
            out.key("node"); out.string(attempt.node.rawValue)
            if let startedAt = attempt.startedAt { out.key("startedAt"); out.unsigned(startedAt.rawValue) }
            out.key("endedAt"); out.unsigned(attempt.endedAt.rawValue)
            out.key("outcome"); out.string(attempt.outcome.rawValue)
            if let exitCode = attempt.exitCode { out.key("exitCode"); out.number(Int64(exitCode)) }
            out.key("reason"); out.string(attempt.reason)
        }
        out.endObject()
    }
}
