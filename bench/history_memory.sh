#!/usr/bin/env bash
# RSS of perfwatch once its in-memory store is full: 2 h at 1 s is 7,200
# samples a series; running at --interval 100ms with --retention 12m fills
# the same number of samples in 12 minutes instead of two hours. Prints RSS
# and the store's own account (perfwatch_store_*) every minute.
#
#   bench/history_memory.sh [BUILD_DIR] [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
minutes=${2:-14}
source bench/proc_usage.sh

tmp=$(mktemp -d)
port=$(free_port 18380)
"$build/perfwatch" --listen "127.0.0.1:$port" --data-dir "$tmp/data" --interval 100ms \
  --retention 12m --log-level warn &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
wait_http "http://127.0.0.1:$port/api/v1/health"
printf '%-7s %9s %8s %10s %12s %13s\n' minute rss_MiB series samples store_bytes bytes/sample
for m in $(seq 1 "$minutes"); do
  sleep 60
  stats=$(curl -fsS "http://127.0.0.1:$port/api/v1/metrics?match=perfwatch_store_" |
    python3 -c 'import json,sys; d={s["metric"]:s["value"] for s in json.load(sys.stdin)["samples"]}; print(int(d["perfwatch_store_series"]), int(d["perfwatch_store_samples"]), int(d["perfwatch_store_bytes"]))')
  read -r series samples bytes <<<"$stats"
  printf '%-7s %9s %8s %10s %12s %13.3f\n' "$m" "$(rss_mib $pid)" "$series" "$samples" "$bytes" \
    "$(awk -v b="$bytes" -v s="$samples" 'BEGIN { print b / s }')"
done
