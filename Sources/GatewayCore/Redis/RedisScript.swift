import CGatewayOpenSSL

/// A Lua script for ``RedisClient/evaluate(_:keys:arguments:completion:)``: its source and the
/// SHA-1 that `EVALSHA` names it by.
public struct RedisScript: Sendable {
    public let source: String
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        sha1 = Digest.hex(EVP_sha1(), Array(source.utf8))
    }
}

/// Digests for filters that must derive names (e.g. Redis keys) from client input without
/// storing that input verbatim.
public enum Digest {
    /// Lowercase hex SHA-256 of `bytes`.
    public static func sha256Hex(_ bytes: [UInt8]) -> String { hex(EVP_sha256(), bytes) }

    static func hex(_ type: OpaquePointer?, _ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        bytes.withUnsafeBufferPointer { input in
            _ = EVP_Digest(input.baseAddress, input.count, &digest, &length, type, nil)
        }
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(Int(length) * 2)
        for byte in digest.prefix(Int(length)) {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
