/// The transports of Engine.IO v4: HTTP long-polling and WebSocket.
public enum EngineTransport: String, Sendable, Equatable {
    case polling, websocket
}
