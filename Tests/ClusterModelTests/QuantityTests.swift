import ClusterModel
import TitanTestSupport
import XCTest

/// The quantity parsers: what they accept and its exact value, what they refuse and the sentence,
/// and that no input at all traps.
final class QuantityTests: XCTestCase {
    func testAcceptedFormsAndTheirExactValues() throws {
        let cpu: [(String, Int64)] = [
            ("250m", 250), ("2", 2000), ("0.5", 500), ("1m", 1), ("0.001", 1), ("1.5", 1500), (".5", 500), ("1.", 1000),
            ("007", 7000), ("0.0005", 1),  // 0.5m rounds half up
            ("1000000", 1_000_000_000), ("1000000000m", 1_000_000_000),
        ]
        for (text, millis) in cpu {
            XCTAssertEqual(try QuantityParser.cpuMillis(text), millis, text)
        }
        let memory: [(String, Int64)] = [
            ("64Mi", 64 << 20), ("1Gi", 1 << 30), ("512Ki", 512 << 10), ("100M", 100_000_000), ("1G", 1_000_000_000),
            ("4096", 4096), ("1Ti", 1 << 40), ("1T", 1_000_000_000_000), ("1K", 1000), ("1Pi", 1 << 50), ("1P", 1_000_000_000_000_000),
            // 1.5 × 2^30 exactly; 0.1 × 2^30 = 107374182.4 rounds down; 0.5Ki = 512.
            ("1.5Gi", 1_610_612_736), ("0.1Gi", 107_374_182), ("0.5Ki", 512), ("1125899906842624", 1 << 50),
            // A fraction longer than 19 digits: the digits past the 19th do not matter here.
            ("0.10000000000000000000000000001Ki", 102), ("000000000000000000000000000000064Mi", 64 << 20),
        ]
        for (text, bytes) in memory {
            XCTAssertEqual(try QuantityParser.memoryBytes(text), bytes, text)
        }
        let durations: [(String, Int64)] = [
            ("30", 30), ("30s", 30), ("5m", 300), ("24h", 86_400), ("7d", 604_800), ("0", 0), ("0d", 0),
            ("36500d", QuantityLimits.maxDurationSeconds),
        ]
        for (text, seconds) in durations {
            XCTAssertEqual(try QuantityParser.durationSeconds(text, flag: "--retention"), seconds, text)
        }
        let rate = { (text: String) throws -> Double in
            try QuantityParser.decimal(text, flag: "--rate", in: 0.01...1_000_000, zeroMeans: "as fast as possible", unit: "jobs per second")
        }
        for (text, value) in [("0", 0.0), ("0.0", 0), ("0.01", 0.01), ("2.5", 2.5), ("1e3", 1000), ("1E+6", 1_000_000), ("000.5", 0.5)] {
            XCTAssertEqual(try rate(text), value, text)
        }
    }

