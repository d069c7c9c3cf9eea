#include "CGatewayLibevent.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>

void gw_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

void gw_block_control_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void gw_write_stderr(const char *message) {
    size_t len = strlen(message);
    while (len > 0) {
        ssize_t n = write(2, message, len);
        if (n <= 0) return;
        message += n;
        len -= (size_t)n;
    }
}
