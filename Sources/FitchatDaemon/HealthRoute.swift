import Accounts
import Administration
import ChatModel
import ChatStore
import Configuration
import EngineIO
import EngineIOProtocol
import FitchatCore
import Foundation
import HTTPServer
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SocketIO
import Systemd
import WebRoutes

/// The HTTP routes of the daemon.
enum Routes {
    static func install(on http: HTTPServer, store: ChatStore) {
        http.route(.GET, "/healthz") { _ in .text(.ok, "ok\n") }
    }
}
