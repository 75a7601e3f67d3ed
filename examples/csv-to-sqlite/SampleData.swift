import Foundation

/// The sample CSV this example generates: `orders.csv` with a header and `rows` orders, of
/// which every 97th is broken in one of four ways, so the rejects are known in advance.
enum SampleData {
    static let header = "id,customer,email,amount_cents,day"

    static func isBroken(_ id: Int) -> Bool { id % 97 == 0 }

    static func line(_ id: Int) -> String {
        let customer = "customer \(id % 1_000)"
        let amount = id % 10_000
        let day = "2026-\(String(format: "%02d", id % 12 + 1))-\(String(format: "%02d", id % 28 + 1))"
        guard isBroken(id) else { return "\(id),\(customer),c\(id % 1_000)@example.com,\(amount),\(day)" }
        switch (id / 97) % 4 {
        case 0: return "\(id),\(customer),not-an-email,\(amount),\(day)"
        case 1: return "\(id),\(customer),c\(id)@example.com,-\(amount + 1),\(day)"
        case 2: return "\(id),\(customer),c\(id)@example.com,\(amount),\(day),extra"
        default: return "\(id),\(customer),c\(id)@example.com,twelve,\(day)"
        }
    }

    /// Writes the file unless it exists with the same number of rows.
    static func write(rows: Int, to path: String) throws {
        var text = header + "\n"
        text.reserveCapacity(rows * 60)
        for id in 1...rows { text += line(id) + "\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
