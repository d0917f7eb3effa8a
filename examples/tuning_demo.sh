#!/usr/bin/env bash
# The closed tuning loop end to end (issue 7), in two to three minutes:
#
#   1. a short cache TTL -> the hit rate falls below 60% ->
#      CachePerformanceOptimization raises cache.ttl_seconds by 50% (and
#      calls the cache_warmup hook), cooldown after cooldown;
#   2. many heavy requests -> the mean response time passes 150 ms ->
#      ResponseTimeOptimization sets async.enabled (and calls
#      move_heavy_to_background) -> the latency falls;
#   3. a rule of this demo's config deliberately shrinks pool.size to 1 ->
#      the response time gets worse -> perfwatch rolls the change back.
#
# It starts build/perfwatch (scratch data dir, a demo config with short
# intervals and cooldowns, written next to it), build/examples/tuned_service
# and build/examples/tuned_load, prints what happens, and at the end
# GET /api/v1/tuning/history. Everything it started is stopped by PID on
# exit, Ctrl-C included.
#
#   examples/tuning_demo.sh                 # after `make` (or cmake --build build)
#   BUILD=build-release KEEP=1 examples/tuning_demo.sh
#
# Environment: BUILD (build dir, default build), PERFWATCH (default
# $BUILD/perfwatch), PW_PORT and STATSD_PORT (default: random in
# 29000-29999), KEEP=1 keeps the scratch dir, PHASE_S (longest wait per
# phase, default 150).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PERFWATCH=${PERFWATCH:-$BUILD/perfwatch}
SERVICE=$BUILD/examples/tuned_service
LOAD=$BUILD/examples/tuned_load
PW_PORT=${PW_PORT:-$((29000 + RANDOM % 1000))}
STATSD_PORT=${STATSD_PORT:-$((29000 + RANDOM % 1000))}
PHASE_S=${PHASE_S:-150}
APP=shop

for exe in "$PERFWATCH" "$SERVICE" "$LOAD"; do
  [[ -x $exe ]] || { echo "tuning_demo: $exe not built (cmake --build $BUILD)" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "tuning_demo: needs curl" >&2; exit 1; }
[[ $PW_PORT != "$STATSD_PORT" ]] || STATSD_PORT=$((PW_PORT + 1))

WORK=$(mktemp -d /tmp/perfwatch-tuning-demo.XXXXXX)
PW=http://127.0.0.1:$PW_PORT
PIDS=()

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PIDS[i]}" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ ${KEEP:-0} == 1 ]]; then
    echo "tuning_demo: kept $WORK (perfwatch.log, service.log, history.json, data/)"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n== %s\n' "$*"; }

# The demo's config: a 2 s evaluation tick, 15 s cooldowns, 10 s effect
# windows and a 10 s response-time window, so each step shows within
# seconds; thresholds the demo's load crosses on purpose; the memory rule
# and the emergency mode kept out of the way so the run is the same on any
# machine. DemoShrinkPool is the deliberately harmful rule of phase 3: it
# fires when the demo sets the gauge demo.phase to 3, and is judged on the
# response time.
cat >"$WORK/perfwatch.yaml" <<EOF
statsd:
  quantile_window: 10s
tuning:
  interval: 2s
  cooldown: 15s
  window: 10s
  for: 5s
  max_actions_per_hour: 20
  response_time_ms: 150
  cache_hit_rate_percent: 60
  memory_percent: 99
  emergency_after: 100
  rules:
    - name: DemoShrinkPool
      expr: demo_phase{app="$APP"} == 3
      for: 4s
      action: {tunable: $APP/pool.size, set: 1}
      metric: app_response_time_avg_seconds{app="$APP"}
      worse: higher
      cooldown: 10m
      max_actions_per_hour: 1
EOF

