#ifndef C_GATEWAY_HIREDIS_H
#define C_GATEWAY_HIREDIS_H

#include <sys/types.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

/// `redisCommandArgv` returns `void *`; this names the type for Swift.
redisReply *gw_redis_command_argv(redisContext *c, int argc, const char **argv, const size_t *argvlen);

#endif
