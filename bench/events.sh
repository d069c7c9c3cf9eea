#!/usr/bin/env bash
# events.sh -- what security events cost, in CPU-microseconds per request (release build, the
# bench filters of bench/filters.yaml, 1 worker, the shared harness's upstream and run.sh).
#
#   (a) GET /api/patients/123, which raises no event: no `events:` section vs a file sink
#       (EVENTS_FILE). Shows that configuring events costs nothing on requests that raise none.
#   (b) the same GET on a route whose ip_access filter denies 127.0.0.0/8: every request is
#       answered 403 by the gateway and raises one `ip-denied` event. Without `events:` the
#       event is one line on stderr (here: the gateway's log file); with the file sink it is one
#       JSON line in EVENTS_FILE. Per-event cost of the file sink = the difference.
#   (c) a markdown table of the medians, printed at the end.
#
# Each pair is measured interleaved (A B A B ...), ROUNDS rounds, the gateway restarted for
# every run (bench/gateway.sh with EXTRA_CONFIG_FILE / FILTERS_FILE / ROUTE_FILTERS). The
# gateway of this script runs on its own ports and folder, so it can run next to compare.sh.
#
# Knobs (defaults in brackets): ROUNDS [3]  DURATION [5]  WARMUP [1]  LAT_DURATION [0]
#   CONNS [64]  GW_HTTP_PORT [18095]  GW_HTTPS_PORT [18495]  EVENTS_FILE [$BENCH_TMP/events.jsonl]
#   BENCH_TMP [/tmp/bench]  SHARED_BENCH [<repo>/../shared/bench]  SKIP_BUILD=1
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED_BENCH="${SHARED_BENCH:-$(dirname "$REPO")/shared/bench}"
export BENCH_TMP="${BENCH_TMP:-/tmp/bench}"
export DURATION="${DURATION:-5}" WARMUP="${WARMUP:-1}" LAT_DURATION="${LAT_DURATION:-0}"
ROUNDS="${ROUNDS:-3}"
GW_HTTP_PORT="${GW_HTTP_PORT:-18095}"
GW_HTTPS_PORT="${GW_HTTPS_PORT:-18495}"
EVENTS_FILE="${EVENTS_FILE:-$BENCH_TMP/events.jsonl}"
GATEWAY_BIN="${GATEWAY_BIN:-$REPO/.build/release/gateway}"
WORK="$BENCH_TMP/events-bench"
GW_DIR="$BENCH_TMP/gateway-events"
RESULTS="$REPO/bench/results"

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { echo "ERROR: $*" >&2; exit 1; }

[[ -x "$SHARED_BENCH/run.sh" ]] || die "shared harness not found at $SHARED_BENCH (set SHARED_BENCH)"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    if [[ ! -x "$GATEWAY_BIN" ]] || [[ -n "$(find "$REPO/Sources" "$REPO/Plugins" "$REPO/Package.swift" -newer "$GATEWAY_BIN" -print -quit)" ]]; then
        log "building the release binary"
        (cd "$REPO" && swift build -c release --product gateway)
    fi
fi
mkdir -p "$WORK" "$RESULTS"

# ---------------------------------------------------------------- configs
cat >"$WORK/events.yaml" <<YAML
events:
  sinks:
    - { type: file, path: $EVENTS_FILE, max_size: 256MiB, keep: 1 }
YAML
{ cat "$REPO/bench/filters.yaml"; echo "  deny_local: { plugin: ip_access, deny: [127.0.0.0/8] }"; } >"$WORK/filters-deny.yaml"

# ---------------------------------------------------------------- the upstream
STARTED_UPSTREAM=0
if ! ss -Hltn "sport = :18080" | grep -q .; then
    log "starting the harness upstream"
    "$SHARED_BENCH/upstream.sh" start
    STARTED_UPSTREAM=1
fi

gw() {  # gw VARIANT start|stop
    local variant="$1" extra="" filters="$REPO/bench/filters.yaml" route="headers, cors"
    case "$variant" in
        get-none) ;;
        get-file) extra="$WORK/events.yaml" ;;
        deny-stderr) filters="$WORK/filters-deny.yaml"; route="deny_local, headers, cors" ;;
        deny-file) filters="$WORK/filters-deny.yaml"; route="deny_local, headers, cors"; extra="$WORK/events.yaml" ;;
    esac
    GW_DIR="$GW_DIR" HTTP_PORT="$GW_HTTP_PORT" HTTPS_PORT="$GW_HTTPS_PORT" GATEWAY_BIN="$GATEWAY_BIN" \
        FILTERS_FILE="$filters" ROUTE_FILTERS="$route" EXTRA_CONFIG_FILE="$extra" \
        "$REPO/bench/gateway.sh" "$2"
}
cleanup() { gw get-none stop || true; [[ "$STARTED_UPSTREAM" == 1 ]] && "$SHARED_BENCH/upstream.sh" stop || true; }
trap cleanup EXIT