say "perfwatch on $PW (StatsD 127.0.0.1:$STATSD_PORT, data in $WORK/data)"
"$PERFWATCH" --port "$PW_PORT" --data-dir "$WORK/data" --config "$WORK/perfwatch.yaml" \
  --statsd-listen "127.0.0.1:$STATSD_PORT" --interval 1s >"$WORK/perfwatch.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
  curl -sf "$PW/api/v1/health" >/dev/null && break
  kill -0 "${PIDS[0]}" 2>/dev/null || { cat "$WORK/perfwatch.log" >&2; exit 1; }
  sleep 0.2
done
curl -sf "$PW/api/v1/health" >/dev/null || { echo "perfwatch did not answer" >&2; exit 1; }

say "tuned_service: cache TTL 1 s (too short), pool 4, heavy work in the request"
"$SERVICE" --port 0 --app "$APP" --perfwatch-url "$PW" --statsd "127.0.0.1:$STATSD_PORT" \
  --cache-size 1000 --cache-ttl 1 --pool-size 4 --async false --backend-ms 20 --heavy-ms 30 \
  --heartbeat-ms 2000 >"$WORK/service.out" 2>"$WORK/service.log" &
PIDS+=($!)
for _ in $(seq 100); do
  grep -q '^listening on ' "$WORK/service.out" 2>/dev/null && break
  sleep 0.1
