import Foundation
import FuzzTargets

/// `fitchat-fuzz`: the fuzz targets of `FuzzTargets` behind one binary.
///
/// Fuzz build (`make fuzz`, `-sanitize=fuzzer,address -DFUZZING`): libFuzzer's driver runs, on the
/// target named by FITCHAT_FUZZ_TARGET; every libFuzzer flag works, and files given as arguments
/// are replayed (`FITCHAT_FUZZ_TARGET=json fitchat-fuzz crash-…`). The driver is started from this
/// `main` through `LLVMFuzzerRunDriver` rather than libFuzzer's own `main`, so one source serves
/// both builds (SwiftPM links an executable to its module's main entry point).
///
/// Normal build: `fitchat-fuzz replay TARGET FILE|DIR…` runs inputs through a target (a crash
/// reproduces without the fuzzer build), `fitchat-fuzz seeds DIR` writes the generated seeds.
@main
enum FitchatFuzz {
    static func main() {
        #if FUZZING
            guard selectedTarget != nil else {
                let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
                FileHandle.standardError.write(Data("set FITCHAT_FUZZ_TARGET to one of: \(names)\n".utf8))
                exit(2)
            }
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(runFuzzerDriver(&argc, &argv, testOneInput))
        #else
            exit(ReplayCommand.run(Array(CommandLine.arguments.dropFirst())))
        #endif
    }
}

#if FUZZING
    /// Read once, before the driver starts.
    let selectedTarget: FuzzTarget? = ProcessInfo.processInfo.environment["FITCHAT_FUZZ_TARGET"].flatMap(
        FuzzTarget.init)

    /// libFuzzer's `LLVMFuzzerRunDriver` (FuzzerInterface.h; linked from the fuzzer runtime).
    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    private let testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt = { data, size in
        let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        selectedTarget?.run(input)
        return 0
    }
#endif