    func testRefusalsAreOneSentenceNamingTheTextAndWhatToUse() {
        XCTAssertEqual(
            refusal { _ = try QuantityParser.memoryBytes("99999999Ti", upTo: JobSpecLimits.maxMemoryBytes) },
            "--memory '99999999Ti' is out of range: use 1 byte to 4Ti, e.g. 64Mi or 1Gi")
        XCTAssertEqual(
            refusal { _ = try QuantityParser.memoryBytes("1e400Mi") },
            "--memory '1e400Mi' is not a memory amount: use bytes with an optional unit Ki, Mi, Gi, Ti, Pi (or K, M, G, T, P), like 64Mi or 1.5Gi, from 1 byte to 1Pi")
        XCTAssertEqual(
            refusal { _ = try QuantityParser.cpuMillis("0") }, "--cpu '0' is out of range: use 1m to 1000000 cores, e.g. 250m or 0.5")
        XCTAssertEqual(
            refusal { _ = try QuantityParser.cpuMillis("-1", upTo: JobSpecLimits.maxCPUMillis) },
            "--cpu '-1' is not a CPU amount: use cores like 0.5 or 2, or whole millicores like 250m, from 1m to 1024 cores")
        XCTAssertEqual(
            refusal { _ = try QuantityParser.durationSeconds("5w", flag: "--retention") },
            "--retention '5w' is not a duration: use a whole number with an optional unit s, m, h or d, like 90s, 30m, 24h or 7d, up to 36500d")
        XCTAssertEqual(
            refusal { _ = try QuantityParser.durationSeconds("31d", flag: "--timeout", upTo: 30 * 86_400) },
            "--timeout '31d' is out of range: use 0 to 30d, e.g. 90s, 30m, 24h or 7d")
        XCTAssertEqual(
            refusal { _ = try QuantityParser.decimal("1e-300", flag: "--rate", in: 0.01...1_000_000, zeroMeans: "as fast as possible", unit: "jobs per second") },
            "--rate '1e-300' is out of range: use 0 (as fast as possible) or 0.01 to 1000000 jobs per second")
        XCTAssertEqual(
            refusal { _ = try QuantityParser.decimal("nan", flag: "-t", in: 0.001...86_400, zeroMeans: "the job runs true", unit: "seconds") },
            "-t 'nan' is not a number: use 0 (the job runs true) or 0.001 to 86400 seconds")

        // Each of these is refused by every parser, and the sentence names it.
        let refusedEverywhere = [
            "", " ", " 1", "1 ", "+1", "-1", "-0", "nan", "NaN", "inf", "-inf", "infinity", ".", "..", "1..5", "1.2.3", "0x10", "1_000",
            "\u{0663}", "１", "1\u{0}", "1\n", "Mi", "m", "e", "e5", "1e", "1e+", "--1", "1,5",
        ]
        for text in refusedEverywhere {
            for (name, parse) in parsers {
                XCTAssertTrue(refusal { _ = try parse(text) }?.contains("'\(text)'") == true, "\(name) accepted \(text.debugDescription)")
            }
        }
        // Refused by one parser: zero, exponents where none is read, fractions where whole
        // numbers are asked for, units of another quantity, one past each bound.
        let refused: [(String, (String) throws -> Any)] = [
            ("0", { try QuantityParser.cpuMillis($0) }), ("0m", { try QuantityParser.cpuMillis($0) }), ("0.0004", { try QuantityParser.cpuMillis($0) }),
            ("1e3", { try QuantityParser.cpuMillis($0) }), ("1.5m", { try QuantityParser.cpuMillis($0) }), ("2Gi", { try QuantityParser.cpuMillis($0) }),
            ("1000000.001", { try QuantityParser.cpuMillis($0) }), ("1000000001m", { try QuantityParser.cpuMillis($0) }),
            ("0", { try QuantityParser.memoryBytes($0) }), ("0Mi", { try QuantityParser.memoryBytes($0) }), ("0.5", { try QuantityParser.memoryBytes($0) }),
            ("1Ei", { try QuantityParser.memoryBytes($0) }), ("1mi", { try QuantityParser.memoryBytes($0) }), ("1125899906842625", { try QuantityParser.memoryBytes($0) }),
            ("1.0000000001Pi", { try QuantityParser.memoryBytes($0) }), ("64MiB", { try QuantityParser.memoryBytes($0) }),
            ("1.5h", { try QuantityParser.durationSeconds($0, flag: "--retention") }), ("36501d", { try QuantityParser.durationSeconds($0, flag: "--retention") }),
            ("3153600001", { try QuantityParser.durationSeconds($0, flag: "--retention") }), ("1d1h", { try QuantityParser.durationSeconds($0, flag: "--retention") }),
        ]
        for (text, parse) in refused {
            XCTAssertTrue(refusal { _ = try parse(text) }?.contains("'\(text)'") == true, "accepted \(text.debugDescription)")
        }
    }

    /// The CLI parses --cpu, --memory and --timeout against ``JobSpecLimits``, which lie within
    /// ``QuantityLimits``: the largest value each accepts is the largest the master admits.
    func testTheCLIBoundsAreTheMastersBounds() throws {
        XCTAssertLessThanOrEqual(JobSpecLimits.maxCPUMillis, QuantityLimits.maxCPUMillis)
        XCTAssertLessThanOrEqual(JobSpecLimits.maxMemoryBytes, QuantityLimits.maxMemoryBytes)
        XCTAssertLessThanOrEqual(Int64(JobSpecLimits.maxTimeoutSeconds), QuantityLimits.maxDurationSeconds)
        let cpu = try QuantityParser.cpuMillis("1024", upTo: JobSpecLimits.maxCPUMillis)
        let memory = try QuantityParser.memoryBytes("4Ti", upTo: JobSpecLimits.maxMemoryBytes)
        let timeout = try QuantityParser.durationSeconds("30d", flag: "--timeout", upTo: Int64(JobSpecLimits.maxTimeoutSeconds))
        XCTAssertEqual([cpu, memory, timeout], [JobSpecLimits.maxCPUMillis, JobSpecLimits.maxMemoryBytes, Int64(JobSpecLimits.maxTimeoutSeconds)])
        let largest = JobSpec(
            command: .argv(["true"]), resources: Resources(cpuMillis: cpu, memoryBytes: memory), maxAttempts: JobSpecLimits.maxAttempts,
            timeoutSeconds: UInt32(timeout))
        XCTAssertNoThrow(try largest.validate())
        XCTAssertNotNil(refusal { _ = try QuantityParser.cpuMillis("1024001m", upTo: JobSpecLimits.maxCPUMillis) })
        XCTAssertNotNil(refusal { _ = try QuantityParser.memoryBytes("4398046511105", upTo: JobSpecLimits.maxMemoryBytes) })
        XCTAssertNotNil(refusal { _ = try QuantityParser.durationSeconds("2592001", flag: "--timeout", upTo: Int64(JobSpecLimits.maxTimeoutSeconds)) })
    }

