/// A set of networks, answering `contains` in O(log n) for thousands of entries (trusted
/// proxies, allow and deny lists).
///
/// Networks become ranges in one 128-bit space (IPv4 as IPv4-mapped IPv6), merged when they
/// overlap or touch, and looked up by binary search.
public struct CIDRSet: Sendable {
    /// Sorted, disjoint and non-adjacent.
    private let ranges: [ClosedRange<U128>]

    public init(_ cidrs: [CIDR]) {
        var merged: [ClosedRange<U128>] = []
        for range in cidrs.map(\.range).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            // The last range absorbs this one if it overlaps or starts right after it.
            if let last = merged.last, last.upperBound.successor.map({ range.lowerBound <= $0 }) ?? true {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        ranges = merged
    }

    /// True when the set has no networks (so it contains nothing).
    public var isEmpty: Bool { ranges.isEmpty }

    /// Whether `ip` is in any of the networks; IPv4 networks match IPv4-mapped IPv6 addresses.
    public func contains(_ ip: IPAddress) -> Bool {
        let bits = ip.mappedBits
        // The first range starting after `bits`; the one before it is the only candidate.
        var low = 0, high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].lowerBound <= bits { low = middle + 1 } else { high = middle }
        }
        return low > 0 && bits <= ranges[low - 1].upperBound
    }
}
