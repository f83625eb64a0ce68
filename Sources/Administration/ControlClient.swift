import Foundation

/// The CLI's side of the control socket: blocking, short, and harmless when no daemon runs
/// (the store already holds the change; a daemon that starts later reads it from there).
public enum ControlClient {
    public enum Outcome: Equatable {
        case delivered
        case noDaemon
        case failed(String)
    }

    public static func send(_ message: ControlMessage, socketPath: String, timeoutSeconds: Int = 5) -> Outcome {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failed(String(cString: strerror(errno))) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            return .failed("socket path too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            return errno == ENOENT || errno == ECONNREFUSED ? .noDaemon : .failed(String(cString: strerror(errno)))
        }
        guard var line = try? JSONEncoder().encode(message) else { return .failed("cannot encode") }
        line.append(UInt8(ascii: "\n"))
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else { return .failed("write: \(String(cString: strerror(errno)))") }

        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while !reply.contains(UInt8(ascii: "\n")) {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 {
                return .failed(n == 0 ? "daemon closed the control connection" : String(cString: strerror(errno)))
            }
            reply.append(contentsOf: buffer[0..<n])
        }
        let text = String(decoding: reply, as: UTF8.self)
        return text.hasPrefix("{\"ok\":true")
            ? .delivered : .failed(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
