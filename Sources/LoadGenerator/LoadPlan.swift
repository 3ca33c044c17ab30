import ClusterModel

/// What a load run submits and how.
public struct LoadPlan: Sendable {
    /// How many jobs.
    public var jobs: Int
    /// Seconds each job sleeps (0: `true`, the shortest job there is).
    public var sleepSeconds: Double
    /// The runtime the jobs ask for.
    public var runtime: Runtime
    /// The image, for the docker runtime.
    public var image: String?
    /// What each job reserves.
    public var resources: Resources
    /// Jobs per `SubmitJobs` frame.
    public var batch: Int
    /// Connections that submit in parallel.
    public var connections: Int
    /// Give up (and report what finished) after this long.
    public var deadlineSeconds: Double
    /// Where the run stops following its jobs.
    public var until: Milestone
    /// Jobs offered per second (0: as fast as the connections allow).
    public var rate: Double
    /// Each job's budget of own failures (`maxAttempts`).
    public var maxAttempts: UInt32 = 1
    /// Each job's budget of attempts lost to the infrastructure (`maxNodeLosses`).
    public var maxNodeLosses: UInt32 = RetryDefaults.maxNodeLosses

    /// How far the run follows its jobs before it reports.
    public enum Milestone: String, Sendable, CaseIterable {
        /// Every job durably scheduled (a placement benchmark; the jobs keep running).
        case placed
        /// Every job seen running.
        case running
        /// Every job final (the default).
        case final
    }

    /// Creates a plan.
    public init(
        jobs: Int, sleepSeconds: Double, runtime: Runtime, image: String?, resources: Resources, batch: Int, connections: Int,
        deadlineSeconds: Double, until: Milestone = .final, rate: Double = 0
    ) {
        self.until = until
        self.rate = rate
        self.jobs = jobs
        self.sleepSeconds = sleepSeconds
        self.runtime = runtime
        self.image = image
        self.resources = resources
        self.batch = batch
        self.connections = connections
        self.deadlineSeconds = deadlineSeconds
    }

    /// The spec every job of the run uses, named `name`.
    public func spec(named name: String) -> JobSpec {
        var spec = spec
        spec.name = name
        return spec
    }

    /// The spec every job of the run uses.
    public var spec: JobSpec {
        let seconds = sleepSeconds == sleepSeconds.rounded() ? String(Int(sleepSeconds)) : String(sleepSeconds)
        let command: JobCommand = sleepSeconds > 0 ? .argv(["sleep", seconds]) : .argv(["true"])
        return JobSpec(
            name: "titan-load", runtime: runtime, image: image, command: command, resources: resources, maxAttempts: maxAttempts,
            maxNodeLosses: maxNodeLosses)
    }
}
