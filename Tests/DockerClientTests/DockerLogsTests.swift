import Foundation
import TitanTestSupport
import XCTest

@testable import DockerClient

/// `logs?follow=1` against the real engine: separated, byte-exact, binary-safe, ended at exit.
final class DockerLogsTests: DockerTestCase {
    func testStdoutAndStderrComeBackSeparatedAndExact() async throws {
        let id = try await run("printf out1; printf err1 >&2; printf out2; exit 3")
        let stream = try await docker.logs(id, follow: true)
        let output = try await withDeadline(.seconds(20), waitingFor: "following the logs") { try await Self.collect(stream) }
        XCTAssertEqual(String(decoding: output.stdout, as: UTF8.self), "out1out2")
        XCTAssertEqual(String(decoding: output.stderr, as: UTF8.self), "err1")
        let docker = self.docker!
        let code = try await withDeadline(.seconds(20), waitingFor: "wait") { try await docker.waitContainer(id) }
        XCTAssertEqual(code, 3)
        let details = try await docker.inspectContainer(id)
        XCTAssertEqual(details.state.exitCode, 3)
        XCTAssertEqual(details.state.status, "exited")
    }

    func testBinaryOutputIsByteExact() async throws {
        let id = try await run("head -c 100000 /dev/urandom > /tmp/b; cat /tmp/b; sha256sum /tmp/b >&2")
        let stream = try await docker.logs(id)
        let output = try await withDeadline(.seconds(20), waitingFor: "following the logs") { try await Self.collect(stream) }
        XCTAssertEqual(output.stdout.count, 100_000)
        let inside = String(decoding: output.stderr, as: UTF8.self).split(separator: " ").first.map(String.init)
        XCTAssertEqual(try Self.sha256(output.stdout), inside)
        let docker = self.docker!
        let code = try await withDeadline(.seconds(20), waitingFor: "wait") { try await docker.waitContainer(id) }
        XCTAssertEqual(code, 0)
    }

    /// Docker 20.10 often closes `follow=1` before the last output of a container that exits at
    /// once (about half of these runs, measured with a raw client); the catch-up read must
    /// make every one complete.
    func testFollowIsCompleteWhenTheEngineEndsItEarly() async throws {
        for attempt in 0..<8 {
            let id = try await run("head -c 100000 /dev/urandom > /tmp/b; cat /tmp/b; sha256sum /tmp/b >&2")
            let stream = try await docker.logs(id)
            let output = try await withDeadline(.seconds(20), waitingFor: "following the logs") { try await Self.collect(stream) }
            XCTAssertEqual(output.stdout.count, 100_000, "attempt \(attempt)")
            let inside = String(decoding: output.stderr, as: UTF8.self).split(separator: " ").first.map(String.init)
            XCTAssertEqual(try Self.sha256(output.stdout), inside, "attempt \(attempt)")
            try await docker.removeContainer(id, force: true)
        }
    }

    /// 4 MB through a reader slower than the engine: the bounded buffer pauses the transfer
    /// (``DockerClient/logBufferBytes``) and nothing is lost.
    func testSlowReaderGetsEveryByte() async throws {
        let id = try await run("head -c 4000000 /dev/urandom > /tmp/b; cat /tmp/b; sha256sum /tmp/b >&2")
        let stream = try await docker.logs(id)
        let output = try await withDeadline(.seconds(40), waitingFor: "following 4 MB slowly") {
            var stdout: [UInt8] = []
            var stderr: [UInt8] = []
            var frames = 0
            for try await frame in stream {
                frames += 1
                if frames % 16 == 0 { try await Task.sleep(for: .milliseconds(1)) }
                if frame.stream == .stdout { stdout += frame.bytes } else { stderr += frame.bytes }
            }
            return (stdout, stderr)
        }
        XCTAssertEqual(output.0.count, 4_000_000)
        let inside = String(decoding: output.1, as: UTF8.self).split(separator: " ").first.map(String.init)
        XCTAssertEqual(try Self.sha256(output.0), inside)
    }

    func testLeavingAFollowEarlyAbortsIt() async throws {
        let id = try await run("echo hi; sleep 60")
        let stream = try await docker.logs(id)
        let first: LogFrame? = try await withDeadline(.seconds(20), waitingFor: "the first line") {
            for try await frame in stream {
                return frame
            }
            return LogFrame?.none
        }
        XCTAssertEqual(first, LogFrame(stream: .stdout, bytes: Array("hi\n".utf8)))
        let removed = try await docker.removeContainer(id, force: true)
        XCTAssertEqual(removed, .removed)
    }

    func testFollowDeliversOutputLiveAndEndsAtExit() async throws {
        var spec = spec("echo \"first $FOO\"; sleep 1; echo second >&2")
        spec.environment = ["FOO": "bar"]
        let id = try await docker.createContainer(spec)
        _ = try await docker.startContainer(id)
        let stream = try await docker.logs(id, follow: true)
        let frames = try await withDeadline(.seconds(20), waitingFor: "following the logs") {
            var iterator = stream.makeAsyncIterator()
            let first = try await iterator.next()
            let firstAt = ContinuousClock.now
            var rest: [LogFrame] = []
            while let frame = try await iterator.next() {
                rest.append(frame)
            }
            // The first line came while the container still slept.
            return (first, ContinuousClock.now - firstAt, rest)
        }
        XCTAssertEqual(frames.0, LogFrame(stream: .stdout, bytes: Array("first bar\n".utf8)))
        XCTAssertGreaterThan(frames.1, .milliseconds(500))
        XCTAssertEqual(frames.2, [LogFrame(stream: .stderr, bytes: Array("second\n".utf8))])
    }

    func testLogsWithoutFollowAndOneStreamOnly() async throws {
        let id = try await run("echo out; echo err >&2")
        let docker = self.docker!
        _ = try await withDeadline(.seconds(20), waitingFor: "wait") { try await docker.waitContainer(id) }
        let both = try await withDeadline(.seconds(20), waitingFor: "logs") { try await Self.collect(try await docker.logs(id, follow: false)) }
        XCTAssertEqual(both.stdout, Array("out\n".utf8))
        XCTAssertEqual(both.stderr, Array("err\n".utf8))
        let stderrOnly = try await withDeadline(.seconds(20), waitingFor: "logs") {
            try await Self.collect(try await docker.logs(id, follow: false, stdout: false))
        }
        XCTAssertEqual(stderrOnly.stdout, [])
        XCTAssertEqual(stderrOnly.stderr, Array("err\n".utf8))
        let later = try await withDeadline(.seconds(20), waitingFor: "logs") {
            try await Self.collect(try await docker.logs(id, follow: false, since: Date().addingTimeInterval(3600)))
        }
        XCTAssertEqual(later.stdout + later.stderr, [])
        let earlier = try await withDeadline(.seconds(20), waitingFor: "logs") {
            try await Self.collect(try await docker.logs(id, follow: true, since: Date().addingTimeInterval(-3600)))
        }
        XCTAssertEqual(earlier.stdout, Array("out\n".utf8))
        let neither = try await docker.logs(id, follow: false, stdout: false, stderr: false)
        await assertThrows(.engine(status: 400, message: "Bad parameters: you must choose at least one stream")) {
            _ = try await Self.collect(neither)
        }
    }

    func testLogsOfUnknownContainerIsNotFound() async throws {
        let id = "titan-no-such-container-\(runID)"
        let stream = try await docker.logs(id)
        await assertThrows(.notFound("container \(id)")) {
            _ = try await Self.collect(stream)
        }
    }
}
