import ArgumentParser

/// One rule for every option that takes seconds: a positive, finite number no larger than a bound,
/// so that nan never compares false past a check and inf or 1e300 never makes a deadline that
/// does not fit a timespec.
enum SecondsOption {
    /// A year: longer than any wait a user means, small enough for every deadline computation.
    static let year: Double = 31_536_000

    static func isValid(_ t: Double, atMost maximum: Double = year) -> Bool { t > 0 && t <= maximum }

    static func check(_ t: Double, _ option: String, atMost maximum: Double = year) throws {
        guard isValid(t, atMost: maximum) else {
            throw ValidationError("\(option) must be a positive number of seconds, at most \(Int(maximum)), got \(t)")
        }
    }
}
