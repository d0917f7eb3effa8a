#!/usr/bin/env bash
# Every benchmark whose figures docs/PERFORMANCE.md quotes, in one run.
#   bench/run_all.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
for b in collect_bench codec_bench api_bench store_bench query_bench; do
  [[ -x "$build/bench/$b" ]] && "$build/bench/$b" --benchmark_min_time=1
done
bench/compare_node_exporter.sh "$build" 60
bench/api_latency.sh "$build" 30
bench/cpu_accuracy.py "$build" 30
bench/alert_latency.sh 5
