#!/usr/bin/env bash
# bench/injection.sh -- what the injection filter costs, side by side with ModSecurity v3 + OWASP
# CRS 3.3.4 PL1 (the harness's nginx-modsec), in the same interleaved rounds:
#   gateway        headers, cors, waf (bench/filters.yaml: `plugin: injection`, defaults) :18090
#   gateway-nowaf  headers, cors, no injection filter, a second gateway                   :18091
#   nginx-modsec   nginx-plain's config + ModSecurity + CRS (SecRequestBodyAccess On)     :18082
#   nginx-plain    the same nginx without ModSecurity                                     :18081
# over the scenarios get-http (GET /api/patients/123) and post-http (4 KiB FHIR-like JSON POST),
# then bench/injection-cpu.py (the filter's own CPU, in process, without sockets).
# The ratio table is gateway / nginx-modsec; the report has every target's CPU-us per request.
# Needs (Debian 12): libnginx-mod-http-modsecurity modsecurity-crs, plus bench/README.md's list.
# Knobs: those of bench/compare.sh (ROUNDS, DURATION, SCENARIOS, SKIP_BUILD...). Results: bench/results/.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RESULTS="$REPO/bench/results"
TS="$(date +%Y%m%d-%H%M%S)"
export SCENARIOS="${SCENARIOS:-get-http post-http}"
mkdir -p "$RESULTS" /tmp/bench
[[ -f /usr/lib/nginx/modules/ngx_http_modsecurity_module.so && -d /usr/share/modsecurity-crs ]] ||
    { echo "ERROR: apt-get install -y libnginx-mod-http-modsecurity modsecurity-crs" >&2; exit 1; }

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then (cd "$REPO" && swift build -c release --product gateway); fi
export SKIP_BUILD=1

nowaf=(env GW_DIR=/tmp/bench/gateway-nowaf HTTP_PORT=18091 HTTPS_PORT=18491 ROUTE_FILTERS="headers, cors")
"${nowaf[@]}" "$REPO/bench/gateway.sh" restart
trap '"${nowaf[@]}" "$REPO/bench/gateway.sh" stop || true' EXIT

PEER=nginx-modsec EXTRA_PEERS=nginx-plain MORE_TARGETS="gateway-nowaf:18091:18491" \
    ROUTE_FILTERS="headers, cors, waf" "$REPO/bench/compare.sh" 2>&1 | tee "$RESULTS/injection-$TS.log"

echo "== in process (bench/injection-cpu.py)" | tee -a "$RESULTS/injection-$TS.log"
python3 "$REPO/bench/injection-cpu.py" | tee -a "$RESULTS/injection-$TS.log"
echo "log: $RESULTS/injection-$TS.log"
