import ArgumentParser

/// Options given in seconds: checked once in `validate()`, turned into durations once.
enum Seconds {
    /// The longest limit anyone means (about 31 years); beyond it a duration would overflow.
    static let longest = 1e9

    /// - Throws: `ValidationError` naming `option` when `value` is not above 0 and at most
    ///   ``longest``.
    static func check(_ value: Double, option: String) throws {
        guard value > 0, value <= longest else {
            throw ValidationError(
                "\(option) takes a number of seconds above 0 and at most \(Int(longest)), not \(value)")
        }
    }

    static func duration(_ value: Double) -> Duration {
        .milliseconds(Int((value * 1000).rounded(.up)))
    }
}
