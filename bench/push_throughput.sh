#!/usr/bin/env bash
# Issue 5's HTTP push target: samples per second perfwatch takes in through
# POST /api/v1/push over real HTTP. perfwatch runs pinned to CPU 0; wrk,
# pinned to CPU 1, posts one Prometheus-text body of SAMPLES series (the
# same series each time, as an application pushing every few seconds
# does) over CONNECTIONS keep-alive connections for SECONDS. Samples/s =
# accepted samples (perfwatch_ingest_samples_total{source="push"}, read
# before and after) / seconds; wrk's request rate times SAMPLES agrees.
#
#   bench/push_throughput.sh BUILD_DIR [SECONDS=10] [SAMPLES=10000] [CONNECTIONS=8]
#
# PUSH_PERF=FILE also records a 5 s perf profile of perfwatch mid-run.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: bench/push_throughput.sh BUILD_DIR [SECONDS] [SAMPLES] [CONNECTIONS]}
seconds=${2:-10}
samples=${3:-10000}
connections=${4:-8}
source bench/proc_usage.sh
command -v wrk >/dev/null || { echo "wrk is missing: scripts/install-deps --bench" >&2; exit 1; }
[[ -x $build/perfwatch ]] || { echo "build first: ninja -C $build perfwatch" >&2; exit 1; }

tmp=$(mktemp -d)
http=$(free_port 18580)
pid=""
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# The body: SAMPLES gauges and counters across 100 metric names.
awk -v n="$samples" 'BEGIN {
  for (i = 0; i < n; i++) {
    m = i % 100
    if (m % 2) printf "bench_requests_%d_total{shard=\"%d\",path=\"/api/v1/items\"} %d\n", m, i, i * 3
    else printf "bench_queue_depth_%d{shard=\"%d\",path=\"/api/v1/items\"} %d.5\n", m, i, i
  }
}' >"$tmp/body.txt"
cat >"$tmp/post.lua" <<LUA
local f = io.open("$tmp/body.txt", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "text/plain; version=0.0.4"
LUA

taskset -c 0 "$build/perfwatch" --listen "127.0.0.1:$http" --statsd-listen off \
  --data-dir "$tmp/data" --interval 1s --log-level warn >"$tmp/perfwatch.log" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$http/api/v1/health" >/dev/null 2>&1 && break; sleep 0.2; done

push_total() {
  curl -fsS "http://127.0.0.1:$http/metrics" |
    awk 'index($0, "perfwatch_ingest_samples_total{") == 1 && /source="push"/ { s += $NF } END { printf "%.0f", s + 0 }'
}
# One push first, so every series exists and the run measures the steady state.
curl -fsS --data-binary @"$tmp/body.txt" -H 'Content-Type: text/plain' \
  "http://127.0.0.1:$http/api/v1/push" >/dev/null
sleep 1.2
before=$(push_total)
[[ -n ${PUSH_PERF:-} ]] && (sleep 2; perf record -F 999 -g -p "$pid" -o "$PUSH_PERF" -- sleep 5 >/dev/null 2>&1) &
taskset -c 1 wrk -t1 -c"$connections" -d"${seconds}s" -s "$tmp/post.lua" \
  "http://127.0.0.1:$http/api/v1/push" >"$tmp/wrk.txt"
sleep 1.2
after=$(push_total)
rps=$(awk '/Requests\/sec/ { print $2 }' "$tmp/wrk.txt")
non2xx=$(awk '/Non-2xx/ { print $NF }' "$tmp/wrk.txt")
echo "push: ${samples} samples per body, ${connections} connections, ${seconds} s, perfwatch on one core"
echo "  requests/s (wrk):         ${rps}   non-2xx: ${non2xx:-0}"
awk -v a="$after" -v b="$before" -v s="$seconds" -v r="$rps" -v n="$samples" 'BEGIN {
  printf "  samples accepted:         %d\n", a - b
  printf "  samples/s (accepted):     %.0f\n", (a - b) / s
  printf "  samples/s (wrk x body):   %.0f\n", r * n
}'
