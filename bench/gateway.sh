#!/usr/bin/env bash
# gateway.sh start|stop|restart|status -- the gateway as a target of the shared benchmark harness.
#
# Renders a config into $BENCH_TMP/gateway/ (1 worker; http 127.0.0.1:18090, https
# 127.0.0.1:18490 with the harness certificate $BENCH_TMP/certs/server.{crt,key}; upstream
# 127.0.0.1:18080, the harness's fake backend), checks it, and starts
# `.build/release/gateway run` in the background with a pid file. Stops by that pid only.
#
# Environment knobs (defaults in brackets):
#   GATEWAY_BIN   [<repo>/.build/release/gateway]
#   WORKERS       [1]      gateway workers (the peers use 1 worker each, see the harness README)
#   HTTP_PORT     [18090]  HTTPS_PORT [18490]  UPSTREAM [127.0.0.1:18080]
#   BENCH_TMP     [/tmp/bench]
#   SHARED_BENCH  [<repo>/../shared/bench]   (read-only; only its gen-certs.sh is used here)
#   FILTERS_FILE  [bench/filters.yaml]  a YAML file with a `filters:` map; the default gives the
#                     gateway nginx-plain's work (the same security headers, CORS, preflight)
#   ROUTE_FILTERS ["headers, cors"]  the filters of the route, in order ("" and
#                     FILTERS_FILE=none: a bare proxy, no filters)
#   EXTRA_FILTERS_FILE [none]  more entries (indented two spaces) appended under filters:
#   EXTRA_CONFIG_FILE [none]  a YAML file appended verbatim to the config (top-level keys,
#                     e.g. an `events:` section; see bench/events.sh)
#   GW_DIR        [$BENCH_TMP/gateway]  where the config, pid file and log go (another
#                     folder lets a second gateway run next to the first, on other ports)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED_BENCH="${SHARED_BENCH:-$(dirname "$REPO")/shared/bench}"
BENCH_TMP="${BENCH_TMP:-/tmp/bench}"
GATEWAY_BIN="${GATEWAY_BIN:-$REPO/.build/release/gateway}"
WORKERS="${WORKERS:-1}"
HTTP_PORT="${HTTP_PORT:-18090}"
HTTPS_PORT="${HTTPS_PORT:-18490}"
UPSTREAM="${UPSTREAM:-127.0.0.1:18080}"
FILTERS_FILE="${FILTERS_FILE-$REPO/bench/filters.yaml}"
[[ "$FILTERS_FILE" == none ]] && FILTERS_FILE=""
ROUTE_FILTERS="${ROUTE_FILTERS-headers, cors}"
EXTRA_CONFIG_FILE="${EXTRA_CONFIG_FILE:-}"
DIR="${GW_DIR:-$BENCH_TMP/gateway}"
CONF="$DIR/gateway.yaml"
PIDFILE="$DIR/gateway.pid"
LOG="$DIR/gateway.log"
CERT_DIR="$BENCH_TMP/certs"

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { echo "ERROR: $*" >&2; exit 1; }

# pid from our pid file, only if that process is alive and is a gateway
gateway_pid() {
    [[ -s "$PIDFILE" ]] || return 1
    local pid; pid="$(tr -dc '0-9' <"$PIDFILE")"
    [[ -n "$pid" && -d "/proc/$pid" ]] || return 1
    local name; name="$(basename "$GATEWAY_BIN")"
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "${name:0:15}" ]] || return 1
    echo "$pid"
}

listening() { ss -Hltn "sport = :$1" | grep -q .; }