    /// 100,000 random and extreme strings through every parser: none traps, and each parses to
    /// a value within the documented bounds or is refused by a sentence containing it.
    func testNoInputTrapsAndEveryOutcomeIsBoundedOrNamed() {
        var random = SplitMix64(seed: 0x7174_616E_5175_616E)
        var failures: [String] = []
        var accepted = 0
        for index in 0..<100_000 {
            let text = index < Self.extremes.count ? Self.extremes[index] : Self.randomInput(&random)
            for (name, parse) in parsers {
                do {
                    let value = try parse(text)
                    accepted += 1
                    if !Self.withinBounds(name, value) { failures.append("\(name) \(text.debugDescription) → \(value), out of bounds") }
                } catch let error as QuantityError {
                    // Quoted: `"x".contains("")` is false, and the quotes show where it starts and ends.
                    if !error.description.contains("'\(text)'") || error.text != text {
                        failures.append("\(name) \(text.debugDescription): \(error.description)")
                    }
                } catch {
                    failures.append("\(name) \(text.debugDescription): unexpected \(error)")
                }
            }
            if failures.count >= 10 { break }
        }
        XCTAssertEqual(failures, [], "seed 0x7174616E5175616E")
        XCTAssertGreaterThan(accepted, 1000, "the generator should produce valid inputs too")
    }

    // MARK: - Helpers

    /// Every parser, as the programs call them, by name.
    private let parsers: [(String, (String) throws -> Any)] = [
        ("cpu", { try QuantityParser.cpuMillis($0) }),
        ("job cpu", { try QuantityParser.cpuMillis($0, upTo: JobSpecLimits.maxCPUMillis) }),
        ("memory", { try QuantityParser.memoryBytes($0) }),
        ("duration", { try QuantityParser.durationSeconds($0, flag: "--retention") }),
        ("rate", { try QuantityParser.decimal($0, flag: "--rate", in: 0.01...1_000_000, zeroMeans: "as fast as possible", unit: "jobs per second") }),
        ("deadline", { try QuantityParser.decimal($0, flag: "--deadline", in: 1...2_592_000, unit: "seconds") }),
    ]

    private static func withinBounds(_ parser: String, _ value: Any) -> Bool {
        switch (parser, value) {
        case let ("cpu", millis as Int64): return (1...QuantityLimits.maxCPUMillis).contains(millis)
        case let ("job cpu", millis as Int64): return (1...JobSpecLimits.maxCPUMillis).contains(millis)
        case let ("memory", bytes as Int64): return (1...QuantityLimits.maxMemoryBytes).contains(bytes)
        case let ("duration", seconds as Int64): return (0...QuantityLimits.maxDurationSeconds).contains(seconds)
        case let ("rate", rate as Double): return rate == 0 || (0.01...1_000_000).contains(rate)
        case let ("deadline", seconds as Double): return (1...2_592_000).contains(seconds)
        default: return false
        }
    }

    /// Int64.max and its neighbours, UInt64.max, and the overflow-prone forms, with every unit.
    private static let extremes: [String] = {
        let numbers = [
            "9223372036854775806", "9223372036854775807", "9223372036854775808", "9223372036854775809", "18446744073709551615",
            "18446744073709551616", "-9223372036854775808", "-9223372036854775809", "9223372036854775807.5", "0.9223372036854775807",
            "1e400", "1e-400", "1e308", "1e-300", "99999999", "1" + String(repeating: "0", count: 400), String(repeating: "9", count: 4000),
            "0." + String(repeating: "9", count: 400), "0", "1", "nan", "inf", "",
        ]
        return numbers.flatMap { number in units.map { number + $0 } }
    }()

    private static let units = ["", "m", "s", "h", "d", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "K", "M", "G", "T", "P", "E", "e", "."]

