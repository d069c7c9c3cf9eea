import CGatewayLibevent
import CGatewayOpenSSL
import GatewayConfig
import GatewayNetwork

/// The client-side TLS configuration of one upstream: one `SSL_CTX` built when the config
/// loads (CA store, TLS 1.2+, ALPN http/1.1, optional client certificate), shared by every
/// worker; each connection gets an `SSL` with its server name and hostname check.
///
/// Two contexts are equal when built from the same settings (verify, server name, CA, client
/// certificate and key paths), so a reload keeps the pool of an upstream whose TLS settings
/// did not change; the pool then takes the new context, whose files were read again.
final class UpstreamTLSContext: @unchecked Sendable, Equatable {
    private let ctx: OpaquePointer
    let verify: Bool
    /// Overrides each target's host as SNI and verified name.
    let serverName: String?
    private let caPath: String?
    private let certPath: String?
    private let keyPath: String?

    init?(_ config: UpstreamTLSConfig, upstream: String, diagnostics: ConfigDiagnostics) {
        guard let ctx = SSL_CTX_new(TLS_client_method()) else {
            diagnostics.error("cannot create a TLS context: \(openSSLErrors())", at: config.location)
            return nil
        }
        self.ctx = ctx
        verify = config.verify
        serverName = config.serverName
        caPath = config.caPath
        certPath = config.certPath
        keyPath = config.keyPath
        _ = gw_ssl_ctx_set_min_proto_version(ctx, TLS1_2_VERSION)
        SSL_CTX_set_options(ctx, gw_ssl_hardened_options())
        // The bufferevent retries a partial SSL_write from wherever its buffer then is.
        _ = gw_ssl_ctx_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS))
        _ = gw_ssl_ctx_offer_alpn_http11(ctx)
        UpstreamTLSContext.enableSessionReuse(ctx)
        let loaded = if let ca = config.caPath {
            SSL_CTX_load_verify_locations(ctx, ca, nil) == 1
        } else {
            SSL_CTX_set_default_verify_paths(ctx) == 1
        }
        guard loaded else {
            let what = config.caPath.map { "cannot load CA file \($0)" } ?? "cannot load the system CA store"
            diagnostics.error("\(what): \(openSSLErrors())", at: config.caLocation ?? config.location)
            return nil
        }
        if let cert = config.certPath, let key = config.keyPath {
            guard SSL_CTX_use_certificate_chain_file(ctx, cert) == 1, SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1,
                  SSL_CTX_check_private_key(ctx) == 1 else {
                diagnostics.error("cannot use client certificate \(cert) with key \(key): \(openSSLErrors())",
                                  at: config.certLocation ?? config.location)
                return nil
            }
        }
        SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        if !verify {
            gw_write_stderr("gateway: warning: upstream '\(upstream)' has tls.verify: false; its certificates are not checked\n")
        }
    }

    deinit { SSL_CTX_free(ctx) }

    static func == (lhs: UpstreamTLSContext, rhs: UpstreamTLSContext) -> Bool {
        lhs.verify == rhs.verify && lhs.serverName == rhs.serverName && lhs.caPath == rhs.caPath
            && lhs.certPath == rhs.certPath && lhs.keyPath == rhs.keyPath
    }

    /// A client `SSL` for a connection to a target written as `host`: SNI (never an IP literal),
    /// and with verification on, the certificate must match that name or address.
    func makeSSL(host: String) -> OpaquePointer? {
        guard let ssl = SSL_new(ctx) else { return nil }
        let name = serverName ?? host
        let isAddress = IPAddress(name) != nil
        if !isAddress { _ = gw_ssl_set_tlsext_host_name(ssl, name) }
        if verify {
            let ok = isAddress ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1 : SSL_set1_host(ssl, name) == 1
            guard ok else {
                SSL_free(ssl)
                return nil
            }
        }
        return ssl
    }
}
