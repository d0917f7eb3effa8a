#!/usr/bin/env bash
# Bytes per sample on disk for 24 hours of this host's metrics at 1 s,
# perfwatch beside Prometheus 2.42's TSDB on the same samples, in one run.
#
#   bench/storage_24h.sh --record SECONDS [BUILD_DIR]   # record a profile now
#   bench/storage_24h.sh --profile FILE.om [BUILD_DIR]  # or use one recorded before
#
# EXTEND_ARGS (environment) goes to bench/extend_profile.py, e.g.
# EXTEND_ARGS=--round-percent for a profile recorded before percentages
# were rounded at collection.
#
# 1. The profile: perfwatch records this host at its default 1 s interval
#    for SECONDS into a scratch directory and exports every series as
#    OpenMetrics (`perfwatch export`). Record at least 2 hours so that no
#    block of either store sees the same stretch twice (step 2).
# 2. bench/extend_profile.py lays copies of it end to end up to 24 hours
#    ending now (counters keep increasing across the seams).
# 3. `perfwatch import --format openmetrics` backfills the 24 hours into a
#    fresh --data-dir (raw, 1-minute and 1-hour tiers); we count every byte
#    under that directory (perfwatch.db with its -wal/-shm, and wal/).
# 4. `promtool tsdb create-blocks-from openmetrics` builds Prometheus blocks
#    from the same file (2-hour blocks); then a Prometheus server opened on a
#    copy of them compacts them as it would in service, and we count its
#    blocks again (the wal/ of a server that never scraped is left out).
#
# Needs: prometheus and promtool (scripts/install-deps), python3.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/proc_usage.sh

mode=${1:-}
arg=${2:-}
build=${3:-build}
if [[ $mode != --record && $mode != --profile ]] || [[ -z $arg ]]; then
  sed -n '2,9p' "$0" >&2
  exit 2
fi
pw="$build/perfwatch"
[[ -x $pw ]] || { echo "no $pw: run make build" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw_storage_24h.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

bytes_under() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }

if [[ $mode == --record ]]; then
  port=$(free_port 18470)
  "$pw" --listen "127.0.0.1:$port" --data-dir "$tmp/record" --log-level warn &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/api/v1/health"
  echo "recording this host for $arg s..." >&2
  sleep "$arg"
  kill "${pids[-1]}"
  wait "${pids[-1]}" || true
  profile="$tmp/profile.om"
  "$pw" export --data-dir "$tmp/record" --metric '{__name__=~".+"}' --format openmetrics \
    --hours 48 -o "$profile"
else
  profile=$arg
fi

day="$tmp/day.om"
python3 bench/extend_profile.py "$profile" "$day" --hours "${HOURS:-24}" ${EXTEND_ARGS:-}

echo "perfwatch import..." >&2
start=$(date +%s.%N)
import_out=$("$pw" import --format openmetrics --data-dir "$tmp/perfwatch" "$day")
pw_seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
echo "$import_out" >&2
samples=$(sed -n 's/^imported \([0-9]*\) samples.*/\1/p' <<<"$import_out")
pw_bytes=$(bytes_under "$tmp/perfwatch")
pw_db=$(stat -c %s "$tmp/perfwatch/perfwatch.db")

echo "promtool tsdb create-blocks-from openmetrics..." >&2
start=$(date +%s.%N)
promtool tsdb create-blocks-from openmetrics --quiet "$day" "$tmp/prom" >&2
prom_seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
prom_bytes=$(bytes_under "$tmp/prom")
prom_blocks=$(find "$tmp/prom" -mindepth 1 -maxdepth 1 -type d | wc -l)

# Let a Prometheus server compact the backfilled blocks as it would in
# service (2 h blocks into larger ones, up to 10 % of retention).
cp -r "$tmp/prom" "$tmp/prom_compacted"
port=$(free_port 18490)
printf 'global:\n  scrape_interval: 1m\n' >"$tmp/prometheus.yml"
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/prom_compacted" \
  --storage.tsdb.retention.time=30d --web.listen-address="127.0.0.1:$port" \
  --log.level=warn 2>"$tmp/prometheus.log" &
pids+=($!)
wait_http "http://127.0.0.1:$port/-/ready"
# Compaction runs a minute after start and then every minute; wait until
# the block count has not changed for two minutes (at most 8 minutes).
last=-1
stable=0
for _ in $(seq 1 48); do
  sleep 10
  n=$(find "$tmp/prom_compacted" -mindepth 1 -maxdepth 1 -type d -name '01*' | wc -l)
  if [[ $n == "$last" ]]; then stable=$((stable + 10)); else stable=0; last=$n; fi
  [[ $stable -ge 120 ]] && break
done
kill "${pids[-1]}"
wait "${pids[-1]}" 2>/dev/null || true
compacted_blocks=$last
compacted_bytes=0
for d in "$tmp"/prom_compacted/01*/; do
  compacted_bytes=$((compacted_bytes + $(bytes_under "$d")))
done

per() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
echo
echo "${HOURS:-24} h of $samples samples at 1 s ($(basename "$profile") extended to ${HOURS:-24} h):"
printf '| store | bytes on disk | bytes/sample | build time |\n| --- | --- | --- | --- |\n'
printf '| perfwatch (perfwatch.db %s B, everything under --data-dir) | %s | **%s** | %.1f s |\n' \
  "$pw_db" "$pw_bytes" "$(per "$pw_bytes" "$samples")" "$pw_seconds"
printf '| Prometheus 2.42, promtool blocks (%s blocks) | %s | %s | %.1f s |\n' \
  "$prom_blocks" "$prom_bytes" "$(per "$prom_bytes" "$samples")" "$prom_seconds"
printf '| Prometheus 2.42, after its own compaction (%s blocks) | %s | %s | |\n' \
  "$compacted_blocks" "$compacted_bytes" "$(per "$compacted_bytes" "$samples")"
