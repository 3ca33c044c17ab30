/// The bounds a job spec must respect; the master refuses a spec outside them with a
/// ``JobSpecError`` and writes nothing for it. `titan-cli submit` and `titan-load` parse their
/// flags against the same constants, and each lies within ``QuantityLimits``. Every number a
/// spec admitted here carries is small enough for the arithmetic done on it downstream (e.g. the
/// worker's `cpuMillis × 1_000_000` nano-CPUs, `Duration.seconds(timeoutSeconds)`).
public enum JobSpecLimits {
    /// Most CPU one job may request: 1024 cores.
    public static let maxCPUMillis: Int64 = 1_024_000
    /// Most memory one job may request: 4 TiB.
    public static let maxMemoryBytes: Int64 = 4 << 40
    /// Most argv elements.
    public static let maxArguments = 1024
    /// Longest script or single argument, in UTF-8 bytes.
    public static let maxCommandBytes = 64 << 10
    /// Most environment variables.
    public static let maxEnvironment = 256
    /// Most labels, and most node-selector entries.
    public static let maxLabels = 64
    /// Longest environment value or label value, in UTF-8 bytes.
    public static let maxValueBytes = 8 << 10
    /// Longest name, image, key, or label key, in UTF-8 bytes.
    public static let maxNameBytes = 253
    /// Most attempts a job may ask for.
    public static let maxAttempts: UInt32 = 100
    /// Longest timeout: 30 days.
    public static let maxTimeoutSeconds: UInt32 = 30 * 24 * 3600
    /// Most attempts a job may lose to the infrastructure and still run again.
    public static let maxNodeLosses: UInt32 = 100
    /// Longest retry delay: one day.
    public static let maxRetryDelaySeconds: UInt32 = 24 * 3600
}

/// Why a job spec was refused: one sentence naming the bad value and what to do.
public struct JobSpecError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The sentence shown to the user.
    public var description: String

    /// Creates an error with its sentence.
    public init(_ description: String) {
        self.description = description
    }
}

extension JobSpec {
    /// Checks every field against ``JobSpecLimits``; the first problem found is thrown.
    public func validate() throws(JobSpecError) {
        if resources.cpuMillis <= 0 || resources.cpuMillis > JobSpecLimits.maxCPUMillis {
            throw JobSpecError("cpu request \(resources.cpuMillis)m is out of range: ask for 1m to \(JobSpecLimits.maxCPUMillis)m (e.g. --cpu 250m)")
        }
        if resources.memoryBytes <= 0 || resources.memoryBytes > JobSpecLimits.maxMemoryBytes {
            throw JobSpecError(
                "memory request \(resources.memoryBytes) bytes is out of range: ask for 1 byte to \(QuantityParser.describe(bytes: JobSpecLimits.maxMemoryBytes)) (e.g. --memory 64Mi)"
            )
        }
        switch command {
        case let .argv(argv):
            guard let first = argv.first, !first.isEmpty else {
                throw JobSpecError("the command is empty: give a program after --, or use --script")
            }
            if argv.count > JobSpecLimits.maxArguments {
                throw JobSpecError("the command has \(argv.count) arguments, more than \(JobSpecLimits.maxArguments): pass long lists through a script or a file")
            }
            for argument in argv {
                try checkText(argument, what: "a command argument", limit: JobSpecLimits.maxCommandBytes)
            }
        case let .script(script):
            if script.allSatisfy(\.isWhitespace) {
                throw JobSpecError("the script is empty: give shell text to --script")
            }
            try checkText(script, what: "the script", limit: JobSpecLimits.maxCommandBytes)
        }
        if environment.count > JobSpecLimits.maxEnvironment {
            throw JobSpecError("\(environment.count) environment variables is more than \(JobSpecLimits.maxEnvironment)")
        }
        for (key, value) in environment {
            try checkEnvironmentKey(key)
            try checkText(value, what: "the value of \(key)", limit: JobSpecLimits.maxValueBytes)
        }
        try checkLabels(labels, what: "label")
        try checkLabels(nodeSelector, what: "node selector")
        if let name { try checkText(name, what: "the job name", limit: JobSpecLimits.maxNameBytes) }
        if let image {
            if image.isEmpty || image.contains(where: \.isWhitespace) {
                throw JobSpecError("image '\(image)' is not a valid image reference: use a name like busybox:latest")
            }
            try checkText(image, what: "the image", limit: JobSpecLimits.maxNameBytes)
        }
        if maxAttempts == 0 || maxAttempts > JobSpecLimits.maxAttempts {
            throw JobSpecError("max attempts \(maxAttempts) is out of range: use 1 to \(JobSpecLimits.maxAttempts)")
        }
        if maxNodeLosses > JobSpecLimits.maxNodeLosses {
            throw JobSpecError("max node losses \(maxNodeLosses) is out of range: use 0 to \(JobSpecLimits.maxNodeLosses)")
        }
        if retryDelaySeconds > JobSpecLimits.maxRetryDelaySeconds || retryDelayMaxSeconds > JobSpecLimits.maxRetryDelaySeconds {
            throw JobSpecError(
                "retry delay \(retryDelaySeconds)s (max \(retryDelayMaxSeconds)s) is out of range: use 0 to \(JobSpecLimits.maxRetryDelaySeconds) seconds (1d)"
            )
        }
        if retryDelayMaxSeconds < retryDelaySeconds {
            throw JobSpecError("the longest retry delay \(retryDelayMaxSeconds)s is shorter than the first one, \(retryDelaySeconds)s: give a --retry-delay-max of at least --retry-delay")
        }
        if timeoutSeconds > JobSpecLimits.maxTimeoutSeconds {
            throw JobSpecError(
                "timeout \(timeoutSeconds)s is longer than \(QuantityParser.describe(seconds: Int64(JobSpecLimits.maxTimeoutSeconds))): use 0 for none or a shorter one"
            )
        }
    }

    private func checkText(_ text: String, what: String, limit: Int) throws(JobSpecError) {
        if text.utf8.count > limit {
            throw JobSpecError("\(what) is \(text.utf8.count) bytes, over the \(limit)-byte limit")
        }
        if text.utf8.contains(0) {
            throw JobSpecError("\(what) contains a NUL byte, which no process can receive")
        }
    }

    private func checkEnvironmentKey(_ key: String) throws(JobSpecError) {
        let valid = !key.isEmpty && key.utf8.count <= JobSpecLimits.maxNameBytes
            && key.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }
            && !(key.utf8.first.map { $0 >= 0x30 && $0 <= 0x39 } ?? true)
        if !valid {
            throw JobSpecError("environment variable name '\(key)' is invalid: use letters, digits and _ (not starting with a digit), as in --env FOO=bar")
        }
    }

    private func checkLabels(_ labels: [String: String], what: String) throws(JobSpecError) {
        if labels.count > JobSpecLimits.maxLabels {
            throw JobSpecError("\(labels.count) \(what)s is more than \(JobSpecLimits.maxLabels)")
        }
        for (key, value) in labels {
            if key.isEmpty || key.contains("=") || key.contains(where: \.isWhitespace) {
                throw JobSpecError("\(what) key '\(key)' is invalid: use a non-empty key without '=' or spaces, as in --label team=data")
            }
            try checkText(key, what: "\(what) key '\(key)'", limit: JobSpecLimits.maxNameBytes)
            try checkText(value, what: "the value of \(what) \(key)", limit: JobSpecLimits.maxValueBytes)
        }
    }
}
