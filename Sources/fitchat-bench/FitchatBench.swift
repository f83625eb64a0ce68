import ArgumentParser

@main
struct FitchatBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fitchat-bench",
        abstract: "Benchmarks of fitchat that print numbers (never installed).",
        subcommands: [
            StoreBench.self, RoomsListBench.self, SearchBench.self, ColdStartBench.self, ChatBench.self, IdleBench.self,
            HandshakeBench.self, MapGrowthBench.self, SoakBench.self, CrashChild.self,
            HoldReader.self,
        ])
}
