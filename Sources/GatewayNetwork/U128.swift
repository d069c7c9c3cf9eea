/// A 128-bit unsigned integer with just the operations address arithmetic needs.
///
/// The stdlib `UInt128` is not available on every deployment target the package declares,
/// and CIDR matching only needs masks, comparisons and increments.
struct U128: Hashable, Comparable, Sendable {
    var high: UInt64
    var low: UInt64

    static let zero = U128(high: 0, low: 0)
    static let max = U128(high: .max, low: .max)

    /// The top `prefixLength` bits set (0...128).
    static func mask(prefixLength: Int) -> U128 {
        switch prefixLength {
        case ...0: return .zero
        case ..<64: return U128(high: ~(UInt64.max >> UInt64(prefixLength)), low: 0)
        case ..<128: return U128(high: .max, low: ~(UInt64.max >> UInt64(prefixLength - 64)))
        default: return .max
        }
    }

    /// `self << bits | value`, for building addresses group by group (`bits` is 16 or 32).
    func appending(_ value: UInt64, bits: Int) -> U128 {
        shiftedLeft(by: bits) | U128(high: 0, low: value)
    }

    /// Shifted left by 0...128 bits.
    func shiftedLeft(by bits: Int) -> U128 {
        switch bits {
        case ...0: return self
        case ..<64: return U128(high: high << UInt64(bits) | low >> UInt64(64 - bits), low: low << UInt64(bits))
        case ..<128: return U128(high: low << UInt64(bits - 64), low: 0)
        default: return .zero
        }
    }

    /// `self + 1`, or nil at `max`.
    var successor: U128? {
        if low != .max { return U128(high: high, low: low + 1) }
        return high == .max ? nil : U128(high: high + 1, low: 0)
    }

    static func & (a: U128, b: U128) -> U128 { U128(high: a.high & b.high, low: a.low & b.low) }
    static func | (a: U128, b: U128) -> U128 { U128(high: a.high | b.high, low: a.low | b.low) }
    static prefix func ~ (a: U128) -> U128 { U128(high: ~a.high, low: ~a.low) }
    static func < (a: U128, b: U128) -> Bool { a.high != b.high ? a.high < b.high : a.low < b.low }
}
