import ChatModel
import Foundation

enum Table {
    /// Left-aligned columns separated by two spaces. Cells are escaped: a display name with a
    /// newline or a right-to-left override must not forge rows or reorder what the operator reads.
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows.map { $0.map { SafeText.escaped($0) } }
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
