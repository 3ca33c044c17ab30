/// Runs `body` in a task that the caller's cancellation does not reach, and waits for it: for
/// clean-up that must still happen while the caller is being cancelled (removing a container,
/// for one). Nothing outlives the caller: the result is awaited.
func withoutCancellation<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await Task { try await body() }.value
}
