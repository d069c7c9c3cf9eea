#!/usr/bin/env bash
# bench/ratelimit.sh -- the cost of rate_limit, side by side with nginx-plain (whose config
# already evaluates limit_req on every request), in three runs of bench/compare.sh:
#   off    the gateway with headers + CORS (the usual comparison)
#   local  + a rate_limit filter, in-process store (no redis:)
#   redis  + the same filter, in a redis-server on 127.0.0.1:18379
# and the Redis round trips per request (EVALSHA calls / requests served) of the redis run.
# Knobs: MODES ["off local redis"] and those of bench/compare.sh (ROUNDS, DURATION, SCENARIOS...).
# Results: bench/results/.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RESULTS="$REPO/bench/results"
TS="$(date +%Y%m%d-%H%M%S)"
REDIS_PORT=18379
export SCENARIOS="${SCENARIOS:-get-http post-http}"
mkdir -p "$RESULTS" /tmp/bench

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile /tmp/bench/redis-$REDIS_PORT.pid --logfile /tmp/bench/redis-$REDIS_PORT.log
trap 'kill "$(cat /tmp/bench/redis-$REDIS_PORT.pid)" 2>/dev/null || true' EXIT
printf 'redis: { address: 127.0.0.1:%s, timeout: 50ms }\n' "$REDIS_PORT" >/tmp/bench/ratelimit-redis.yaml

MODES="${MODES:-off local redis}"
run() {
    local mode="$1"; shift
    [[ " $MODES " == *" $mode "* ]] || return 0
    echo "== $mode" | tee -a "$RESULTS/ratelimit-$TS.txt"
    env "$@" "$REPO/bench/compare.sh" 2>&1 | tee "$RESULTS/ratelimit-$TS-$mode.log" \
        | sed -n '/^| scenario/,/^$/p' | tee -a "$RESULTS/ratelimit-$TS.txt"
}

run off
run local EXTRA_FILTERS_FILE="$REPO/bench/ratelimit.yaml" ROUTE_FILTERS="headers, cors, limit"
run redis EXTRA_FILTERS_FILE="$REPO/bench/ratelimit.yaml" ROUTE_FILTERS="headers, cors, limit" \
    EXTRA_CONFIG_FILE=/tmp/bench/ratelimit-redis.yaml KEEP_RUNNING=1

# Round trips: one wrk run against the still-running gateway, EVALSHA calls counted by Redis.
redis-cli -p "$REDIS_PORT" CONFIG RESETSTAT >/dev/null
redis_cpu() { awk '{ print $14 + $15 }' "/proc/$(cat /tmp/bench/redis-$REDIS_PORT.pid)/stat"; }
before=$(redis_cpu)
served=$(wrk -t1 -c64 -d5s -H "Host: api.health.test" http://127.0.0.1:18090/api/patients/123 \
    | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
calls=$(redis-cli -p "$REDIS_PORT" INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),.*/\1/p')
after=$(redis_cpu)
awk -v s="$served" -v c="${calls:-0}" -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    printf "redis round trips: %d EVALSHA for %d requests = %.3f per request; redis-server CPU %.1f us/request\n",
        c, s, (s ? c / s : 0), (s ? t / hz * 1e6 / s : 0) }' \
    | tee -a "$RESULTS/ratelimit-$TS.txt"
"$REPO/bench/gateway.sh" stop || true
for s in nginx-plain upstream; do "${BENCH_TMP:-/tmp/bench}/harness/$s.sh" stop || true; done
