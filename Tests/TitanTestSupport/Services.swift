import DockerClient
import EtcdClient
import Foundation

/// The real services a test needs, checked before it starts: a missing one fails the test
/// within seconds with a sentence saying what to run, instead of letting it wait for jobs that
/// can never run.
public enum TestServices {
    /// The image Titan's Docker tests run (`Tools/import-busybox-image` makes it offline).
    public static let image = "busybox:latest"

    /// The Docker engine's socket: `DOCKER_HOST` (unix://PATH) when set, else the default.
    public static var dockerSocket: String {
        (try? DockerClient.socketPathFromEnvironment()) ?? DockerClient.defaultSocketPath
    }

    /// A client of the engine at ``dockerSocket`` once it answers and has ``image``; otherwise a
    /// ``HarnessFailure`` saying what to run.
    public static func requireDocker() async throws -> DockerClient {
        let client = DockerClient(socketPath: dockerSocket)
        do {
            _ = try await withDeadline(.seconds(10), waitingFor: "the Docker engine at \(dockerSocket) to answer a ping") {
                try await client.ping()
            }
        } catch {
            throw HarnessFailure("no Docker engine answers on \(dockerSocket): run Tools/start-services (or Tools/test, which starts one) — \(error)")
        }
        let present = try await withDeadline(.seconds(10), waitingFor: "the Docker engine to inspect \(image)") {
            try await client.inspectImage(image) != nil
        }
        guard present else {
            throw HarnessFailure("the Docker engine at \(dockerSocket) has no \(image): run Tools/import-busybox-image")
        }
        return client
    }

    /// Checks that the etcd at `endpoint` answers a status request within 5 s.
    public static func requireEtcd(_ endpoint: String) async throws {
        let client = EtcdClient(endpoints: [endpoint], requestTimeout: .seconds(2))
        defer { client.shutdown() }
        do {
            _ = try await withDeadline(.seconds(5), waitingFor: "etcd at \(endpoint) to answer") {
                try await client.status()
            }
        } catch {
            throw HarnessFailure("etcd at \(endpoint) does not answer: run Tools/start-services, or unset TITAN_TEST_ETCD — \(error)")
        }
    }
}
