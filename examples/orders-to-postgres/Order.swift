/// One line of the CSV, as read.
struct RawLine: Codable, Sendable {
    var number: Int
    var text: String
}

/// A valid order, as written to the database.
struct Order: Codable, Sendable {
    var id: Int
    var customer: String
    var country: String
    var amountCents: Int
    /// `YYYY-MM-DD`, checked to be a real day so that the database's `date` column accepts it.
    var orderedOn: String

    /// Parses and validates one CSV line; the error says what is wrong with it.
    init(parsing line: RawLine) throws(Rejection) {
        let fields = line.text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 5 else { throw Rejection(line, "expected 5 fields, found \(fields.count)") }
        guard let id = Int(fields[0]), id > 0 else {
            throw Rejection(line, "order_id \"\(fields[0])\" is not a positive number")
        }
        guard !fields[1].isEmpty else { throw Rejection(line, "customer is empty") }
        guard let amount = Int(fields[3]) else {
            throw Rejection(line, "amount_cents \"\(fields[3])\" is not a whole number of cents")
        }
        guard amount >= 0 else { throw Rejection(line, "amount_cents \(amount) is negative") }
        guard Self.isDay(fields[4]) else { throw Rejection(line, "ordered_on \"\(fields[4])\" is not a day") }
        self.id = id
        customer = fields[1]
        country = fields[2]
        amountCents = amount
        orderedOn = fields[4]
    }

    static func isDay(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month)
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }
}

/// A line that is not a valid order, and why: what `join()`'s report lists for each skipped line.
struct Rejection: Error, CustomStringConvertible {
    var line: Int
    var reason: String

    init(_ line: RawLine, _ reason: String) {
        self.line = line.number
        self.reason = reason
    }

    var description: String { "line \(line): \(reason)" }
}
