import CGatewayLibevent
import CGatewayOpenSSL

/// The last TLS session of each target of one upstream, kept by one worker's pool so its next
/// connection resumes it (an abbreviated handshake: no certificate chain to send and verify)
/// instead of a full one, like nginx's `proxy_ssl_session_reuse`. TLS 1.3 sessions arrive after
/// the handshake (NewSessionTicket), so they are taken from OpenSSL's new-session callback.
/// Confined to the pool's worker loop.
final class UpstreamTLSSessions {
    private var sessions: [OpaquePointer?]

    init(targets: Int) {
        sessions = Array(repeating: nil, count: targets)
    }

    /// Offers `target`'s session to a new connection's `ssl` (OpenSSL takes its own reference).
    func offer(to ssl: OpaquePointer, target: Int) {
        if let session = sessions[target] { _ = SSL_set_session(ssl, session) }
    }

    /// Keeps `session` for `target`, taking the caller's reference.
    func store(_ session: OpaquePointer, target: Int) {
        if let old = sessions[target] { SSL_SESSION_free(old) }
        sessions[target] = session
    }

    /// Forgets every session (a reload read the CA and certificates again: resumed sessions
    /// would skip the new verification).
    func removeAll() {
        for case let session? in sessions { SSL_SESSION_free(session) }
        sessions = Array(repeating: nil, count: sessions.count)
    }

    deinit { removeAll() }
}

/// Where an upstream `SSL` keeps its ``UpstreamConnection`` for the new-session callback.
let upstreamConnectionExIndex = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL, 0, nil, nil, nil, nil)

extension UpstreamTLSContext {
    /// Client-side session caching without OpenSSL's internal store: sessions go to the pools.
    static func enableSessionReuse(_ ctx: OpaquePointer) {
        _ = gw_ssl_ctx_set_session_cache_mode(ctx, Int(SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE))
        SSL_CTX_sess_set_new_cb(ctx) { ssl, session in
            // Health-check connections carry no connection: their sessions are not kept.
            guard let ssl, let session, let connection = SSL_get_ex_data(ssl, upstreamConnectionExIndex) else { return 0 }
            let upstream = Unmanaged<UpstreamConnection>.fromOpaque(connection).takeUnretainedValue()
            upstream.pool.tlsSessions.store(session, target: upstream.target)
            return 1  // the reference is ours now
        }
    }
}
