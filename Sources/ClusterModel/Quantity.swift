/// The largest quantities any Titan program accepts. Flags are refused past them by the program
/// that reads them; a job spec is held to the narrower ``JobSpecLimits`` by the CLI and again by
/// the master.
public enum QuantityLimits {
    /// Most CPU a quantity may name: 1,000,000 cores, in millicores.
    public static let maxCPUMillis: Int64 = 1_000_000_000

    /// Most memory a quantity may name: 1Pi (2^50 bytes). Placement scores multiply byte counts
    /// by 100 in `Int64`, which stays exact up to 92 PB; no machine comes near 1Pi.
    public static let maxMemoryBytes: Int64 = 1 << 50

    /// Longest duration: 100 years of 365 days (`36500d`), in seconds; `Duration`, `Task.sleep`
    /// and millisecond timestamps all hold it with room to spare.
    public static let maxDurationSeconds: Int64 = 36_500 * 86_400
}

/// Why a quantity was refused: one sentence that names the flag and the text as given, and says
/// which form and range to use, e.g. `--memory '99999999Ti' is out of range: use 1 byte to 4Ti,
/// e.g. 64Mi or 1Gi`.
public struct QuantityError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The refused text, exactly as given.
    public var text: String

    /// The sentence shown to the user; it contains ``text`` verbatim.
    public var description: String
}

/// Parses the quantities users type (CPU, memory, durations, decimal numbers) into exact values.
///
/// Numbers are plain ASCII decimals — digits, at most one `.`, no sign, exponent, space, `inf`
/// or `nan` — read digit by digit into integers with overflow-reporting arithmetic, so no input
/// can trap; a fraction is rounded to the nearest unit (half up). Every refusal is a
/// ``QuantityError`` whose sentence every caller prints as is.
public enum QuantityParser {
    /// CPU in millicores: whole millicores (`250m`) or cores (`2`, `0.5`), from 1m to `maximum`
    /// (at most ``QuantityLimits/maxCPUMillis``).
    public static func cpuMillis(
        _ text: String, flag: String = "--cpu", upTo maximum: Int64 = QuantityLimits.maxCPUMillis
    ) throws(QuantityError) -> Int64 {
        let maximum = max(1, min(maximum, QuantityLimits.maxCPUMillis))
        let range = "1m to \(describe(cpuMillis: maximum))"
        return try parse(
            text, units: [Unit("m", 1, fractions: false), Unit("", 1000, fractions: true)], within: 1...maximum,
            malformed: "\(flag) '\(text)' is not a CPU amount: use cores like 0.5 or 2, or whole millicores like 250m, from \(range)",
            outOfRange: "\(flag) '\(text)' is out of range: use \(range), e.g. 250m or 0.5"
        )
    }

    /// Memory in bytes: a number with an optional unit — binary `Ki` `Mi` `Gi` `Ti` `Pi`, decimal
    /// `K` `M` `G` `T` `P` — as in `64Mi`, `1.5Gi`, `100M`, `4096`; from 1 byte to `maximum` (at
    /// most ``QuantityLimits/maxMemoryBytes``). A bare number of bytes is whole.
    public static func memoryBytes(
        _ text: String, flag: String = "--memory", upTo maximum: Int64 = QuantityLimits.maxMemoryBytes
    ) throws(QuantityError) -> Int64 {
        let maximum = max(1, min(maximum, QuantityLimits.maxMemoryBytes))
        let range = "1 byte to \(describe(bytes: maximum))"
        return try parse(
            text, units: memoryUnits, within: 1...maximum,
            malformed: "\(flag) '\(text)' is not a memory amount: use bytes with an optional unit Ki, Mi, Gi, Ti, Pi (or K, M, G, T, P), like 64Mi or 1.5Gi, from \(range)",
            outOfRange: "\(flag) '\(text)' is out of range: use \(range), e.g. 64Mi or 1Gi"
        )
    }

