import ClusterModel
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
        case let .watchJobs(request):
            await scheduler.subscribe(outbox, jobs: request.jobIDs.isEmpty ? nil : Set(request.jobIDs))
            outbox.send(.subscribed(Subscribed(correlationID: request.correlationID)))
        case let .followLogs(request):
            fail(request.correlationID, .unavailable, "logs are not collected by this version of Titan yet")
        case let .ping(ping):
            outbox.send(.pong(ping))
        case .pong:
            break
        default:
            fail(message.correlationID ?? 0, .invalidRequest, "\(message.type.name ?? "an unknown message") is not a request a client sends")
        }
    }

    func fail(_ correlationID: UInt64, _ code: WireErrorCode, _ text: String) {
        outbox.send(.error(ErrorMessage(correlationID: correlationID, code: code, message: text)))
    }
}
