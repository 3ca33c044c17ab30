import Foundation
import TitanTestSupport
import XCTest

@testable import DockerClient

/// `attach` against the real engine: attached before the start, a reader gets every byte the
/// container writes, however much, however slowly it reads.
final class DockerAttachTests: DockerTestCase {
    /// 110 MB, more than the `local` log driver keeps (5 files of 20 MB), read after a pause:
    /// `logs?follow=1` loses the rotated start of such output; the attached stream has it all.
    func testAttachedBeforeStartDeliversMoreThanTheLogDriverKeeps() async throws {
        let size = 110_000_000
        let id = try await docker.createContainer(spec("head -c \(size) /dev/urandom > /tmp/b; cat /tmp/b; sha256sum /tmp/b >&2"))
        let stream = try await docker.attach(id)
        let outcome = try await docker.startContainer(id)
        XCTAssertEqual(outcome, .started)
        // Nobody reads for a second: the container waits for its reader, nothing is dropped.
        try await Task.sleep(for: .seconds(1))
        let output = try await withDeadline(.seconds(120), waitingFor: "reading 110 MB attached") { try await Self.collect(stream) }
        XCTAssertEqual(output.stdout.count, size)
        let inside = String(decoding: output.stderr, as: UTF8.self).split(separator: " ").first.map(String.init)
        XCTAssertEqual(try Self.sha256(output.stdout), inside)
        let docker = self.docker!
        let code = try await withDeadline(.seconds(20), waitingFor: "wait") { try await docker.waitContainer(id) }
        XCTAssertEqual(code, 0)
    }

    func testStdoutAndStderrComeBackSeparatedFromTheFirstByte() async throws {
        let id = try await docker.createContainer(spec("printf out1; printf err1 >&2; printf out2; exit 4"))
        let stream = try await docker.attach(id)
        let outcome = try await docker.startContainer(id)
        XCTAssertEqual(outcome, .started)
        let output = try await withDeadline(.seconds(20), waitingFor: "reading the attached stream") { try await Self.collect(stream) }
        XCTAssertEqual(String(decoding: output.stdout, as: UTF8.self), "out1out2")
        XCTAssertEqual(String(decoding: output.stderr, as: UTF8.self), "err1")
        let docker = self.docker!
        let code = try await withDeadline(.seconds(20), waitingFor: "wait") { try await docker.waitContainer(id) }
        XCTAssertEqual(code, 4)
    }

    func testAttachingToAnUnknownContainerIsNotFound() async throws {
        let id = "titan-no-such-container-\(runID)"
        await assertThrows(.notFound("container \(id)")) {
            _ = try await self.docker.attach(id)
        }
    }
}
