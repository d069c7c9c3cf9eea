#ifndef C_GATEWAY_LIBEVENT_H
#define C_GATEWAY_LIBEVENT_H

/* sys/types.h first: event-config.h defines _GNU_SOURCE and would change glibc's fd_set. */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <event2/util.h>

/// Ignores SIGPIPE (SIG_IGN is a macro cast Swift cannot import).
void gw_ignore_sigpipe(void);
/// Blocks the shutdown and reload signals in the calling thread, so only the main loop gets them.
void gw_block_control_signals(void);
/// Writes to stderr unbuffered.
void gw_write_stderr(const char *message);

#endif