    /// A duration in seconds: a whole number with an optional unit `s`, `m`, `h` or `d` (`30`,
    /// `90s`, `5m`, `24h`, `7d`), from 0 to `maximum` (at most
    /// ``QuantityLimits/maxDurationSeconds``). What 0 means is the caller's to say.
    public static func durationSeconds(
        _ text: String, flag: String, upTo maximum: Int64 = QuantityLimits.maxDurationSeconds
    ) throws(QuantityError) -> Int64 {
        let maximum = max(0, min(maximum, QuantityLimits.maxDurationSeconds))
        let units = ([("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("", 1)] as [(String, Int64)]).map { Unit($0.0, $0.1, fractions: false) }
        return try parse(
            text, units: units, within: 0...maximum,
            malformed: "\(flag) '\(text)' is not a duration: use a whole number with an optional unit s, m, h or d, like 90s, 30m, 24h or 7d, up to \(describe(seconds: maximum))",
            outOfRange: "\(flag) '\(text)' is out of range: use 0 to \(describe(seconds: maximum)), e.g. 90s, 30m, 24h or 7d"
        )
    }

    /// A decimal number (`5`, `0.25`, `1e3`) within `range`, or exactly 0 when `zeroMeans` says
    /// what 0 does; `unit` names what is counted, e.g. `jobs per second`. The value returned is
    /// finite and in range: `1e400`, `1e-300` and the like are refused.
    public static func decimal(
        _ text: String, flag: String, in range: ClosedRange<Double>, zeroMeans: String? = nil, unit: String
    ) throws(QuantityError) -> Double {
        let zero = zeroMeans.map { "0 (\($0)) or " } ?? ""
        let accepted = "\(zero)\(describe(range.lowerBound)) to \(describe(range.upperBound)) \(unit)"
        let bytes = Array(text.utf8)
        let marker = bytes.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") } ?? bytes.endIndex
        var exponent = bytes[marker...].dropFirst()
        if exponent.first == UInt8(ascii: "+") || exponent.first == UInt8(ascii: "-") { exponent = exponent.dropFirst() }
        guard let (whole, fraction) = splitNumber(bytes[..<marker]),
            marker == bytes.endIndex || (!exponent.isEmpty && exponent.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else {
            throw QuantityError(text: text, description: "\(flag) '\(text)' is not a number: use \(accepted)")
        }
        if zeroMeans != nil, (whole + fraction).allSatisfy({ $0 == UInt8(ascii: "0") }) { return 0 }
        // The grammar leaves a form Double reads (digits on both sides of the point); a number too
        // large for a Double reads as infinite, one too small as 0, and both are out of range.
        let mantissa = (whole.isEmpty ? "0" : String(decoding: whole, as: UTF8.self)) + "." + (fraction.isEmpty ? "0" : String(decoding: fraction, as: UTF8.self))
        let value = Double(mantissa + String(decoding: bytes[marker...], as: UTF8.self)) ?? .infinity
        guard value.isFinite, range.contains(value) else {
            throw QuantityError(text: text, description: "\(flag) '\(text)' is out of range: use \(accepted)")
        }
        return value
    }

    // MARK: - The shared grammar and its exact arithmetic

    /// A unit suffix (`""` for a bare number), its size in the result's unit, and whether a
    /// fraction may come before it.
    private struct Unit {
        let suffix: [UInt8]
        let factor: Int64
        let fractions: Bool

        init(_ suffix: String, _ factor: Int64, fractions: Bool) {
            self.suffix = Array(suffix.utf8)
            self.factor = factor
            self.fractions = fractions
        }
    }

    private static let memoryUnits: [Unit] = ([
        ("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40), ("Pi", 1 << 50),
        ("K", 1_000), ("M", 1_000_000), ("G", 1_000_000_000), ("T", 1_000_000_000_000), ("P", 1_000_000_000_000_000),
    ] as [(String, Int64)]).map { Unit($0.0, $0.1, fractions: true) } + [Unit("", 1, fractions: false)]

    /// `text` as a number followed by one of `units` (a bare number last), within `bounds`.
    private static func parse(
        _ text: String, units: [Unit], within bounds: ClosedRange<Int64>, malformed: String, outOfRange: String
    ) throws(QuantityError) -> Int64 {
        let bytes = Array(text.utf8)
        guard let unit = units.first(where: { bytes.count > $0.suffix.count && bytes.suffix($0.suffix.count).elementsEqual($0.suffix) }),
            let (whole, fraction) = splitNumber(bytes.dropLast(unit.suffix.count)),
            unit.fractions || fraction.isEmpty
        else {
            throw QuantityError(text: text, description: malformed)
        }
        guard let value = scaled(whole: whole, fraction: fraction, by: unit.factor), bounds.contains(value) else {
            throw QuantityError(text: text, description: outOfRange)
        }
        return value
    }

    /// The digits before and after the point of `[0-9]*(.[0-9]*)?` with at least one digit;
    /// nil for anything else (signs, exponents, spaces, non-ASCII digits, an empty string).
    private static func splitNumber(_ bytes: ArraySlice<UInt8>) -> (whole: ArraySlice<UInt8>, fraction: ArraySlice<UInt8>)? {
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        let point = bytes.firstIndex(of: UInt8(ascii: "."))
        let whole = bytes[..<(point ?? bytes.endIndex)]
        let fraction = point.map { bytes[bytes.index(after: $0)...] } ?? []
        guard whole.allSatisfy(isDigit), fraction.allSatisfy(isDigit), whole.count + fraction.count > 0 else { return nil }
        return (whole, fraction)
    }

    /// `whole.fraction × factor`, rounded half up; nil when it does not fit in `Int64`.
    ///
    /// The whole part is accumulated with overflow-reporting arithmetic. The fraction (trailing
    /// zeros dropped, at most 19 digits, whose rounding effect past the 19th is below a unit) is
    /// `numerator / 10^k` with both below 10^19 < `UInt64.max`; the 128-bit product
    /// `factor × numerator` divided by `10^k` is below `factor`, so the division cannot overflow.
    private static func scaled(whole: ArraySlice<UInt8>, fraction: ArraySlice<UInt8>, by factor: Int64) -> Int64? {
        var integer: Int64 = 0
        for digit in whole {
            let (tens, overflow) = integer.multipliedReportingOverflow(by: 10)
            let (sum, carry) = tens.addingReportingOverflow(Int64(digit &- UInt8(ascii: "0")))
            if overflow || carry { return nil }
            integer = sum
        }
        let (scaledWhole, overflow) = integer.multipliedReportingOverflow(by: factor)
        if overflow { return nil }
        var digits = fraction
        while digits.last == UInt8(ascii: "0") { digits = digits.dropLast() }
        guard !digits.isEmpty else { return scaledWhole }
        var numerator: UInt64 = 0
        var denominator: UInt64 = 1
        for digit in digits.prefix(19) {
            numerator = numerator &* 10 &+ UInt64(digit &- UInt8(ascii: "0"))
            denominator = denominator &* 10
        }
        var (quotient, remainder) = denominator.dividingFullWidth(UInt64(factor).multipliedFullWidth(by: numerator))
        if remainder >= denominator - remainder { quotient += 1 }
        let (total, carry) = scaledWhole.addingReportingOverflow(Int64(quotient))
        return carry ? nil : total
    }

    // MARK: - Bounds in the words of the sentences

    /// `1024 cores`, `1 core` or `1500m`.
    static func describe(cpuMillis: Int64) -> String {
        guard cpuMillis % 1000 == 0 else { return "\(cpuMillis)m" }
        return cpuMillis == 1000 ? "1 core" : "\(cpuMillis / 1000) cores"
    }

    /// `4Ti`, `8Gi`, or a count of bytes when no binary unit divides it.
    static func describe(bytes: Int64) -> String {
        for (suffix, shift) in [("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)] as [(String, Int64)]
        where bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift)\(suffix)"
        }
        return bytes == 1 ? "1 byte" : "\(bytes) bytes"
    }

    /// `36500d`, `12h`, `90s`: the largest unit that divides the seconds.
    static func describe(seconds: Int64) -> String {
        for (suffix, size) in [("d", 86_400), ("h", 3600), ("m", 60)] as [(String, Int64)] where seconds >= size && seconds % size == 0 {
            return "\(seconds / size)\(suffix)"
        }
        return "\(seconds)s"
    }

    /// `5`, `0.01`: a bound without a needless `.0`.
    private static func describe(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