render_config() {
    local filters="filters: {}" route_filters="[${ROUTE_FILTERS:-}]"
    if [[ -n "${FILTERS_FILE:-}" ]]; then
        [[ -r "$FILTERS_FILE" ]] || die "FILTERS_FILE $FILTERS_FILE not readable"
        filters="$(cat "$FILTERS_FILE")"
    fi
    if [[ -n "${EXTRA_FILTERS_FILE:-}" ]]; then
        [[ -r "$EXTRA_FILTERS_FILE" ]] || die "EXTRA_FILTERS_FILE $EXTRA_FILTERS_FILE not readable"
        filters="$filters"$'\n'"$(cat "$EXTRA_FILTERS_FILE")"
    fi
    local extra=""
    if [[ -n "$EXTRA_CONFIG_FILE" ]]; then
        [[ -r "$EXTRA_CONFIG_FILE" ]] || die "EXTRA_CONFIG_FILE $EXTRA_CONFIG_FILE not readable"
        extra="$(cat "$EXTRA_CONFIG_FILE")"
    fi
    cat >"$CONF" <<YAML
# rendered by bench/gateway.sh -- edit the script, not this file
workers: $WORKERS
listeners:
  - { name: web, address: 127.0.0.1:$HTTP_PORT }
  - name: web-tls
    address: 127.0.0.1:$HTTPS_PORT
    tls:
      certificates:
        - { cert: $CERT_DIR/server.crt, key: $CERT_DIR/server.key }
      min_version: "1.2"
limits: { max_body_bytes: 10MiB }
upstreams:
  app: { targets: [$UPSTREAM], max_idle: 256 }
routes:
  - name: default
    match: { path_prefix: / }
    upstream: app
    filters: $route_filters
$filters
$extra
YAML
}

start() {
    if pid=$(gateway_pid); then log "gateway already running (pid $pid)"; return 0; fi
    [[ -x "$GATEWAY_BIN" ]] || die "no gateway binary at $GATEWAY_BIN (run: swift build -c release)"
    for p in "$HTTP_PORT" "$HTTPS_PORT"; do
        listening "$p" && die "port $p is already in use: $(ss -Hltnp "sport = :$p" | head -1)"
    done
    mkdir -p "$DIR"
    if [[ ! -s "$CERT_DIR/server.crt" || ! -s "$CERT_DIR/server.key" ]]; then
        [[ -x "$SHARED_BENCH/gen-certs.sh" ]] || die "no $SHARED_BENCH/gen-certs.sh (set SHARED_BENCH)"
        BENCH_TMP="$BENCH_TMP" "$SHARED_BENCH/gen-certs.sh"
    fi
    render_config
    "$GATEWAY_BIN" check --config "$CONF" || die "gateway check failed for $CONF"
    # setsid: its own session, so that terminal signals to this shell do not reach it
    setsid "$GATEWAY_BIN" run --config "$CONF" >>"$LOG" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    local i
    for i in $(seq 1 100); do
        if listening "$HTTP_PORT" && listening "$HTTPS_PORT"; then break; fi
        [[ -d /proc/$(cat "$PIDFILE") ]] || { tail -20 "$LOG" >&2; die "gateway exited during start-up (log: $LOG)"; }
        sleep 0.1
    done
    listening "$HTTP_PORT" && listening "$HTTPS_PORT" || { tail -20 "$LOG" >&2; die "gateway not listening after 10 s (log: $LOG)"; }
    log "gateway started: pid $(cat "$PIDFILE"), http :$HTTP_PORT, https :$HTTPS_PORT, workers=$WORKERS, upstream $UPSTREAM"
}

stop() {
    if pid=$(gateway_pid); then
        kill -TERM "$pid"
        for _ in $(seq 1 100); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
        if [[ -d /proc/$pid ]]; then kill -KILL "$pid"; log "gateway killed (pid $pid, did not exit on SIGTERM in 10 s)"
        else log "gateway stopped (pid $pid)"; fi
        rm -f "$PIDFILE"
    else
        log "gateway not running"
    fi
}

status() {
    if pid=$(gateway_pid); then
        echo "gateway: running, pid $pid, http :$HTTP_PORT, https :$HTTPS_PORT ($(awk '/^VmRSS/{print $2 " kB RSS"}' "/proc/$pid/status"))"
    else
        echo "gateway: stopped"
    fi
}

case "${1:-status}" in
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    status) status ;;
    *) die "usage: $0 start|stop|restart|status" ;;
esac
