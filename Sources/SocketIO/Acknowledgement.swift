import NIOConcurrencyHelpers
import SocketIOProtocol

/// Answers a client's event once; later calls are ignored.
public final class Acknowledgement: Sendable {
    private let send: NIOLockedValueBox<(@Sendable ([JSONValue]) -> Void)?>

    init(_ send: @escaping @Sendable ([JSONValue]) -> Void) {
        self.send = NIOLockedValueBox(send)
    }

    public func callAsFunction(_ args: JSONValue...) { reply(args) }

    public func reply(_ args: [JSONValue]) {
        let once = send.withLockedValue { current in
            defer { current = nil }
            return current
        }
        once?(args)
    }
}
