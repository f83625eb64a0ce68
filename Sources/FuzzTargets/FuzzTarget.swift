/// The fuzz targets: each a pure function of one input that returns normally for every input,
/// or traps (a crash for libFuzzer) when a decoder crashes or breaks one of its own invariants.
/// One enum so one fuzzer binary, one replay tool and one test suite serve them all.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case engineIOPacket = "engineio-packet"
    case pollingPayload = "polling-payload"
    case socketIOPacket = "socketio-packet"
    case json
    case httpHead = "http-head"
    case hostAppToken = "hostapp-token"
    case records

    /// Runs one input through the target.
    public func run(_ input: [UInt8]) {
        switch self {
        case .engineIOPacket: EngineIOTargets.packet(input)
        case .pollingPayload: EngineIOTargets.pollingPayload(input)
        case .socketIOPacket: SocketIOTarget.run(input)
        case .json: JSONTarget.run(input)
        case .httpHead: HTTPHeadTarget.run(input)
        case .hostAppToken: HostAppTokenTarget.run(input)
        case .records: RecordTargets.run(input)
        }
    }
}

/// A broken invariant: trap with what broke, so libFuzzer keeps the input and the message says why.
func fuzzCheck(
    _ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line
) {
    if !condition { fatalError("fuzz invariant broken: \(message())", file: file, line: line) }
}
