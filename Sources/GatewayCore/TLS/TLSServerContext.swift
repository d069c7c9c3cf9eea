import CGatewayOpenSSL
import GatewayConfig

/// The server-side TLS configuration of one listener: one `SSL_CTX` per certificate, the first
/// being the default, the others picked by SNI.
///
/// Built off the loops when the config loads; immutable afterwards and shared by every worker.
public final class TLSServerContext: @unchecked Sendable {
    /// Certificates in config order; `contexts[0]` handles the handshake and is swapped for the
    /// one whose certificate matches the client's server name.
    private let contexts: [OpaquePointer]
    private let certificates: [OpaquePointer]

    /// The modern default for TLS 1.2 (TLS 1.3 suites are OpenSSL's defaults): forward secrecy and AEAD only.
    public static let defaultCiphers =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

    /// Loads every certificate and key; errors go to `diagnostics` at the certificate's location.
    public init?(_ config: TLSConfig, diagnostics: ConfigDiagnostics) {
        var contexts: [OpaquePointer] = []
        var certificates: [OpaquePointer] = []
        for certificate in config.certificates {
            guard let ctx = TLSServerContext.makeContext(config, certificate, diagnostics) else { continue }
            contexts.append(ctx)
            certificates.append(SSL_CTX_get0_certificate(ctx))
        }
        self.contexts = contexts
        self.certificates = certificates
        guard contexts.count == config.certificates.count, !contexts.isEmpty else { return nil }
        if contexts.count > 1 {
            gw_ssl_ctx_set_servername_callback(
                contexts[0], tlsServerNameCallback, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    deinit {
        for ctx in contexts { SSL_CTX_free(ctx) }
    }

    /// A new server-side `SSL` for an accepted connection.
    func makeSSL() -> OpaquePointer? { SSL_new(contexts[0]) }

    private static func makeContext(
        _ config: TLSConfig, _ certificate: CertificateConfig, _ diagnostics: ConfigDiagnostics
    ) -> OpaquePointer? {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else {
            diagnostics.error("cannot create a TLS context: \(openSSLErrors())", at: certificate.location)
            return nil
        }
        let minVersion = config.minVersion == .v1_3 ? TLS1_3_VERSION : TLS1_2_VERSION
        _ = gw_ssl_ctx_set_min_proto_version(ctx, minVersion)
        SSL_CTX_set_options(ctx, gw_ssl_hardened_options())
        // Moving write buffer: a retried SSL_write may come from a different evbuffer chain.
        _ = gw_ssl_ctx_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS))
        _ = gw_ssl_ctx_set1_groups_list(ctx, "X25519:P-256:P-384")
        // Stateless resumption with tickets (keys random per process); no server-side cache.
        _ = gw_ssl_ctx_set_session_cache_mode(ctx, Int(SSL_SESS_CACHE_OFF))
        let ciphers = config.ciphers ?? defaultCiphers
        guard SSL_CTX_set_cipher_list(ctx, ciphers) == 1 else {
            diagnostics.error("no usable cipher in '\(ciphers)': \(openSSLErrors())", at: config.ciphersLocation ?? certificate.location)
            SSL_CTX_free(ctx)
            return nil
        }
        guard SSL_CTX_use_certificate_chain_file(ctx, certificate.certPath) == 1 else {
            diagnostics.error("cannot load certificate chain \(certificate.certPath): \(openSSLErrors())", at: certificate.location)
            SSL_CTX_free(ctx)
            return nil
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, certificate.keyPath, SSL_FILETYPE_PEM) == 1 else {
            diagnostics.error("cannot load private key \(certificate.keyPath): \(openSSLErrors())", at: certificate.keyLocation)
            SSL_CTX_free(ctx)
            return nil
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            diagnostics.error("private key \(certificate.keyPath) does not match certificate \(certificate.certPath)", at: certificate.keyLocation)
            SSL_CTX_free(ctx)
            return nil
        }
        gw_ssl_ctx_use_alpn_http11(ctx)
        return ctx
    }

    /// Picks the first certificate valid for `name`; the default stays when none is.
    fileprivate func select(_ ssl: OpaquePointer, name: UnsafePointer<CChar>) {
        let length = strlen(name)
        for (index, certificate) in certificates.enumerated() where index > 0 {
            if X509_check_host(certificate, name, length, 0, nil) == 1 {
                SSL_set_SSL_CTX(ssl, contexts[index])
                return
            }
        }
    }
}

private func tlsServerNameCallback(_ ssl: OpaquePointer?, _ alert: UnsafeMutablePointer<Int32>?, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    guard let ssl, let arg, let name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) else {
        return SSL_TLSEXT_ERR_OK
    }
    Unmanaged<TLSServerContext>.fromOpaque(arg).takeUnretainedValue().select(ssl, name: name)
    return SSL_TLSEXT_ERR_OK
}

/// Drains OpenSSL's thread-local error queue into one line.
func openSSLErrors() -> String {
    var messages: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        messages.append(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
    }
    return messages.isEmpty ? "unknown OpenSSL error" : messages.joined(separator: "; ")
}
