#!/usr/bin/env bash
# compare.sh -- the gateway side by side with nginx-plain (and the upstream itself, "direct")
# on the shared benchmark harness, then a short table of gateway/nginx ratios.
#
#   bench/compare.sh                       build release if needed, start what is missing, compare
#   bench/compare.sh --ratios RAW          only re-print the ratio table of an earlier run
#
# Steps: build `.build/release/gateway` when it is missing or older than the sources; start
# the harness's upstream (:18080) and nginx-plain (:18081/:18441) unless they already run;
# (re)start the gateway (bench/gateway.sh, :18090/:18490); a smoke check; then the harness's
# compare.sh with TARGETS="direct nginx-plain" + EXTRA_TARGETS=gateway:18090:18490 and the
# scenarios get-http get-https post-http; finally the ratio table, also written next to the
# report. Only what this script started is stopped at the end (KEEP_RUNNING=1 keeps it).
#
# ../shared/bench is read-only: the harness is run from a symlinked mirror in
# $BENCH_TMP/harness whose results/ points to bench/results/ here (git-ignored), so its
# reports land in this repository instead of the shared folder.
#
# Knobs (defaults in brackets), plus all of the harness's compare.sh knobs (ROUNDS, DURATION,
# WARMUP, LAT_DURATION, CONNS, LAT_CONNS, PIN, MAX_OTHER, RETRIES):
#   SCENARIOS     ["get-http get-https post-http"]
#   PEER          [nginx-plain]   the harness target the gateway is compared with
#   EXTRA_PEERS   [none]          more harness targets measured in the same rounds (e.g. nginx-plain
#                 beside PEER=nginx-modsec); the ratio table stays gateway / PEER
#   MORE_TARGETS  [none]          already running proxies to measure too, as harness
#                 EXTRA_TARGETS entries `label:http_port:https_port`
#   SKIP_BUILD=1  use the existing binary      VERIFY=1  also run the harness's verify.sh
#   KEEP_RUNNING=1  leave the servers running  SHARED_BENCH [<repo>/../shared/bench]
#   GW_HTTP_PORT [18090] GW_HTTPS_PORT [18490] NO_GATEWAY=1 (compare whatever already listens
#                 on those ports under the label "gateway"; used to check this script itself)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED_BENCH="${SHARED_BENCH:-$(dirname "$REPO")/shared/bench}"
export BENCH_TMP="${BENCH_TMP:-/tmp/bench}"
RESULTS="$REPO/bench/results"
MIRROR="$BENCH_TMP/harness"
PEER="${PEER:-nginx-plain}"
GW_HTTP_PORT="${GW_HTTP_PORT:-18090}"
GW_HTTPS_PORT="${GW_HTTPS_PORT:-18490}"
GATEWAY_BIN="${GATEWAY_BIN:-$REPO/.build/release/gateway}"

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { echo "ERROR: $*" >&2; exit 1; }

# ---------------------------------------------------------------- ratio table
# ratios RAW -> markdown: per scenario, medians over rounds of req/s, CPU-us/req and p99 for
# the gateway and the peer, and gateway/peer ratios. The bar (issue): CPU-us/req <= 1.25x.
ratios() {
    local raw="$1"
    awk -v peer="$PEER" -v gw="gateway" '
      function median(key, name,   m, i, j, t, a) {
        m = cnt[key]; if (!m) return -1
        for (i = 1; i <= m; i++) a[i] = val[key, name, i] + 0
        for (i = 2; i <= m; i++) { t = a[i]; j = i - 1; while (j > 0 && a[j] > t) { a[j + 1] = a[j]; j-- } a[j + 1] = t }
        return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
      }
      function ratio(a, b) { return (a < 0 || b <= 0) ? "n/a" : sprintf("%.2f", a / b) }
      function num(x, fmt) { return x < 0 ? "n/a" : sprintf(fmt, x) }
      {
        delete v
        for (i = 1; i <= NF; i++) { p = index($i, "="); if (p) v[substr($i, 1, p - 1)] = substr($i, p + 1) }
        if (!("sc" in v)) next
        if (!(v["sc"] in seen)) { seen[v["sc"]] = 1; order[++ns] = v["sc"] }
        key = v["sc"] SUBSEP v["label"]; c = ++cnt[key]
        split("rps cpu_us_req lat_p99_us p99_us", names, " ")
        for (n in names) val[key, names[n], c] = v[names[n]]
        bad[key] += v["non2xx"] + v["lat_non2xx"] + v["sockerr"]
      }
      END {
        printf "| scenario | req/s %s | req/s %s | req/s ratio | CPU-us/req %s | CPU-us/req %s | CPU ratio (bar <= 1.25) | p99 c4 ratio | p99 c64 ratio | errors %s |\n", gw, peer, gw, peer, gw
        print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for (s = 1; s <= ns; s++) {
          sc = order[s]; g = sc SUBSEP gw; n = sc SUBSEP peer
          grps = median(g, "rps"); nrps = median(n, "rps")
          gcpu = median(g, "cpu_us_req"); ncpu = median(n, "cpu_us_req")
          cr = ratio(gcpu, ncpu)
          verdict = (cr == "n/a") ? "" : ((cr + 0 <= 1.25) ? " ok" : " OVER")
          printf "| %s | %s | %s | %s | %s | %s | %s%s | %s | %s | %d |\n", sc,
            num(grps, "%.0f"), num(nrps, "%.0f"), ratio(grps, nrps),
            num(gcpu, "%.1f"), num(ncpu, "%.1f"), cr, verdict,
            ratio(median(g, "lat_p99_us"), median(n, "lat_p99_us")), ratio(median(g, "p99_us"), median(n, "p99_us")),
            bad[g]
        }
        print ""
        print "req/s ratio > 1: the gateway serves more; CPU ratio < 1: it spends less CPU per request;"
        print "p99 ratio < 1: lower tail latency. Medians over rounds; CPU-us/req is the steadiest metric on this box."
      }' "$raw"
}