TS="$(date +%Y%m%d-%H%M%S)"
RAW="$RESULTS/events-$TS.raw"
: >"$RAW"

# count_lines PATTERN FILE... -> lines matching PATTERN ("" = all) in the files that exist
count_lines() {
    local pattern="$1" n=0 f; shift
    for f in "$@"; do [[ -f "$f" ]] && n=$((n + $(grep -c -- "$pattern" "$f" || true))); done
    echo "$n"
}

# measure VARIANT ROUND -> one line "variant=.. round=.. <run.sh RESULT fields> events=N"
measure() {
    local variant="$1" round="$2"
    gw "$variant" stop 2>/dev/null || true
    rm -f "$EVENTS_FILE" "$EVENTS_FILE".1 "$GW_DIR/gateway.log"
    gw "$variant" start
    local pid; pid="$(tr -dc '0-9' <"$GW_DIR/gateway.pid")"
    local line; line="$(TARGET_PIDS="$pid" FORMAT=kv "$SHARED_BENCH/run.sh" "$GW_HTTP_PORT" http)"
    sleep 0.5   # let the dispatcher write the last events
    local events dropped stderr_lines
    events=$(count_lines '' "$EVENTS_FILE" "$EVENTS_FILE".1)
    dropped=$(count_lines '"events-dropped"' "$EVENTS_FILE" "$EVENTS_FILE".1)
    stderr_lines=$(count_lines 'ip-denied' "$GW_DIR/gateway.log")
    gw "$variant" stop
    echo "variant=$variant round=$round ${line#RESULT } file_events=$events stderr_events=${stderr_lines:-0} dropped_reports=$dropped" | tee -a "$RAW" >&2
}

for round in $(seq 1 "$ROUNDS"); do
    for variant in get-none get-file; do measure "$variant" "$round"; done
done
for round in $(seq 1 "$ROUNDS"); do
    for variant in deny-stderr deny-file; do measure "$variant" "$round"; done
done
rm -f "$EVENTS_FILE" "$EVENTS_FILE".1

# ---------------------------------------------------------------- the table
TABLE="$RESULTS/events-$TS.md"
awk '
  function median(v, name,   m, i, j, t, a) {
    m = cnt[v]; for (i = 1; i <= m; i++) a[i] = val[v, name, i] + 0
    for (i = 2; i <= m; i++) { t = a[i]; j = i - 1; while (j > 0 && a[j] > t) { a[j + 1] = a[j]; j-- } a[j + 1] = t }
    return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
  }
  {
    delete f
    for (i = 1; i <= NF; i++) { p = index($i, "="); if (p) f[substr($i, 1, p - 1)] = substr($i, p + 1) }
    v = f["variant"]; c = ++cnt[v]
    split("rps cpu_us_req other_cores requests non2xx file_events stderr_events dropped_reports", names, " ")
    for (n in names) val[v, names[n], c] = f[names[n]]
    runs[v] = runs[v] (runs[v] == "" ? "" : " / ") sprintf("%.1f", f["cpu_us_req"])
  }
  END {
    label["get-none"] = "GET 200, no `events:`"
    label["get-file"] = "GET 200, file sink (no event raised)"
    label["deny-stderr"] = "GET 403 by ip_access, 1 event -> stderr line"
    label["deny-file"] = "GET 403 by ip_access, 1 event -> file sink"
    print "| case | req/s | CPU-us/req (median) | CPU-us/req per run | events written (all runs, incl. warm-up) | events-dropped reports | other tenants (cores) |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    split("get-none get-file deny-stderr deny-file", order, " ")
    for (k = 1; k <= 4; k++) {
      v = order[k]; if (!cnt[v]) continue
      ev = 0; dr = 0
      for (i = 1; i <= cnt[v]; i++) { ev += val[v, "file_events", i] + val[v, "stderr_events", i]; dr += val[v, "dropped_reports", i] }
      printf "| %s | %.0f | %.1f | %s | %d | %d | %.2f |\n", label[v], median(v, "rps"), median(v, "cpu_us_req"), runs[v],
        ev, dr, median(v, "other_cores")
    }
    printf "\n"
    printf "- events configured, no event raised: %+.1f CPU-us/request (get-file - get-none)\n", median("get-file", "cpu_us_req") - median("get-none", "cpu_us_req")
    printf "- one event to the file sink instead of a stderr line: %+.1f CPU-us/event (deny-file - deny-stderr)\n", median("deny-file", "cpu_us_req") - median("deny-stderr", "cpu_us_req")
  }' "$RAW" | tee "$TABLE"
log "raw lines: $RAW, table: $TABLE"
