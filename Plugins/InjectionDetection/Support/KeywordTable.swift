/// A set of ASCII keywords (stored lowercased) looked up straight from a byte slice, in any
/// case, without allocating: open addressing over a 64-bit FNV-1a hash of the folded bytes.
struct KeywordTable: Sendable {
    private var slots: [Int32]
    /// Every keyword's bytes back to back (one array: no per-word reference counting on lookup).
    private var storage: [UInt8] = []
    private var starts: [Int32] = [0]
    private var values: [UInt8] = []
    private let mask: Int
    /// Bit n set when some keyword has n bytes: most words are ruled out before hashing.
    private var lengths: UInt64 = 0

    /// `entries`: keyword -> a small tag the caller interprets (a class, a weight).
    init(_ entries: [(String, UInt8)]) {
        var size = 16
        while size < entries.count * 3 { size <<= 1 }
        mask = size - 1
        slots = [Int32](repeating: -1, count: size)
        for (word, value) in entries {
            let bytes = Array(word.lowercased().utf8)
            let h = bytes.withUnsafeBytes { KeywordTable.hash($0, 0, $0.count) }
            var slot = Int(truncatingIfNeeded: h) & mask
            var duplicate = false
            while slots[slot] >= 0 {
                let index = Int(slots[slot])
                if storage[Int(starts[index])..<Int(starts[index + 1])].elementsEqual(bytes) { duplicate = true; break }
                slot = (slot + 1) & mask
            }
            if duplicate { continue }
            slots[slot] = Int32(values.count)
            if bytes.count < 64 { lengths |= 1 << UInt64(bytes.count) }
            storage.append(contentsOf: bytes)
            starts.append(Int32(storage.count))
            values.append(value)
        }
    }

    init(_ words: [String], value: UInt8 = 1) {
        self.init(words.map { ($0, value) })
    }

    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in start..<end { h = (h ^ UInt64(ByteClass.lower(bytes[i]))) &* 0x100_0000_01b3 }
        return h
    }

    /// The tag of `bytes[start..<end]` (any case), or nil when it is not a keyword.
    func lookup(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> UInt8? {
        guard end > start, end - start < 64, lengths & (1 << UInt64(end - start)) != 0 else { return nil }
        var slot = Int(truncatingIfNeeded: KeywordTable.hash(bytes, start, end)) & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 { return nil }
            let wordStart = Int(starts[index])
            if Int(starts[index + 1]) - wordStart == end - start {
                var same = true
                for k in 0..<(end - start) where ByteClass.lower(bytes[start + k]) != storage[wordStart + k] { same = false; break }
                if same { return values[index] }
            }
            slot = (slot + 1) & mask
        }
    }

    func contains(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        lookup(bytes, start, end) != nil
    }
}
