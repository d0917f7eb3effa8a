#!/usr/bin/env bash
# Issue 5's memory target: RSS stays flat (within ±5%) during a flood of
# valid and malformed StatsD datagrams at the maximum rate.
# bench/statsd_load sends ~1400-byte datagrams of SERIES distinct series
# with MALFORMED percent of the lines drawn from every malformed class the
# parser refuses; with CHURN=1 each datagram also names a series never seen
# before, so the series limit (100,000) is reached and the rest refused
# ("series_limit"). RSS is read from /proc/PID/status every 10 s.
#
#   bench/statsd_flood.sh BUILD_DIR [SECONDS=600]
#   environment: TARGET=perfwatch|sink  SERIES=1000  MALFORMED=30  CHURN=0
#                RATE=0 (lines/s; 0 = as fast as possible)  STORE=stock|steady
#
# TARGET=perfwatch runs the perfwatch binary (pinned to CPU 0; the
# generator to CPU 1); its in-memory history grows for two hours by design
# (storage.memory_retention), flood or not, so compare with a trickle
# (RATE=10000 MALFORMED=0) to see what the flood adds; STORE=steady sets
# storage.memory_retention and block_duration to 1m. TARGET=sink runs
# bench/statsd_sink: the StatsD server and AppMetrics alone, flushed every
# second, i.e. exactly the memory the StatsD path holds.
#
# Prints each sample, then min/max/first/last and whether every sample after
# the first minute stayed within ±5% of the one at 60 s (exit 1 if not).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: bench/statsd_flood.sh BUILD_DIR [SECONDS]}
seconds=${2:-600}
target=${TARGET:-perfwatch}
series=${SERIES:-1000}
malformed=${MALFORMED:-30}
churn=${CHURN:-0}
rate=${RATE:-0}
store=${STORE:-stock}
source bench/proc_usage.sh
[[ -x $build/perfwatch && -x $build/bench/statsd_load && -x $build/bench/statsd_sink ]] ||
  { echo "build first: ninja -C $build perfwatch statsd_load statsd_sink" >&2; exit 1; }
((seconds >= 70)) || { echo "SECONDS must be at least 70 (the first minute is warm-up)" >&2; exit 1; }

udp_port() {
  python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# A /metrics family summed over its series matching FILTER ("" for all).
metric_sum() {
  curl -fsS "http://127.0.0.1:$http/metrics" |
    awk -v f="$1" -v m="$2" '(index($0, f "{") == 1 || index($0, f " ") == 1) && index($0, m) { s += $NF }
      END { printf "%.0f", s + 0 }'
}

tmp=$(mktemp -d)
statsd=$(udp_port)
pin_pw=() pin_load=()
if (($(nproc) >= 2)); then pin_pw=(taskset -c 0) pin_load=(taskset -c 1); fi
if [[ $target == sink ]]; then
  "${pin_pw[@]}" "$build/bench/statsd_sink" "127.0.0.1:$statsd" >"$tmp/sink.out" 2>&1 &
else
  http=$(free_port 18580)
  config=()
  if [[ $store == steady ]]; then
    printf 'storage:\n  memory_retention: 1m\n  block_duration: 1m\n' >"$tmp/perfwatch.yaml"
    config=(--config "$tmp/perfwatch.yaml")
  fi
  "${pin_pw[@]}" "$build/perfwatch" "${config[@]}" --listen "127.0.0.1:$http" \
    --statsd-listen "127.0.0.1:$statsd" --data-dir "$tmp/data" --interval 1s --log-level warn \
    >"$tmp/perfwatch.log" 2>&1 &
fi
pid=$!
load_pid=
trap 'kill $pid $load_pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
if [[ $target == sink ]]; then
  for _ in $(seq 1 100); do grep -q listening "$tmp/sink.out" && break; sleep 0.1; done
else
  wait_http "http://127.0.0.1:$http/metrics"
fi

load_args=(--seconds "$seconds" --series "$series" --malformed "$malformed")
((churn)) && load_args+=(--churn)
((rate > 0)) && load_args+=(--rate "$rate")
"${pin_load[@]}" "$build/bench/statsd_load" "127.0.0.1:$statsd" "${load_args[@]}" >"$tmp/load.out" &
load_pid=$!

echo "flood of $target: ${seconds}s, $series series, $malformed% malformed lines, churn=$churn," \
  "rate=$rate, store=$store"
printf '%6s %9s %14s %12s %10s\n' second rss_MiB accepted errors store_MiB
samples=()
for ((t = 10; t <= seconds; t += 10)); do
  sleep 10
  rss=$(rss_mib $pid)
  samples+=("$t $rss")
  if [[ $target == sink ]]; then
    printf '%6s %9s %14s %12s %10s\n' "$t" "$rss" - - -
  else
    printf '%6s %9s %14s %12s %10s\n' "$t" "$rss" \
      "$(metric_sum perfwatch_ingest_samples_total 'source="statsd"')" \
      "$(metric_sum perfwatch_ingest_errors_total 'source="statsd"')" \
      "$(awk -v b="$(metric_sum perfwatch_store_bytes '')" 'BEGIN { printf "%.1f", b / 1048576 }')"
  fi
done
wait $load_pid
load_pid=
echo "generator: $(cat "$tmp/load.out")"
if [[ $target == sink ]]; then
  kill -TERM $pid
  wait $pid || true
  echo "sink: $(tail -n 1 "$tmp/sink.out")"
else
  curl -fsS "http://127.0.0.1:$http/metrics" | grep -E '^perfwatch_ingest_errors_total\{' |
    grep 'source="statsd"' | sed 's/^/  /' || true
fi
printf '%s\n' "${samples[@]}" | awk '
  { t[NR] = $1; r[NR] = $2
    if (NR == 1 || $2 < min) min = $2
    if (NR == 1 || $2 > max) max = $2
    if ($1 >= 60 && base == "") base = $2 }
  END {
    ok = 1; lo = base; hi = base
    for (i = 1; i <= NR; i++) if (t[i] >= 60) {
      if (r[i] < lo) lo = r[i]; if (r[i] > hi) hi = r[i]
      if (r[i] < base * 0.95 || r[i] > base * 1.05) ok = 0
    }
    printf "rss MiB: min %s max %s first %s last %s; at 60 s %s, after it %s..%s (%+.1f%%..%+.1f%%)\n",
      min, max, r[1], r[NR], base, lo, hi, 100 * (lo / base - 1), 100 * (hi / base - 1)
    if (ok) print "flat: every sample after the first minute within 5% of the one at 60 s"
    else print "NOT flat: a sample after the first minute is more than 5% from the one at 60 s"
    exit !ok
  }'
