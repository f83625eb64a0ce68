import Foundation

/// Writes one line straight to standard output (one `write(2)`), so a parent reading a pipe or a
/// file sees each line as it is printed, and lines from concurrent tasks never interleave.
func printLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
