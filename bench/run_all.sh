#!/usr/bin/env bash
# Every benchmark whose figures docs/PERFORMANCE.md quotes, in one run.
#   bench/run_all.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
for b in collect_bench codec_bench api_bench store_bench query_bench ingest_bench statsd_bench tune_bench \
  push_bench client_bench; do
  [[ -x "$build/bench/$b" ]] && "$build/bench/$b" --benchmark_min_time=1
done
bench/compare_node_exporter.sh "$build" 60
bench/api_latency.sh "$build" 30
bench/cpu_accuracy.py "$build" 30
BUILD="$build" bench/alert_latency.sh 5
# Issue 5: application metrics.
"$build/bench/sketch_accuracy"
bench/statsd_throughput.sh "$build" 10 1000
bench/push_throughput.sh "$build" 10 10000 8
bench/statsd_flood.sh "$build" 600 || true  # prints its own verdict
# Issue 8: perfwatch bench against hyperfine and /usr/bin/time -v; the run timeline's cost.
bench/bench_targets.sh "$build" 9
