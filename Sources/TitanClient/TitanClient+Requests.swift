import ClusterModel
import WireProtocol

extension TitanConnection {
    /// Submits a batch of at most ``WireLimits/maxSubmitBatch`` jobs; one outcome per job.
    public func submit(_ jobs: [JobSpec]) async throws -> [SubmitOutcome] {
        guard case let .submitResult(result) = try await request({ .submitJobs(SubmitJobs(correlationID: $0, jobs: jobs)) }) else {
            throw TitanClientError.protocolViolation("SubmitJobs was not answered with SubmitResult")
        }
        return result.results
    }

    /// A job's spec and status; throws `server(notFound, …)` for an unknown id.
    public func job(_ id: JobID) async throws -> JobDetails {
        guard case let .jobInfo(info) = try await request({ .getJob(GetJob(correlationID: $0, jobID: id)) }) else {
            throw TitanClientError.protocolViolation("GetJob was not answered with JobInfo")
        }
        return info.job
    }

    /// One page of jobs.
    public func listJobs(states: Set<JobState> = [], node: NodeID? = nil, labels: [String: String] = [:], after: JobID? = nil, limit: UInt16 = 100) async throws -> JobList {
        guard case let .jobList(list) = try await request({ .listJobs(ListJobs(correlationID: $0, states: states, node: node, after: after, limit: limit, labels: labels)) }) else {
            throw TitanClientError.protocolViolation("ListJobs was not answered with JobList")
        }
        return list
    }

    /// Cancels a job.
    public func cancel(_ id: JobID) async throws -> CancelResult {
        guard case let .cancelResult(result) = try await request({ .cancelJob(CancelJob(correlationID: $0, jobID: id)) }) else {
            throw TitanClientError.protocolViolation("CancelJob was not answered with CancelResult")
        }
        return result
    }

    /// Every registered node.
    public func nodes() async throws -> [NodeStatus] {
        guard case let .nodeList(list) = try await request({ .listNodes(ListNodes(correlationID: $0)) }) else {
            throw TitanClientError.protocolViolation("ListNodes was not answered with NodeList")
        }
        return list.nodes
    }

    /// Drains a node: it takes no new jobs; with `deadlineMillis`, the jobs still on it then
    /// run again elsewhere. An unknown node is ``TitanClientError/server(code:message:)`` with
    /// `notFound`.
    public func drain(_ node: NodeID, deadlineMillis: UInt64? = nil) async throws -> DrainResult {
        guard case let .drainResult(result) = try await request({ .drainNode(DrainNode(correlationID: $0, nodeID: node, deadlineMillis: deadlineMillis)) }) else {
            throw TitanClientError.protocolViolation("DrainNode was not answered with DrainResult")
        }
        return result
    }

    /// Makes a drained node schedulable again (and drops its pending deadline).
    public func uncordon(_ node: NodeID) async throws -> DrainResult {
        guard case let .drainResult(result) = try await request({ .uncordonNode(UncordonNode(correlationID: $0, nodeID: node)) }) else {
            throw TitanClientError.protocolViolation("UncordonNode was not answered with DrainResult")
        }
        return result
    }

    /// Subscribes to job events (all jobs when `jobs` is empty); they arrive on ``pushes``.
    public func watchJobs(_ jobs: [JobID] = []) async throws {
        guard case .subscribed = try await request({ .watchJobs(WatchJobs(correlationID: $0, jobIDs: jobs)) }) else {
            throw TitanClientError.protocolViolation("WatchJobs was not answered with Subscribed")
        }
    }

    /// Follows an attempt's output: once this returns, `pushes` carries its `LogChunk`s from
    /// `fromSeq` (archived, then live) and then one `LogEnd`.
    public func followLogs(_ job: JobID, attempt: UInt32, streams: Set<LogStreamKind>, fromSeq: UInt64) async throws {
        let request = FollowLogs(correlationID: 0, jobID: job, attempt: attempt, streams: streams, fromSeq: fromSeq)
        guard case .subscribed = try await self.request({ var follow = request; follow.correlationID = $0; return .followLogs(follow) }) else {
            throw TitanClientError.protocolViolation("FollowLogs was not answered with Subscribed")
        }
    }
}