    /// Random bytes, or digit strings of 1–400 digits with points, signs, exponents and units.
    private static func randomInput(_ random: inout SplitMix64) -> String {
        switch random.next() % 4 {
        case 0:
            let bytes = (0..<Int(random.next() % 24)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            return String(decoding: bytes, as: UTF8.self)
        case 1:
            return ["nan", "inf", "-inf", "+inf", "NaN", "Infinity", "0x1p3", "-", "+", ".", "e", "1e5", "-1e-5"][Int(random.next() % 13)]
                + units[Int(random.next() % UInt64(units.count))]
        default:
            let length = random.next() % 8 == 0 ? Int(1 + random.next() % 400) : Int(1 + random.next() % 22)
            var text = String((0..<length).map { _ in Character(Unicode.Scalar(UInt8(ascii: "0") + UInt8(random.next() % 10))) })
            if random.next() % 3 == 0 { text.insert(".", at: text.index(text.startIndex, offsetBy: Int(random.next() % UInt64(length + 1)))) }
            if random.next() % 8 == 0 { text = (random.next() % 2 == 0 ? "-" : "+") + text }
            if random.next() % 8 == 0 { text += "e" + (random.next() % 2 == 0 ? "-" : "") + String(random.next() % 500) }
            return text + units[Int(random.next() % UInt64(units.count))]
        }
    }
}

/// The sentence `body` throws, nil when it does not throw.
private func refusal(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch {
        return "\(error)"
    }
}

/// `JobSpec.validate()` with extreme numbers in every numeric field, as a client that skipped the
/// CLI's checks could send them: it never traps, refuses with a sentence naming the first bad
/// value, and admits only specs whose numbers the worker's arithmetic can carry.
final class JobSpecBoundsTests: XCTestCase {
    func testExtremeNumericFieldsAreRefusedBySentencesNeverTrappedOn() {
        var random = SplitMix64(seed: 0x5350_4543)
        let cpus: [Int64] = [.min, -1, 0, 1, 250, JobSpecLimits.maxCPUMillis, JobSpecLimits.maxCPUMillis + 1, QuantityLimits.maxCPUMillis, .max]
        let memories: [Int64] = [.min, -1, 0, 1, 64 << 20, JobSpecLimits.maxMemoryBytes, JobSpecLimits.maxMemoryBytes + 1, 1 << 62, .max]
        let attempts: [UInt32] = [0, 1, JobSpecLimits.maxAttempts, JobSpecLimits.maxAttempts + 1, .max]
        let timeouts: [UInt32] = [0, 1, JobSpecLimits.maxTimeoutSeconds, JobSpecLimits.maxTimeoutSeconds + 1, .max]
        let priorities: [Int32] = [.min, -1, 0, .max]
        var failures: [String] = []
        for _ in 0..<20_000 {
            func pick<T>(_ values: [T], _ any: T) -> T { random.next() % 4 == 0 ? any : values[Int(random.next() % UInt64(values.count))] }
            let spec = JobSpec(
                command: .argv(["true"]),
                resources: Resources(
                    cpuMillis: pick(cpus, Int64(bitPattern: random.next())), memoryBytes: pick(memories, Int64(bitPattern: random.next()))),
                priority: pick(priorities, Int32(truncatingIfNeeded: random.next())),
                maxAttempts: pick(attempts, UInt32(truncatingIfNeeded: random.next())),
                timeoutSeconds: pick(timeouts, UInt32(truncatingIfNeeded: random.next())))
            let (cpu, memory) = (spec.resources.cpuMillis, spec.resources.memoryBytes)
            // What validate() checks first that is wrong, and the text its sentence must contain.
            let firstBad: String? =
                !(1...JobSpecLimits.maxCPUMillis).contains(cpu) ? "\(cpu)m"
                : !(1...JobSpecLimits.maxMemoryBytes).contains(memory) ? "\(memory) bytes"
                : !(1...JobSpecLimits.maxAttempts).contains(spec.maxAttempts) ? "max attempts \(spec.maxAttempts)"
                : spec.timeoutSeconds > JobSpecLimits.maxTimeoutSeconds ? "timeout \(spec.timeoutSeconds)s" : nil
            do {
                try spec.validate()
                if let firstBad { failures.append("admitted \(spec.resources) \(spec.maxAttempts) \(spec.timeoutSeconds): expected \(firstBad)") }
                // What the worker computes from an admitted spec fits: NanoCpus, the timeout.
                if cpu.multipliedReportingOverflow(by: 1_000_000).overflow || Duration.seconds(Int64(spec.timeoutSeconds)) > .seconds(86_400 * 31) {
                    failures.append("admitted \(spec.resources) \(spec.timeoutSeconds)s, too large downstream")
                }
            } catch {
                if firstBad == nil || !error.description.contains(firstBad!) || error.description.contains("\n") {
                    failures.append("\(spec.resources) \(spec.maxAttempts) \(spec.timeoutSeconds): \(error.description)")
                }
            }
            if failures.count >= 10 { break }
        }
        XCTAssertEqual(failures, [])
    }
}
