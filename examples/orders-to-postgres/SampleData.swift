import Foundation

/// The sample CSV this example generates: a header and `rows` orders, of which every 97th is
/// broken in one of four ways, so the valid orders and their total are known in advance.
enum SampleData {
    static let header = "order_id,customer,country,amount_cents,ordered_on"
    static let countries = ["DE", "FR", "NL", "SE", "US", "CL", "JP"]

    static func isBroken(_ id: Int) -> Bool { id % 97 == 0 }

    /// A spread of amounts from 0 to 99,999 cents that a test can recompute.
    static func amountCents(_ id: Int) -> Int { id * 7_919 % 100_000 }

    static func line(_ id: Int) -> String {
        let customer = "customer \(id % 1_000)"
        let country = countries[id % countries.count]
        let amount = amountCents(id)
        let day = "2026-\(String(format: "%02d", id % 12 + 1))-\(String(format: "%02d", id % 28 + 1))"
        guard isBroken(id) else { return "\(id),\(customer),\(country),\(amount),\(day)" }
        switch (id / 97) % 4 {
        case 0: return "\(id),,\(country),\(amount),\(day)"
        case 1: return "\(id),\(customer),\(country),-\(amount + 1),\(day)"
        case 2: return "\(id),\(customer),\(country),\(amount),2026-02-30"
        default: return "\(id),\(customer),\(country),\(amount / 100).\(amount % 100),\(day)"
        }
    }

    static func write(rows: Int, to path: String) throws {
        var text = header + "\n"
        text.reserveCapacity(rows * 50)
        for index in 0..<rows { text += line(index + 1) + "\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
