#if canImport(Glibc)
    import Glibc
#endif

/// glibc gives each thread that meets contention an arena of its own (up to eight per core). The
/// daemon's threads (event loops, the concurrency pool, the store's writer) pass each connection's
/// objects between them, so with several arenas a connection's memory was spread over all of
/// them and freed memory stayed fragmented: one arena kept an idle connection at ~9 KB of RSS
/// instead of ~10 KB, measured with 3,000 WebSockets. Called first thing in `main`, before
/// other threads exist (arenas already made stay); the unit also sets MALLOC_ARENA_MAX=1.
enum MallocArenas {
    static func useOne() {
        #if canImport(Glibc)
            // An operator's own setting wins.
            guard getenv("MALLOC_ARENA_MAX") == nil else { return }
            // `mallopt` is in <malloc.h>, which Swift's Glibc module does not import; M_ARENA_MAX is -8 there.
            typealias Mallopt = @convention(c) (CInt, CInt) -> CInt
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            _ = mallopt(-8, 1)
        #endif
    }
}
