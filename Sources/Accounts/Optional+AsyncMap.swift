extension Optional {
    /// `map` for an async transform: a token that may be missing, looked up in the store.
    public func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
