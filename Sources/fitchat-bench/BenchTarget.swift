import ArgumentParser

/// The server a load bench drives, and how its clients sign in: shared by `chat` and `idle`.
struct BenchTarget: ParsableArguments {
    @Option(help: "The server, http://HOST:PORT.") var url: String
    @Option(help: "The server's host-app token secret (HS256).") var secret: String

    func validate() throws {
        guard BenchConnector.parse(url: url) != nil else { throw ValidationError("--url must be http://HOST:PORT") }
    }

    var host: String { BenchConnector.parse(url: url)!.host }
    var port: Int { BenchConnector.parse(url: url)!.port }
}
