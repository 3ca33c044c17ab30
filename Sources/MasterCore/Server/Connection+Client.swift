import ClusterModel
import NIOCore
import WireProtocol

extension Connection {
    /// Serves one client request; the answer (or an `Error` echoing its correlation id) goes to
    /// the outbox. Requests on one connection are answered in order.
    func handleClient(_ message: WireMessage) async throws {
        let scheduler = context.scheduler
        switch message {
        case let .submitJobs(request):
            let outcomes = await scheduler.submit(request.jobs)
            outbox.send(.submitResult(SubmitResult(correlationID: request.correlationID, results: outcomes)))
        case let .getJob(request):
            var found = await scheduler.job(request.jobID)
            if found == nil { found = try await context.queries.job(request.jobID) }
            if let job = found {
                outbox.send(.jobInfo(JobInfoMessage(correlationID: request.correlationID, job: job)))
            } else {
                fail(request.correlationID, .notFound, "job \(request.jobID.rawValue) does not exist: check the id with titan-cli list")
            }
        case let .listJobs(request):
            let page = try await context.queries.list(request, live: scheduler)
            outbox.send(.jobList(JobList(correlationID: request.correlationID, jobs: page.jobs, nextAfter: page.nextAfter)))
        case let .cancelJob(request):
            if let outcome = try await scheduler.cancel(request.jobID) {
                let state = await scheduler.job(request.jobID)?.status.state ?? .cancelled
                outbox.send(.cancelResult(CancelResult(correlationID: request.correlationID, jobID: request.jobID, outcome: outcome, state: state)))
            } else if let job = try await context.queries.job(request.jobID) {
                outbox.send(.cancelResult(CancelResult(correlationID: request.correlationID, jobID: request.jobID, outcome: .alreadyFinal, state: job.status.state)))
            } else {
                fail(request.correlationID, .notFound, "job \(request.jobID.rawValue) does not exist: check the id with titan-cli list")
            }
        case let .listNodes(request):
            outbox.send(.nodeList(NodeList(correlationID: request.correlationID, nodes: await scheduler.nodes())))
        case let .drainNode(request):
            if let result = try await scheduler.drain(request.nodeID, deadlineMillis: request.deadlineMillis, correlationID: request.correlationID) {
                outbox.send(.drainResult(result))
            } else {
                fail(request.correlationID, .notFound, "node \(request.nodeID.rawValue) is not registered: check the name with titan-cli nodes")
            }
        case let .uncordonNode(request):
            if let result = try await scheduler.uncordon(request.nodeID, correlationID: request.correlationID) {
                outbox.send(.drainResult(result))
            } else {
                fail(request.correlationID, .notFound, "node \(request.nodeID.rawValue) is not registered: check the name with titan-cli nodes")
            }
        case let .watchJobs(request):
            await scheduler.subscribe(outbox, jobs: request.jobIDs.isEmpty ? nil : Set(request.jobIDs))
            outbox.send(.subscribed(Subscribed(correlationID: request.correlationID)))
        case let .followLogs(request):
            try await follow(request)
        case let .ping(ping):
            outbox.send(.pong(ping))
        case .pong:
            break
        default:
            fail(message.correlationID ?? 0, .invalidRequest, "\(message.type.name ?? "an unknown message") is not a request a client sends")
        }
    }

    /// `FollowLogs`: registers the follower first (so no live chunk is missed), sends the
    /// archive from `fromSeq`, then hands over to the archiver for the live chunks and `LogEnd`.
    private func follow(_ request: FollowLogs) async throws {
        guard !request.streams.isEmpty else {
            return fail(request.correlationID, .invalidRequest, "FollowLogs asks for no stream: ask for stdout, stderr or both")
        }
        var found = await context.scheduler.job(request.jobID)
        if found == nil { found = try await context.queries.job(request.jobID) }
        guard let job = found else {
            return fail(request.correlationID, .notFound, "job \(request.jobID.rawValue) does not exist: check the id with titan-cli list")
        }
        let attempt = request.attempt == 0 ? job.status.attempt : request.attempt
        guard attempt <= job.status.attempt else {
            return fail(request.correlationID, .invalidRequest, "job \(request.jobID.rawValue) has no attempt \(attempt): its attempts are 1 to \(job.status.attempt)")
        }
        let archiver = context.archiver
        let id = await archiver.follow(job: job.id, attempt: attempt, streams: request.streams, from: request.fromSeq, outbox: outbox)
        outbox.send(.subscribed(Subscribed(correlationID: request.correlationID)))
        // What the job is now, read after registering: an end from now on reaches the follower.
        var latest = await context.scheduler.job(request.jobID)
        if latest == nil { latest = try await context.queries.job(request.jobID) }
        if let status = latest?.status {
            await archiver.jobChanged(job.id, status: status)
        }
        let outbox = self.outbox
        let next = try await context.queries.archivedLogs(of: job.id, attempt: attempt, from: request.fromSeq) { record in
            guard request.streams.contains(record.stream) else { return }
            outbox.send(.logChunk(LogChunk(record, job: job.id, attempt: attempt)))
        }
        await archiver.caughtUp(id, job: job.id, attempt: attempt, next: next)
    }

    func fail(_ correlationID: UInt64, _ code: WireErrorCode, _ text: String) {
        outbox.send(.error(ErrorMessage(correlationID: correlationID, code: code, message: text)))
    }
}
