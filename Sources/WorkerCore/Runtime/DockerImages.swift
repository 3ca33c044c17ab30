import DockerClient

/// What a docker runtime knows about the images its jobs name, so that an attempt normally makes
/// no image call at all.
///
/// - An image seen present is not inspected again. If it is removed later, the create says so
///   (`notFound`) and the runtime calls ``forget(_:)`` and ``ensure(_:)`` once more.
/// - An image that cannot be had is remembered as such for ``unavailableFor``: a burst of 1,000
///   jobs naming it fails them all with the engine's reason after one pull attempt, not 1,000.
/// - Concurrent attempts naming an image not yet known share one inspect (and pull): the first
///   does the work, the others wait for its answer.
///
/// Bounded: at most ``maxEntries`` images are remembered; past that the memory is cleared and
/// rebuilt on demand (one inspect per image again). Waiting for another attempt's pull is not
/// cancellable; the caller checks its cancellation once the answer is in.
actor DockerImages {
    /// How long a failed pull is remembered before the next job naming the image tries again.
    static let unavailableFor = Duration.seconds(30)
    /// How many images are remembered at most.
    static let maxEntries = 1024

    private enum Known {
        case present
        case unavailable(reason: String, since: ContinuousClock.Instant)
    }

    private typealias Waiter = CheckedContinuation<Result<String?, any Error>, Never>

    private let client: DockerClient
    private var known: [String: Known] = [:]
    /// Images being inspected or pulled now, with the attempts waiting for the answer.
    private var inFlight: [String: [Waiter]] = [:]

    init(client: DockerClient) {
        self.client = client
    }

    /// Makes sure the engine has `image`. Returns nil when it has, or the reason it cannot be
    /// had; throws when the engine itself fails (unreachable, 5xx), which is not remembered.
    func ensure(_ image: String) async throws -> String? {
        switch known[image] {
        case .present:
            return nil
        case let .unavailable(reason, since) where ContinuousClock.now - since < Self.unavailableFor:
            return reason
        case .unavailable, nil:
            break
        }
        if inFlight[image] != nil {
            let answer = await withCheckedContinuation { (waiter: Waiter) in
                inFlight[image, default: []].append(waiter)
            }
            return try answer.get()
        }
        inFlight[image] = []
        let answer: Result<String?, any Error>
        do {
            try await client.ensureImage(image)
            answer = .success(nil)
        } catch DockerError.imageUnavailable(_, let reason) {
            answer = .success(reason)
        } catch {
            answer = .failure(error)
        }
        remember(image, answer)
        for waiter in inFlight.removeValue(forKey: image) ?? [] {
            waiter.resume(returning: answer)
        }
        return try answer.get()
    }

    /// The engine said `image` is missing after all: the next ``ensure(_:)`` asks it again.
    func forget(_ image: String) {
        known.removeValue(forKey: image)
    }

    private func remember(_ image: String, _ answer: Result<String?, any Error>) {
        if known.count >= Self.maxEntries {
            known.removeAll(keepingCapacity: true)
        }
        switch answer {
        case .success(nil):
            known[image] = .present
        case let .success(reason?):
            known[image] = .unavailable(reason: reason, since: .now)
        case .failure:
            known.removeValue(forKey: image)
        }
    }
}
