import ClusterModel
import NIOCore

/// `SubmitJobs` (0x0101): a batch of up to 1024 job specs.
///
/// The batch must also fit in one frame (4 MiB); a client splits larger batches.
public struct SubmitJobs: Hashable, Sendable, WirePayload {
    /// The request's correlation id.
    public var correlationID: UInt64
    /// The specs, in the order their results come back.
    public var jobs: [JobSpec]

    /// Creates a submission.
    public init(correlationID: UInt64, jobs: [JobSpec]) {
        self.correlationID = correlationID
        self.jobs = jobs
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
        try buffer.writeWireCount(self.jobs.count, field: "SubmitJobs.jobs", limit: WireLimits.maxSubmitBatch)
        for job in self.jobs {
            try buffer.writeWireJobSpec(job)
        }
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("SubmitJobs.correlationID")
        let count = try reader.readCount("SubmitJobs.jobs", limit: WireLimits.maxSubmitBatch, minimumItemBytes: 4)
        self.jobs = []
        self.jobs.reserveCapacity(count)
        for _ in 0..<count {
            self.jobs.append(try reader.readJobSpec())
        }
    }
}

/// What became of one job of a `SubmitJobs`.
public enum SubmitOutcome: Hashable, Sendable {
    /// The job is durable under this id (code 1 on the wire).
    case accepted(JobID)
    /// The job was refused and nothing was written for it (code 2 on the wire).
    case rejected(code: WireErrorCode, message: String)
}

/// `SubmitResult` (0x0201): one outcome per submitted job, in submission order.
public struct SubmitResult: Hashable, Sendable, WirePayload {
    /// The correlation id of the `SubmitJobs`.
    public var correlationID: UInt64
    /// One outcome per job.
    public var results: [SubmitOutcome]

    /// Creates a result.
    public init(correlationID: UInt64, results: [SubmitOutcome]) {
        self.correlationID = correlationID
        self.results = results
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
        try buffer.writeWireCount(self.results.count, field: "SubmitResult.results", limit: WireLimits.maxSubmitBatch)
        for result in self.results {
            switch result {
            case .accepted(let id):
                buffer.writeInteger(UInt8(1))
                try buffer.writeWireID(id.rawValue, field: "SubmitResult.jobID")
            case .rejected(let code, let message):
                buffer.writeInteger(UInt8(2))
                buffer.writeInteger(code.rawValue)
                try buffer.writeWireString(message, field: "SubmitResult.message", limit: WireLimits.maxMessageBytes)
            }
        }
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("SubmitResult.correlationID")
        let count = try reader.readCount("SubmitResult.results", limit: WireLimits.maxSubmitBatch, minimumItemBytes: 4)
        self.results = []
        self.results.reserveCapacity(count)
        for _ in 0..<count {
            switch try reader.readInteger("SubmitResult.outcome", as: UInt8.self) {
            case 1:
                self.results.append(.accepted(JobID(try reader.readID("SubmitResult.jobID"))))
            case 2:
                let code = WireErrorCode(rawValue: try reader.readInteger("SubmitResult.code"))
                let message = try reader.readString("SubmitResult.message", limit: WireLimits.maxMessageBytes)
                self.results.append(.rejected(code: code, message: message))
            case let other:
                throw WireError.invalidValue(field: "SubmitResult.outcome", detail: "unknown outcome \(other)")
            }
        }
    }
}

/// `GetJob` (0x0102): one job in full. Answered by `JobInfo` or `Error(notFound)`.
public struct GetJob: Hashable, Sendable, WirePayload {
    /// The request's correlation id.
    public var correlationID: UInt64
    /// The job wanted.
    public var jobID: JobID

    /// Creates a request.
    public init(correlationID: UInt64, jobID: JobID) {
        self.correlationID = correlationID
        self.jobID = jobID
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
        try buffer.writeWireID(self.jobID.rawValue, field: "GetJob.jobID")
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("GetJob.correlationID")
        self.jobID = JobID(try reader.readID("GetJob.jobID"))
    }
}

/// `JobInfo` (0x0202): a job in full, the answer to `GetJob`.
public struct JobInfoMessage: Hashable, Sendable, WirePayload {
    /// The correlation id of the `GetJob`.
    public var correlationID: UInt64
    /// The job: id, then spec record, then status record, then its ended attempts (at most
    /// ``WireLimits/maxAttemptRecords``, the most recent).
    public var job: JobDetails

    /// Creates an answer.
    public init(correlationID: UInt64, job: JobDetails) {
        self.correlationID = correlationID
        self.job = job
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
        try buffer.writeWireID(self.job.id.rawValue, field: "JobInfo.jobID")
        try buffer.writeWireJobSpec(self.job.spec)
        try buffer.writeWireJobStatus(self.job.status)
        let attempts = self.job.attempts.suffix(WireLimits.maxAttemptRecords)
        try buffer.writeWireCount(attempts.count, field: "JobInfo.attempts", limit: WireLimits.maxAttemptRecords)
        for attempt in attempts {
            try buffer.writeWireAttemptRecord(attempt)
        }
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("JobInfo.correlationID")
        self.job = JobDetails(
            id: JobID(try reader.readID("JobInfo.jobID")),
            spec: try reader.readJobSpec(),
            status: try reader.readJobStatus()
        )
        // Appended: a server that predates it sends no attempts.
        if reader.remainingBytes > 0 {
            let count = try reader.readCount("JobInfo.attempts", limit: WireLimits.maxAttemptRecords, minimumItemBytes: 4)
            for _ in 0..<count {
                self.job.attempts.append(try reader.readAttemptRecord())
            }
        }
    }
}

/// `CancelJob` (0x0104): cancel one job. Answered by `CancelResult` or `Error(notFound)`.
public struct CancelJob: Hashable, Sendable, WirePayload {
    /// The request's correlation id.
    public var correlationID: UInt64
    /// The job to cancel.
    public var jobID: JobID

    /// Creates a request.
    public init(correlationID: UInt64, jobID: JobID) {
        self.correlationID = correlationID
        self.jobID = jobID
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
        try buffer.writeWireID(self.jobID.rawValue, field: "CancelJob.jobID")
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("CancelJob.correlationID")
        self.jobID = JobID(try reader.readID("CancelJob.jobID"))
    }
}

/// `CancelResult` (0x0204): what a `CancelJob` achieved, once it is durable.
public struct CancelResult: Hashable, Sendable, WirePayload {
    /// The correlation id of the `CancelJob`.
    public var correlationID: UInt64
    /// The job.
    public var jobID: JobID
    /// Whether the job was cancelled or was already final.
    public var outcome: CancelOutcome
    /// The job's state after the request.
    public var state: JobState

    /// Creates an answer.
    public init(correlationID: UInt64, jobID: JobID, outcome: CancelOutcome, state: JobState) {
        self.correlationID = correlationID
        self.jobID = jobID
        self.outcome = outcome
        self.state = state
    }

    func encode(into buffer: inout ByteBuffer) throws(WireError) {
        buffer.writeInteger(self.correlationID)
        try buffer.writeWireID(self.jobID.rawValue, field: "CancelResult.jobID")
        buffer.writeWireEnum(self.outcome)
        buffer.writeWireEnum(self.state)
    }

    init(from reader: inout WireReader) throws(WireError) {
        self.correlationID = try reader.readInteger("CancelResult.correlationID")
        self.jobID = JobID(try reader.readID("CancelResult.jobID"))
        self.outcome = try reader.readEnum("CancelResult.outcome")
        self.state = try reader.readEnum("CancelResult.state")
    }
}
