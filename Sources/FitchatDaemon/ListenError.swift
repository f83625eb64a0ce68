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

/// A failed `bind` as a sentence an operator can act on, instead of NIO's syscall text.
enum ListenError {
    static func describe(_ error: IOError, address: ListenAddress) -> String {
        let reason = String(cString: strerror(error.errnoCode))
        switch error.errnoCode {
        case EADDRINUSE:
            return "cannot listen on \(address): the address is already in use by another program (or another fitchat); stop it or choose another address with --listen"
        case EACCES:
            return "cannot listen on \(address): permission denied (ports below 1024 need privileges; use a higher port, or systemd's fitchat.socket)"
        case EADDRNOTAVAIL:
            return "cannot listen on \(address): no interface of this machine has that address; check --listen"
        default:
            return "cannot listen on \(address): \(reason)"
        }
    }
}
