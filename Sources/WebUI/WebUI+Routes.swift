import ClusterModel
import EtcdClient
import HTTPServing
import TitanClient
import WireProtocol

/// The leader's UI: pages, JSON and event streams.
///
/// | route | answer |
/// |---|---|
/// | `GET /`, `/app.js` (and `/app.css`, served before the login) | the page (jobs, a job, nodes are views of it: `#/jobs`, `#/jobs/ID`, `#/nodes`) |
/// | `GET /api/cluster` | leader, term, etcd's health |
/// | `GET /api/jobs?state=a,b&node=N&label=k=v,k2=v2` | up to 1,000 job summaries in id order |
/// | `GET /api/jobs/ID` | spec, status (why it waits), every attempt |
/// | `POST /api/jobs/ID/cancel` | the cancel's outcome |
/// | `GET /api/nodes` | every node |
/// | `GET /api/events` | server-sent events: `job` per job change |
/// | `GET /api/jobs/ID/log?attempt=N` | server-sent events: `chunk` per piece of output, then `end` |
extension WebUI {
    func route(_ request: HTTPRequest, leader: LeaderView, etcd: EtcdClient) async -> HTTPResponse {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let get = request.method == "GET"
        switch parts.count {
        case 0:
            return get ? .html(Pages.app) : .methodNotAllowed(request.method, allowed: "GET")
        case 1 where parts[0] == "app.js":
            return get ? .text(Pages.script, contentType: "text/javascript; charset=utf-8") : .methodNotAllowed(request.method, allowed: "GET")
        case 2 where parts[0] == "api":
            guard get else { return .methodNotAllowed(request.method, allowed: "GET") }
            switch parts[1] {
            case "cluster": return await cluster(leader: leader, etcd: etcd)
            case "jobs": return await jobs(request.query, leader: leader)
            case "nodes": return await answering { try await withLeader(leader) { try await $0.nodes() } }
            case "events": return jobEvents(leader: leader)
            default: return .notFound(request.path)
            }
        case 3 where parts[0] == "api" && parts[1] == "jobs":
            guard get else { return .methodNotAllowed(request.method, allowed: "GET") }
            let id = JobID(parts[2])
            return await answering { try await withLeader(leader) { try await JobView($0.job(id)) } }
        case 4 where parts[0] == "api" && parts[1] == "jobs" && parts[3] == "cancel":
            guard request.method == "POST" else { return .methodNotAllowed(request.method, allowed: "POST") }
            let id = JobID(parts[2])
            logger.info("web UI cancels a job", metadata: ["job.id": "\(id.rawValue)"])
            return await answering { try await withLeader(leader) { try await CancelAnswer($0.cancel(id)) } }
        case 4 where parts[0] == "api" && parts[1] == "jobs" && parts[3] == "log":
            guard get else { return .methodNotAllowed(request.method, allowed: "GET") }
            return logStream(JobID(parts[2]), request: request, leader: leader)
        default:
            return .notFound(request.path)
        }
    }

    /// `/api/cluster`: who leads, in which term, and whether etcd answers.
    private func cluster(leader: LeaderView, etcd: EtcdClient) async -> HTTPResponse {
        struct Health: Encodable {
            var healthy: Bool
            var version: String?
            var dbSizeBytes: Int64?
            var raftTerm: UInt64?
            var error: String?
        }
        struct Cluster: Encodable {
            var leader: LeaderView
            var etcd: Health
            var endpoints: [String]
        }
        let health: Health
        do {
            let status = try await etcd.status()
            health = Health(healthy: status.leader != 0, version: status.version, dbSizeBytes: status.dbSize, raftTerm: status.header.raftTerm,
                            error: status.leader == 0 ? "the member that answered has no raft leader" : nil)
        } catch {
            health = Health(healthy: false, error: "\(error)")
        }
        return .json(Cluster(leader: leader, etcd: health, endpoints: etcd.endpoints))
    }

    /// `/api/jobs`: filters from the query, up to 1,000 jobs.
    private func jobs(_ query: [String: String], leader: LeaderView) async -> HTTPResponse {
        var states: Set<JobState> = []
        for name in (query["state"] ?? "").split(separator: ",") {
            guard let state = JobState(rawValue: String(name)) else {
                return .text("state '\(name)' is unknown: use pending, scheduled, running, succeeded, failed, cancelled or lost\n", status: 400)
            }
            states.insert(state)
        }
        var labels: [String: String] = [:]
        for pair in (query["label"] ?? "").split(separator: ",") {
            let sides = pair.split(separator: "=", maxSplits: 1)
            guard sides.count == 2 else { return .text("label '\(pair)' is not key=value\n", status: 400) }
            labels[String(sides[0]).trimmed] = String(sides[1]).trimmed
        }
        let node = query["node"].flatMap { $0.isEmpty ? nil : NodeID($0) }
        let filter = states
        let selector = labels
        return await answering {
            try await withLeader(leader) { connection in
                let page = try await connection.listJobs(states: filter, node: node, labels: selector, limit: UInt16(WireLimits.maxListJobs))
                return JobPage(jobs: page.jobs, more: page.nextAfter != nil)
            }
        }
    }

    /// Runs a request to the leader and answers its result as JSON, or its failure as a sentence
    /// with a fitting status.
    private func answering(_ call: @Sendable () async throws -> some Encodable & Sendable) async -> HTTPResponse {
        do {
            return .json(try await call())
        } catch let TitanClientError.server(code, message) {
            return .text(message + "\n", status: code == .notFound ? 404 : code == .invalidRequest ? 400 : 502)
        } catch {
            return .text("the leader did not answer: \(error)\n", status: 502)
        }
    }
}

/// A job as the job page shows it: the spec with the environment's values left out (names
/// only: values may be secrets), its status and every attempt.
struct JobView: Encodable, Sendable {
    var id: String
    var name: String?
    var runtime: String
    var image: String?
    var command: String
    var isScript: Bool
    var environmentNames: [String]
    var labels: [String: String]
    var nodeSelector: [String: String]
    var resources: Resources
    var maxAttempts: UInt32
    var maxNodeLosses: UInt32
    var timeoutSeconds: UInt32
    var status: JobStatus
    var attempts: [AttemptRecord]

    init(_ details: JobDetails) {
        let spec = details.spec
        id = details.id.rawValue
        name = spec.name
        runtime = spec.runtime.rawValue
        image = spec.runtime == .docker ? spec.effectiveImage : nil
        switch spec.command {
        case let .argv(arguments):
            command = arguments.joined(separator: " ")
            isScript = false
        case let .script(script):
            command = script
            isScript = true
        }
        environmentNames = spec.environment.keys.sorted()
        labels = spec.labels
        nodeSelector = spec.nodeSelector
        resources = spec.resources
        maxAttempts = spec.maxAttempts
        maxNodeLosses = spec.maxNodeLosses
        timeoutSeconds = spec.timeoutSeconds
        status = details.status
        attempts = details.attempts
    }
}

/// One page of jobs and whether more matched than it holds.
struct JobPage: Encodable, Sendable {
    var jobs: [JobSummary]
    var more: Bool
}

/// A cancel's outcome as JSON.
struct CancelAnswer: Encodable, Sendable {
    var job: String
    var outcome: String
    var state: String

    init(_ result: CancelResult) {
        job = result.jobID.rawValue
        outcome = result.outcome.rawValue
        state = result.state.rawValue
    }
}

extension String {
    var trimmed: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
