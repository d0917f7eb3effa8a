#!/usr/bin/env bash
# Issue 4's latency target: from the tick that crosses a threshold (for: 0s)
# to a webhook receiver on loopback holding the notification. Runs the
# end-to-end alerting test (real stress-ng load, real perfwatch, real
# receiver) N times and prints each latency and the median.
#
#   bench/alert_latency.sh [RUNS]      (default 5; needs a built ./build, or BUILD=DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
bin=${BUILD:-build}/tests/e2e/e2e_test
[[ -x $bin ]] || { echo "build first: make build" >&2; exit 1; }
values=()
for ((i = 1; i <= runs; i++)); do
  out=$("$bin" --gtest_filter='Alerting.*' 2>&1) || { echo "$out" >&2; exit 1; }
  v=$(grep -o 'perfwatch-alert-latency-ms: [0-9-]*' <<<"$out" | awk '{print $2}')
  echo "run $i: ${v} ms"
  values+=("$v")
done
printf '%s\n' "${values[@]}" | sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; print "median: " m " ms over " NR " runs"}'