if [[ "${1:-}" == --ratios ]]; then
    raw="${2:?usage: compare.sh --ratios results/compare-TS.raw}"
    [[ -s "$raw" ]] || die "no such raw file: $raw"
    ratios "$raw"
    exit 0
fi

# ---------------------------------------------------------------- prerequisites
[[ -x "$SHARED_BENCH/compare.sh" ]] || die "shared harness not found at $SHARED_BENCH (set SHARED_BENCH)"
for tool in nginx wrk curl ss taskset; do command -v "$tool" >/dev/null || die "$tool is required (see bench/README.md)"; done

# ---------------------------------------------------------------- build
if [[ "${NO_GATEWAY:-0}" != 1 && "${SKIP_BUILD:-0}" != 1 ]]; then
    if [[ ! -x "$GATEWAY_BIN" || -n "$(find "$REPO/Sources" "$REPO/Plugins" "$REPO/Package.swift" -newer "$GATEWAY_BIN" -type f -print -quit 2>/dev/null)" ]]; then
        log "building the release binary (swift build -c release)"
        (cd "$REPO" && swift build -c release --product gateway)
    else
        log "release binary is up to date: $GATEWAY_BIN"
    fi
fi

# ---------------------------------------------------------------- mirror of the harness
mkdir -p "$RESULTS" "$BENCH_TMP"
rm -rf "$MIRROR"
mkdir -p "$MIRROR"
for f in "$SHARED_BENCH"/*; do
    [[ "$(basename "$f")" == results ]] && continue
    ln -s "$f" "$MIRROR/$(basename "$f")"
done
ln -s "$RESULTS" "$MIRROR/results"

# ---------------------------------------------------------------- servers
STARTED=()
cleanup() {
    [[ "${KEEP_RUNNING:-0}" == 1 ]] && { log "KEEP_RUNNING=1: leaving ${STARTED[*]:-nothing} running"; return; }
    local s
    for s in ${STARTED[@]+"${STARTED[@]}"}; do
        case "$s" in
            gateway) "$REPO/bench/gateway.sh" stop || true ;;
            *) "$MIRROR/$s.sh" stop || true ;;
        esac
    done
}
trap cleanup EXIT

EXTRA_PEERS="${EXTRA_PEERS:-}"
for s in upstream "$PEER" $EXTRA_PEERS; do
    if "$MIRROR/$s.sh" status | grep -q ': running'; then
        log "$s already running"
    else
        "$MIRROR/$s.sh" start
        STARTED+=("$s")
    fi
done

if [[ "${NO_GATEWAY:-0}" != 1 ]]; then
    if "$REPO/bench/gateway.sh" status | grep -q ': running'; then
        "$REPO/bench/gateway.sh" restart   # pick up the binary just built
    else
        "$REPO/bench/gateway.sh" start
    fi
    STARTED+=(gateway)
fi

# ---------------------------------------------------------------- smoke check
H=(-H "Host: api.health.test")
got=$(curl -s --max-time 10 "${H[@]}" -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:$GW_HTTP_PORT/api/patients/123" || true)
[[ "$got" == "200 1024" ]] || die "gateway http smoke check: GET /api/patients/123 -> '$got' (want '200 1024')"
got=$(curl -sk --max-time 10 "${H[@]}" -o /dev/null -w '%{http_code} %{size_download}' "https://127.0.0.1:$GW_HTTPS_PORT/api/patients/123" || true)
[[ "$got" == "200 1024" ]] || die "gateway https smoke check: GET /api/patients/123 -> '$got' (want '200 1024')"
got=$(curl -s --max-time 10 "${H[@]}" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
      --data-binary @"$SHARED_BENCH/wrk/appointment-4k.json" "http://127.0.0.1:$GW_HTTP_PORT/api/appointments" || true)
[[ "$got" == 200 ]] || die "gateway smoke check: POST /api/appointments -> '$got' (want 200)"
log "smoke check passed (GET http/https, POST 4 KiB)"

if [[ "${VERIFY:-0}" == 1 ]]; then
    # nginx-plain's headers and CORS, done by the gateway's filters (bench/filters.yaml)
    "$MIRROR/verify.sh" "gateway:$GW_HTTP_PORT:$GW_HTTPS_PORT" || log "verify.sh reported differences (see above)"
fi

# ---------------------------------------------------------------- comparison
export SCENARIOS="${SCENARIOS:-get-http get-https post-http}"
export TARGETS="direct $PEER${EXTRA_PEERS:+ $EXTRA_PEERS}"
export EXTRA_TARGETS="gateway:$GW_HTTP_PORT:$GW_HTTPS_PORT${MORE_TARGETS:+ $MORE_TARGETS}"
export NO_START=1
out="$(mktemp "$BENCH_TMP/compare-out.XXXXXX")"
"$MIRROR/compare.sh" | tee "$out"
raw="$(sed -n 's/^Raw results: //p' "$out" | tail -1)"
rm -f "$out"
[[ -n "$raw" && -s "$raw" ]] || die "the harness wrote no raw results"
raw="$RESULTS/$(basename "$raw")"
table="${raw%.raw}"; table="${table/compare-/ratios-}.md"
{
    echo "# gateway / $PEER ratios ($(basename "${raw%.raw}"))"
    echo
    ratios "$raw"
    echo
    echo "Full report: ${raw%.raw}.md"
} >"$table"
echo
cat "$table"
log "ratio table written to $table"
