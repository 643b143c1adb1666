/// Arithmetic on numbers read from input (quantities, CRI resources) that stops at the type's
/// bounds instead of trapping: an absurd value then meets the validation (or the kernel) that
/// refuses it with a line, not a crash.
extension FixedWidthInteger {
    public func adding(saturating other: Self) -> Self {
        let (r, o) = addingReportingOverflow(other)
        return o ? (other < 0 ? .min : .max) : r
    }

    public func subtracting(saturating other: Self) -> Self {
        let (r, o) = subtractingReportingOverflow(other)
        return o ? (other < 0 ? .max : .min) : r
    }

    public func multiplied(saturating other: Self) -> Self {
        let (r, o) = multipliedReportingOverflow(by: other)
        return o ? ((self < 0) != (other < 0) ? .min : .max) : r
    }
}
