import Configuration
import Foundation
import NIOCore

/// A failed `bind`, said as a sentence an operator can act on instead of NIO's syscall text.
struct ListenError: Error, CustomStringConvertible {
    let errno: Int32
    let address: ListenAddress

    init(_ error: IOError, address: ListenAddress) {
        self.errno = error.errnoCode
        self.address = address
    }

    var description: String {
        switch errno {
        case EADDRINUSE:
            "cannot listen on \(address): the address is already in use by another program (or another fitchat); stop it or choose another address with --listen"
        case EACCES:
            "cannot listen on \(address): permission denied (ports below 1024 need privileges; use a higher port, or systemd's fitchat.socket)"
        case EADDRNOTAVAIL:
            "cannot listen on \(address): no interface of this machine has that address; check --listen"
        default:
            "cannot listen on \(address): \(String(cString: strerror(errno)))"
        }
    }
}
