// A deliberate bug for each sanitizer, so scripts/test-sanitizers.sh can prove, before it trusts a
// clean run, that a report from an instrumented process with its options really lands in the
// report directory (a misspelt option or a log_path nobody writes to would otherwise pass silently).
// Never part of the package: compiled by the script alone with `swiftc -sanitize=…`.
import Foundation

final class Counter: @unchecked Sendable {  // @unchecked on purpose: the race is the point.
    var value = 0
}

switch CommandLine.arguments.dropFirst().first {
case "thread":
    // Two threads increment one unsynchronised counter: a data race.
    let counter = Counter()
    let other = Thread { for _ in 0..<10_000 { counter.value += 1 } }
    other.start()
    for _ in 0..<10_000 { counter.value += 1 }
    Thread.sleep(forTimeInterval: 0.2)
    print(counter.value)
case "address":
    // One element written past the end of a heap allocation: a heap-buffer-overflow.
    let buffer = UnsafeMutablePointer<Int>.allocate(capacity: 4)
    buffer[4] = 1  // the subscript is @_transparent: the store is in this (instrumented) code
    buffer.deallocate()
case "leak":
    // A heap block whose only pointer is dropped: a leak, reported at exit.
    var block: UnsafeMutablePointer<Int>? = .allocate(capacity: 1000)
    block?.initialize(repeating: 7, count: 1000)
    block = nil
    print(block == nil)
default:
    print("usage: sanitizer-canary thread|address|leak")
    exit(2)
}
