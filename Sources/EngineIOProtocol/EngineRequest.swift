/// An Engine.IO HTTP request, classified before any session is touched.
public enum EngineRequest: Equatable, Sendable {
    /// A new session (GET without sid), over this transport.
    case handshake(EngineTransport)
    /// A long-poll GET for an existing session.
    case poll(sid: String)
    /// Packets POSTed to an existing session.
    case post(sid: String)
    /// A WebSocket upgrade of an existing polling session.
    case upgrade(sid: String)

    /// Classifies by method and query (`EIO`, `transport`, `sid`) and whether the request asks
    /// for a WebSocket upgrade.
    public static func classify(
        method: String, query: [String: String], isWebSocketUpgrade: Bool, configuration: EngineConfiguration
    ) -> Result<EngineRequest, EngineError> {
        guard query["EIO"] == "4" else { return .failure(.unsupportedProtocolVersion) }
        guard let transport = query["transport"].flatMap(EngineTransport.init(rawValue:)) else {
            return .failure(.unknownTransport)
        }
        switch transport {
        case .polling where !configuration.allowPolling, .websocket where !configuration.allowWebSocket:
            return .failure(.unknownTransport)
        default: break
        }
        if transport == .websocket, !isWebSocketUpgrade { return .failure(.badRequest) }
        guard let sid = query["sid"] else {
            guard method == "GET" else { return .failure(.badHandshakeMethod) }
            return .success(.handshake(transport))
        }
        switch (transport, method) {
        case (.websocket, _): return .success(.upgrade(sid: sid))
        case (.polling, "GET"): return .success(.poll(sid: sid))
        case (.polling, "POST"): return .success(.post(sid: sid))
        default: return .failure(.badRequest)
        }
    }
}
