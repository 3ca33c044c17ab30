import ClusterModel
import XCTest

final class ValidationTests: XCTestCase {
    private func spec(_ command: JobCommand = .argv(["true"]), cpu: Int64 = 100, memory: Int64 = 64 << 20) -> JobSpec {
        JobSpec(command: command, resources: Resources(cpuMillis: cpu, memoryBytes: memory))
    }

    private func message(_ spec: JobSpec) -> String? {
        do {
            try spec.validate()
            return nil
        } catch {
            return error.description
        }
    }

    func testAReasonableSpecPasses() {
        var good = spec(.script("echo hi"))
        good.environment = ["FOO": "bar", "_X1": ""]
        good.labels = ["team": "data"]
        XCTAssertNil(message(good))
    }

    func testResourcesOutOfRangeNameTheValue() {
        XCTAssertEqual(message(spec(cpu: 0)), "cpu request 0m is out of range: ask for 1m to 1024000m (e.g. --cpu 250m)")
        XCTAssertTrue(message(spec(cpu: -5))?.contains("-5m") == true)
        XCTAssertTrue(message(spec(memory: 5 << 40))?.contains("\(Int64(5) << 40) bytes") == true)
    }

    func testEmptyCommandsAreRefused() {
        XCTAssertTrue(message(spec(.argv([])))?.contains("the command is empty") == true)
        XCTAssertTrue(message(spec(.argv([""])))?.contains("the command is empty") == true)
        XCTAssertTrue(message(spec(.script("  \n")))?.contains("the script is empty") == true)
    }

    func testBadEnvironmentAndLabels() {
        var bad = spec()
        bad.environment = ["1ABC": "x"]
        XCTAssertTrue(message(bad)?.contains("'1ABC'") == true)
        bad.environment = ["A=B": "x"]
        XCTAssertTrue(message(bad)?.contains("'A=B'") == true)
        bad.environment = ["OK": "a\u{0}b"]
        XCTAssertTrue(message(bad)?.contains("NUL") == true)
        bad.environment = [:]
        bad.labels = ["": "x"]
        XCTAssertTrue(message(bad)?.contains("label key ''") == true)
    }

    func testOversizeFieldsAndAttempts() {
        XCTAssertTrue(message(spec(.script(String(repeating: "x", count: 70_000))))?.contains("over the 65536-byte limit") == true)
        XCTAssertTrue(message(spec(.argv(Array(repeating: "a", count: 2000))))?.contains("2000 arguments") == true)
        var attempts = spec()
        attempts.maxAttempts = 0
        XCTAssertTrue(message(attempts)?.contains("max attempts 0") == true)
        var image = spec()
        image.image = "bad image"
        XCTAssertTrue(message(image)?.contains("'bad image'") == true)
    }
}
