/// A request method. The common methods are stored without allocation; any other token keeps its bytes.
/// Methods are case-sensitive (RFC 9110 9.1): `HTTPMethod("get")` is not `.get`.
public struct HTTPMethod: Sendable, Hashable, CustomStringConvertible {
    enum Storage: Sendable, Hashable {
        case get, head, post, put, delete, options, patch, trace, connect
        case other([UInt8])
    }

    let storage: Storage

    init(storage: Storage) { self.storage = storage }

    public static let get = HTTPMethod(storage: .get)
    public static let head = HTTPMethod(storage: .head)
    public static let post = HTTPMethod(storage: .post)
    public static let put = HTTPMethod(storage: .put)
    public static let delete = HTTPMethod(storage: .delete)
    public static let options = HTTPMethod(storage: .options)
    public static let patch = HTTPMethod(storage: .patch)
    public static let trace = HTTPMethod(storage: .trace)
    public static let connect = HTTPMethod(storage: .connect)

    /// `text` should be a token (RFC 9110 5.6.2); it is written verbatim when a request is serialized.
    public init(_ text: String) {
        self = withUTF8Bytes(text) { HTTPMethod(bytes: $0) }
    }

    /// Maps the standard names to their static storage (length switch, then exact compare); anything else is copied.
    init(bytes: UnsafeRawBufferPointer) {
        let candidates: (Storage, Storage)
        switch bytes.count {
        case 3: candidates = (.get, .put)
        case 4: candidates = (.post, .head)
        case 5: candidates = (.patch, .trace)
        case 6: candidates = (.delete, .delete)
        case 7: candidates = (.options, .connect)
        default:
            self.init(storage: .other(Array(bytes)))
            return
        }
        if HTTPMethod.hasName(candidates.0, bytes) {
            self.init(storage: candidates.0)
        } else if HTTPMethod.hasName(candidates.1, bytes) {
            self.init(storage: candidates.1)
        } else {
            self.init(storage: .other(Array(bytes)))
        }
    }

    /// GET, HEAD, PUT, DELETE, OPTIONS and TRACE (RFC 9110 9.2.2).
    public var isIdempotent: Bool {
        switch storage {
        case .get, .head, .put, .delete, .options, .trace: return true
        case .post, .patch, .connect, .other: return false
        }
    }

    public var description: String {
        withName { String(decoding: $0, as: UTF8.self) }
    }

    /// The method's bytes, without allocating.
    public func withName<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if case .other(let bytes) = storage { return try bytes.withUnsafeBytes(body) }
        return try body(ASCII.bytes(staticName))
    }

    private var staticName: StaticString {
        switch storage {
        case .get: return "GET"
        case .head: return "HEAD"
        case .post: return "POST"
        case .put: return "PUT"
        case .delete: return "DELETE"
        case .options: return "OPTIONS"
        case .patch: return "PATCH"
        case .trace: return "TRACE"
        case .connect: return "CONNECT"
        case .other: return ""
        }
    }

    /// Exact comparison of 3-7 bytes with the static name of `storage`.
    @inline(__always)
    private static func hasName(_ storage: Storage, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let name = HTTPMethod(storage: storage).staticName
        let n = name.utf8CodeUnitCount
        guard bytes.count == n, let p = bytes.baseAddress else { return false }
        let q = UnsafeRawPointer(name.utf8Start)
        if n >= 4 {
            return p.loadUnaligned(as: UInt32.self) == q.loadUnaligned(as: UInt32.self)
                && p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
                    == q.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        }
        for i in 0..<n where p.load(fromByteOffset: i, as: UInt8.self) != q.load(fromByteOffset: i, as: UInt8.self) {
            return false
        }
        return n > 0
    }
}
