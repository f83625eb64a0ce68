import SocketIOProtocol

/// One server → client event and who gets it.
public struct Delivery: Equatable, Sendable {
    public var audience: Audience
    public var event: String
    public var payload: JSONValue
    /// A stored message reaching its room: what `fitchat_deliveries_total` counts.
    public var isMessageDelivery: Bool

    public init(_ audience: Audience, _ event: String, _ payload: JSONValue, isMessageDelivery: Bool = false) {
        self.audience = audience
        self.event = event
        self.payload = payload
        self.isMessageDelivery = isMessageDelivery
    }
}
