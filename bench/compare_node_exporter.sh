#!/usr/bin/env bash
# Runs perfwatch (collecting every second, its default collectors) and
# Debian's prometheus-node-exporter (scraped every second, as a Prometheus
# with scrape_interval 1s would) side by side on loopback for the same
# window, and prints each one's CPU use and RSS.
#
#   bench/compare_node_exporter.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
seconds=${2:-60}
source bench/proc_usage.sh

command -v prometheus-node-exporter >/dev/null || {
  echo "prometheus-node-exporter missing: run scripts/install-deps --bench" >&2; exit 1; }

tmp=$(mktemp -d)
pw_port=$(free_port 18080)
ne_port=$(free_port 19100)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

"$build/perfwatch" --listen "127.0.0.1:$pw_port" --data-dir "$tmp/data" --interval 1s \
  --log-level warn &
pids+=($!); pw_pid=$!
# Its systemd collector fails without D-Bus here and logs every scrape: keep
# that out of the report.
prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" --log.level=warn 2>"$tmp/ne.log" &
pids+=($!); ne_pid=$!
wait_http "http://127.0.0.1:$pw_port/api/v1/health"
wait_http "http://127.0.0.1:$ne_port/metrics"

# Warm-up: first scrapes allocate; we measure the steady state.
for _ in 1 2 3 4 5; do curl -fsS -o /dev/null "http://127.0.0.1:$ne_port/metrics"; sleep 1; done

pw0=$(cpu_seconds "$pw_pid"); ne0=$(cpu_seconds "$ne_pid")
scrape_ms=()
start=$(date +%s.%N)
for _ in $(seq 1 "$seconds"); do
  t=$(curl -fsS -o "$tmp/ne.txt" -w '%{time_total}' "http://127.0.0.1:$ne_port/metrics")
  scrape_ms+=("$(awk -v t="$t" 'BEGIN { printf "%.2f", t * 1000 }')")
  sleep 1
done
end=$(date +%s.%N)
pw1=$(cpu_seconds "$pw_pid"); ne1=$(cpu_seconds "$ne_pid")
wall=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')

ne_series=$(grep -vc '^#' "$tmp/ne.txt")
pw_series=$(curl -fsS "http://127.0.0.1:$pw_port/metrics" | grep -vc '^#')
scrape_median=$(printf '%s\n' "${scrape_ms[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')

printf '%-16s %10s %12s %10s %8s\n' process "cpu_s" "core_%" "rss_MiB" series
awk -v c0="$pw0" -v c1="$pw1" -v w="$wall" -v r="$(rss_mib "$pw_pid")" -v s="$pw_series" \
  'BEGIN { printf "%-16s %10.3f %12.3f %10s %8d\n", "perfwatch", c1 - c0, 100 * (c1 - c0) / w, r, s }'
awk -v c0="$ne0" -v c1="$ne1" -v w="$wall" -v r="$(rss_mib "$ne_pid")" -v s="$ne_series" \
  'BEGIN { printf "%-16s %10.3f %12.3f %10s %8d\n", "node_exporter", c1 - c0, 100 * (c1 - c0) / w, r, s }'
echo "window ${wall}s; node_exporter scrape median ${scrape_median} ms"