done
SVC=http://$(sed -n 's/^listening on //p' "$WORK/service.out")
[[ $SVC != http:// ]] || { cat "$WORK/service.log" >&2; exit 1; }
echo "service on $SVC"
TUNABLES=
for _ in $(seq 50); do
  TUNABLES=$(curl -sf "$PW/api/v1/tunables" || true)
  grep -q '"cache.ttl_seconds"' <<<"$TUNABLES" && break
  sleep 0.2
done
if ! grep -q '"cache.ttl_seconds"' <<<"$TUNABLES"; then
  echo "tuning_demo: the service's knobs did not register with perfwatch:" >&2
  tail -n 3 "$WORK/service.log" >&2
  exit 1
fi
echo "knobs registered (GET $PW/api/v1/tunables):"
grep -o '"name":"[a-z_.]*"' <<<"$TUNABLES" | sort -u | sed 's/^/  /'

stats() { curl -sf "$SVC/stats" || true; }
# A knob's value in the /stats JSON on stdin ("tunables" is the only place
# where a knob's name is followed by ':').
knob() { grep -o "\"$1\":[a-z0-9.]*" | head -n 1 | cut -d: -f2 || true; }

LAST_HITS=0 LAST_MISSES=0
status_line() {
  local s hits misses rate=- load=
  s=$(stats)
  hits=$(grep -o '"hits":[0-9]*' <<<"$s" | cut -d: -f2 || true)
  misses=$(grep -o '"misses":[0-9]*' <<<"$s" | cut -d: -f2 || true)
  hits=${hits:-0} misses=${misses:-0}
  if ((hits + misses > LAST_HITS + LAST_MISSES)); then
    rate=$((100 * (hits - LAST_HITS) / (hits + misses - LAST_HITS - LAST_MISSES)))%
  fi
  LAST_HITS=$hits LAST_MISSES=$misses
  [[ -s $WORK/load.err ]] && load=$(tail -n 1 "$WORK/load.err" | sed 's/^\[ *[0-9]*s\] *//')
  printf '  [%3ds] hit rate %4s  ttl %2ss  async %-5s  pool %2s | %s\n' "$SECONDS" "$rate" \
    "$(knob cache.ttl_seconds <<<"$s")" "$(knob async.enabled <<<"$s")" \
    "$(knob pool.size <<<"$s")" "$load"
}

LOAD_PID=
start_load() {
  "$LOAD" --url "$SVC" --duration 3600s "$@" >"$WORK/load.json" 2>"$WORK/load.err" &
  LOAD_PID=$!
  PIDS+=("$LOAD_PID")
}
stop_load() {
  kill -TERM "$LOAD_PID" 2>/dev/null || true
  wait "$LOAD_PID" 2>/dev/null || true
  echo "  load: $(cat "$WORK/load.json")"
}

# Runs `check` every 5 s (with a status line) until it succeeds or PHASE_S
# pass; `tick` runs every second.
wait_for() {
  local check=$1 tick=${2:-true} start=$SECONDS
  while ((SECONDS - start < PHASE_S)); do
    for _ in 1 2 3 4 5; do
      $tick
      sleep 1
    done
    status_line
    if $check; then return 0; fi
  done
  echo "  (not within ${PHASE_S}s; see $WORK/perfwatch.log and KEEP=1)"
  return 0
}

say "phase 1: 60 requests/s over 150 keys; with a 1 s TTL the hit rate stays far below 60%"
start_load --concurrency 4 --rate 60 --keys 150 --zipf 0.6
ttl_raised_twice() {
  local ttl
  ttl=$(stats | knob cache.ttl_seconds)
  [[ -n $ttl ]] && ((ttl >= 3))
}
wait_for ttl_raised_twice
stop_load
grep -o 'change cache.ttl_seconds[^(]*' "$WORK/service.log" | sed 's/^/  /; s/ *$//' || true

say "phase 2: 48 clients, 400 requests/s of heavy work: the pool of 4 saturates, latency climbs"
start_load --concurrency 48 --rate 400 --keys 150 --zipf 0.6
async_on() { [[ $(stats | knob async.enabled) == true ]]; }
wait_for async_on
echo "  async.enabled is on: the heavy work now runs in the background"
for _ in 1 2 3; do
  sleep 5
  status_line
done
stop_load

say "phase 3: steady load, then the demo's rule DemoShrinkPool sets pool.size to 1"
start_load --concurrency 16 --rate 300 --keys 150 --zipf 0.6
for _ in $(seq 15); do sleep 1; done
status_line
phase3() { printf 'demo.phase:%s|g|#app:%s' "$1" "$APP" >"/dev/udp/127.0.0.1/$STATSD_PORT" || true; }
send_phase3() { phase3 3; }
POOL_BEFORE=$(stats | knob pool.size)
rolled_back() {
  local s
  s=$(stats)
  grep -q '"name":"pool.size","value":1,' <<<"$s" && [[ $(knob pool.size <<<"$s") == "$POOL_BEFORE" ]]
}
wait_for rolled_back send_phase3
phase3 0
stop_load
grep -o 'change pool.size[^(]*' "$WORK/service.log" | sed 's/^/  /; s/ *$//' || true

say "what the service received (GET $SVC/stats, changes and hooks)"
if command -v python3 >/dev/null; then
  stats | python3 -c '
import json, sys
s = json.load(sys.stdin)
for c in s["changes"]:
    print("  %-18s %6s -> %-6s %-5s by %s" % (c["name"], json.dumps(c["previous"]), json.dumps(c["value"]),
          "ok" if c["accepted"] else "REJECTED", c["rule"]))
for h in s["hooks"]:
    print("  hook %-28s x%d (last by %s)" % (h["hook"], h["count"], h["rule"]))'
else
  stats
  echo
fi

say "GET $PW/api/v1/tuning/history (the audit, oldest first)"
curl -sf "$PW/api/v1/tuning/history" >"$WORK/history.json" || true
if command -v python3 >/dev/null; then
  python3 - "$WORK/history.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["data"]
fmt = "  %3s  %-8s  %-28s %-8s  %-24s %7s -> %-6s %-8s %s"
print(fmt % ("id", "time", "rule", "action", "tunable", "before", "after", "outcome", "verdict"))
for r in reversed(rows):
    value = lambda v: "-" if v is None else "%g" % v
    print(fmt % (r["id"], r["time"][11:19], r["rule"], r["action"], r["tunable"],
                 value(r["before"]), value(r["after"]), r["outcome"], r["verdict"]))
    if r["action"] == "rollback":
        print("        " + r["reason"])
PY
else
  cat "$WORK/history.json"
  echo
fi
echo
echo "The dashboard shows this log (Tuning) while perfwatch runs; with KEEP=1, browse it later with"
echo "  $PERFWATCH --data-dir $WORK/data --port $PW_PORT --statsd-listen off"
