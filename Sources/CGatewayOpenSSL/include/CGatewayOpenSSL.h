#ifndef C_GATEWAY_OPENSSL_H
#define C_GATEWAY_OPENSSL_H

#include <sys/types.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/rand.h>

/// Function-like macros and SSL_OP_BIT masks that Swift cannot import.
int gw_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version);
long gw_ssl_ctx_set_mode(SSL_CTX *ctx, long mode);
long gw_ssl_ctx_set_session_cache_mode(SSL_CTX *ctx, long mode);
int gw_ssl_ctx_set1_groups_list(SSL_CTX *ctx, const char *list);
uint64_t gw_ssl_hardened_options(void);
int gw_ssl_ctx_set_servername_callback(SSL_CTX *ctx, int (*cb)(SSL *, int *, void *), void *arg);
int gw_ssl_ctx_use_alpn_http11(SSL_CTX *ctx);
/// Client side: SNI (SSL_set_tlsext_host_name is a macro) and the ALPN offer "http/1.1".
int gw_ssl_set_tlsext_host_name(SSL *ssl, const char *name);
int gw_ssl_ctx_offer_alpn_http11(SSL_CTX *ctx);

#endif
