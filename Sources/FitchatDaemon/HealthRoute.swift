import HTTPServer

/// `/healthz`: answers while the event loops do (the watchdog checks the store too).
enum HealthRoute {
    static func install(on http: HTTPServer) {
        http.route(.GET, "/healthz") { _ in .text(.ok, "ok\n") }
    }
}
