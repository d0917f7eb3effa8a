#!/usr/bin/env bash
# Issue 5's StatsD target: lines per second perfwatch takes into the store
# on one core. perfwatch runs pinned to CPU 0 (every thread of it: StatsD
# receiver, collection loop, HTTP), bench/statsd_load pinned to CPU 1
# sends ~1400-byte datagrams of counters, tagged timers and gauges over
# loopback as fast as it can. Accepted lines are read from perfwatch's own
# perfwatch_ingest_samples_total{source="statsd"} before and after (each
# generated line carries one value), errors from
# perfwatch_ingest_errors_total{source="statsd"}.
#
#   bench/statsd_throughput.sh BUILD_DIR [SECONDS=10] [SERIES=1000] [RATE=0]
#
# RATE (lines/s, 0 = as fast as possible) finds the rate perfwatch keeps up
# with losslessly; at full speed the excess is dropped by the kernel
# (socket buffer full), as it would be on a busy host.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: bench/statsd_throughput.sh BUILD_DIR [SECONDS] [SERIES] [RATE]}
seconds=${2:-10}
series=${3:-1000}
rate=${4:-0}
source bench/proc_usage.sh
[[ -x $build/perfwatch && -x $build/bench/statsd_load ]] ||
  { echo "build first: ninja -C $build perfwatch statsd_load" >&2; exit 1; }
(($(nproc) >= 2)) || { echo "needs two CPUs (one for perfwatch, one for the generator)" >&2; exit 1; }

udp_port() {
  python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Sum of the samples of a /metrics family for source="statsd" (0 if none).
statsd_total() {
  curl -fsS "http://127.0.0.1:$http/metrics" |
    awk -v f="$1" 'index($0, f "{") == 1 && /source="statsd"/ { s += $NF } END { printf "%.0f", s + 0 }'
}

tmp=$(mktemp -d)
http=$(free_port 18480)
statsd=$(udp_port)
taskset -c 0 "$build/perfwatch" --listen "127.0.0.1:$http" --statsd-listen "127.0.0.1:$statsd" \
  --data-dir "$tmp/data" --interval 1s --log-level warn >"$tmp/perfwatch.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
wait_http "http://127.0.0.1:$http/metrics"

# Warm up: create the series, so the measurement is the steady state.
taskset -c 1 "$build/bench/statsd_load" "127.0.0.1:$statsd" --seconds 1 --series "$series" \
  --rate 200000 >/dev/null
sleep 2.5
accepted0=$(statsd_total perfwatch_ingest_samples_total)
errors0=$(statsd_total perfwatch_ingest_errors_total)
cpu0=$(cpu_seconds $pid)
load_args=(--seconds "$seconds" --series "$series")
((rate > 0)) && load_args+=(--rate "$rate")
sent=$(taskset -c 1 "$build/bench/statsd_load" "127.0.0.1:$statsd" "${load_args[@]}")
sleep 2.5 # two ticks: the last datagrams flushed into /metrics
accepted1=$(statsd_total perfwatch_ingest_samples_total)
errors1=$(statsd_total perfwatch_ingest_errors_total)
cpu1=$(cpu_seconds $pid)

sent_lines=$(sed -E 's/.*lines=([0-9]+).*/\1/' <<<"$sent")
accepted=$((accepted1 - accepted0))
echo "generator: $sent"
echo "perfwatch: accepted $accepted lines, $((errors1 - errors0)) errors, $(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }') CPU s, RSS $(rss_mib $pid) MiB"
awk -v a="$accepted" -v s="$sent_lines" -v t="$seconds" 'BEGIN {
  printf "accepted: %.0f lines/s on one core (%.1f%% of the %.0f lines/s sent)\n", a / t, 100 * a / s, s / t }'
