import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Routes by exact path or path prefix; the first matching route wins.
final class Router: Sendable {
    struct Route: Sendable {
        var method: HTTPMethod?
        var path: String
        var prefix: Bool
        var handler: HTTPHandler

        func matches(path candidate: String) -> Bool {
            prefix ? candidate.hasPrefix(path) : candidate == path
        }
    }

    private let routes = NIOLockedValueBox<[Route]>([])

    func add(_ route: Route) {
        routes.withLockedValue { $0.append(route) }
    }

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        let candidates = routes.withLockedValue { $0 }.filter { $0.matches(path: request.path) }
        guard !candidates.isEmpty else { return .text(.notFound, "not found\n") }
        // HEAD is GET without the body (the writer leaves the body out): health checkers use it.
        let method = request.method == .HEAD ? .GET : request.method
        guard let route = candidates.first(where: { $0.method == nil || $0.method == method }) else {
            var response = HTTPResponse.text(.methodNotAllowed, "method not allowed\n")
            let allowed = Set(candidates.compactMap { $0.method.map { "\($0)" } }).sorted()
            response.headers.add(name: "Allow", value: allowed.joined(separator: ", "))
            return response
        }
        return await route.handler(request)
    }
}
