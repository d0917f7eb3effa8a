#!/usr/bin/env bash
# /api/v1/metrics latency under wrk at a fixed ~1,000 requests/s (10
# connections, each waiting 10 ms between requests via wrk's delay() hook),
# against a perfwatch collecting every second.
#
#   bench/api_latency.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
seconds=${2:-30}
source bench/proc_usage.sh
command -v wrk >/dev/null || { echo "wrk missing: run scripts/install-deps --bench" >&2; exit 1; }

tmp=$(mktemp -d)
port=$(free_port 18180)
"$build/perfwatch" --listen "127.0.0.1:$port" --data-dir "$tmp/data" --log-level warn &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
wait_http "http://127.0.0.1:$port/api/v1/health"
sleep 2  # a tick or two so the body is full-size

cat >"$tmp/rate.lua" <<'LUA'
function delay() return 10 end
LUA
wrk -t2 -c10 -d"${seconds}s" --latency -s "$tmp/rate.lua" "http://127.0.0.1:$port/api/v1/metrics"
echo "body bytes: $(curl -fsS "http://127.0.0.1:$port/api/v1/metrics" | wc -c)"
