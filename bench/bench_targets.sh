#!/usr/bin/env bash
# Issue 8's targets, measured side by side with the peers in one run:
#
#   timing     `perfwatch bench` and Debian's `hyperfine` on the same
#              commands, ROUNDS rounds of hyperfine, perfwatch, perfwatch,
#              hyperfine (10 runs and 3 warm-ups each); per command the
#              median over rounds of perfwatch's mean / hyperfine's mean
#              (target: within 2%), beside hyperfine's own round-to-round
#              disagreement (its second mean against its first). Covers -N (no shell) and the default shell mode,
#              where both subtract the measured shell spawning time.
#   peak RSS   perfwatch's per-run peak RSS against `/usr/bin/time -v`'s
#              "Maximum resident set size" of the same program (target:
#              within 2%), single processes of 50 and 400 MiB.
#   timeline   the CPU that `perfwatch run` itself spends while it samples
#              a process tree every 100 ms: the scheduler's own clock for
#              all its threads (/proc/PID/task/*/schedstat, nanoseconds;
#              children excluded) over 10 s of the run, start-up excluded
#              (target: <= 1% of one core), for trees of 1, 21 and 101
#              processes.
#
#   bench/bench_targets.sh [BUILD_DIR] [ROUNDS]   (defaults: build, 9)
# Needs scripts/install-deps --bench (hyperfine, GNU time, python3).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${2:-9}
pw="$build/perfwatch"
[[ -x $pw ]] || { echo "build first: make build" >&2; exit 1; }
for tool in hyperfine /usr/bin/time python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: scripts/install-deps --bench" >&2; exit 1; }
done
work=$(mktemp -d /tmp/pw-bench-targets.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Fixed work for the CPU-bound commands: 8 MiB of pseudo-random text.
python3 -c "
import random
random.seed(8)
with open('$work/input.txt', 'w') as f:
    for i in range(100000):
        f.write(' '.join(str(random.randrange(10**9)) for _ in range(8)) + '\n')
"
# A program that holds N MiB of touched memory, then exits.
cat >"$work/hold.py" <<'EOF'
import sys
b = bytearray(int(sys.argv[1]) * 1024 * 1024)
for i in range(0, len(b), 4096):
    b[i] = 1
EOF

echo "== timing: perfwatch bench vs hyperfine $(hyperfine --version | cut -d' ' -f2), $rounds rounds =="
# name | mode | command (one shell word: a command line)
cases=(
  "sleep-50ms|-N|sleep 0.05"
  "gzip-8MiB|-N|gzip -1 -c $work/input.txt"
  "sort-8MiB|-N|sort -n $work/input.txt"
  "sha256-shell|shell|sha256sum $work/input.txt"
  "sleep-20ms-shell|shell|sleep 0.02"
)
: >"$work/timing.txt"
# Each round runs hyperfine, perfwatch, perfwatch, hyperfine (ABBA), so a
# drift of the machine's speed during the round cancels out; the round's
# ratio is perfwatch's two means over hyperfine's two. hyperfine's second
# mean over its first shows how far the tool agrees with itself here.
for c in "${cases[@]}"; do
  IFS='|' read -r name mode cmd <<<"$c"
  nflag=()
  [[ $mode == -N ]] && nflag=(-N)
  for ((r = 1; r <= rounds; r++)); do
    for step in hf1 pw1 pw2 hf2; do
      if [[ $step == hf* ]]; then
        hyperfine "${nflag[@]}" -w 3 -r 10 --style none --export-json "$work/$step.json" "$cmd" >/dev/null 2>&1
      else
        "$pw" bench "${nflag[@]}" -w 3 -r 10 --style none --export-json "$work/$step.json" "$cmd" >/dev/null 2>&1
      fi
    done
    python3 - "$work" "$name" >>"$work/timing.txt" <<'EOF'
import json, sys
mean = lambda f: json.load(open(f"{sys.argv[1]}/{f}.json"))["results"][0]["mean"]
hf1, pw1, pw2, hf2 = (mean(s) for s in ("hf1", "pw1", "pw2", "hf2"))
print(sys.argv[2], (hf1 + hf2) / 2, (pw1 + pw2) / 2, (pw1 + pw2) / (hf1 + hf2), hf2 / hf1)
EOF
  done
done
python3 - "$work/timing.txt" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, hf, pw, ratio, self_ratio = line.split()
    rows.setdefault(name, []).append((float(hf), float(pw), float(ratio), float(self_ratio)))
print(f"{'command':18} {'hyperfine mean':>15} {'perfwatch mean':>15} {'ratio (median)':>15} {'hyperfine vs itself':>20}")
for name, rs in rows.items():
    hf = statistics.median(r[0] for r in rs)
    pw = statistics.median(r[1] for r in rs)
    ratio = statistics.median(r[2] for r in rs)
    self_dev = statistics.median(abs(r[3] - 1) for r in rs)
    verdict = "within 2%" if abs(ratio - 1) <= 0.02 else "OUTSIDE 2%"
    print(f"{name:18} {hf*1000:13.2f}ms {pw*1000:13.2f}ms {ratio:15.4f} {self_dev*100:18.2f}%  {verdict}")
EOF

echo
echo "== peak RSS: perfwatch bench vs /usr/bin/time -v, $rounds runs each =="
for mib in 50 400; do
  : >"$work/rss.txt"
  for ((r = 1; r <= rounds; r++)); do
    /usr/bin/time -v python3 "$work/hold.py" "$mib" 2>"$work/time.txt" >/dev/null
    awk -F': ' '/Maximum resident set size/ {print "time", $2 * 1024}' "$work/time.txt" >>"$work/rss.txt"
  done
  "$pw" bench -r "$rounds" --style none --export-json "$work/pw.json" -- python3 "$work/hold.py" "$mib" >/dev/null 2>&1
  python3 - "$work/pw.json" >>"$work/rss.txt" <<'EOF'
import json, sys
for b in json.load(open(sys.argv[1]))["results"][0]["memory_usage_byte"]:
    print("perfwatch", b)
EOF
  python3 - "$work/rss.txt" "$mib" <<'EOF'
import statistics, sys
t = [float(l.split()[1]) for l in open(sys.argv[1]) if l.startswith("time")]
p = [float(l.split()[1]) for l in open(sys.argv[1]) if l.startswith("perfwatch")]
mt, mp = statistics.median(t), statistics.median(p)
ratio = mp / mt
verdict = "within 2%" if abs(ratio - 1) <= 0.02 else "OUTSIDE 2%"
print(f"hold {sys.argv[2]:>3} MiB: /usr/bin/time -v median {mt/2**20:8.2f} MiB, perfwatch median {mp/2**20:8.2f} MiB, ratio {ratio:.4f}  {verdict}")
EOF
done

echo
echo "== timeline cost: perfwatch run's own CPU at a 100 ms interval =="
# Nanoseconds of CPU of all of PID's threads, by the scheduler's clock.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {print s}'; }
timeline_cost() {  # LABEL CMD...  (the command must live for 15 s)
  local label=$1
  shift
  "$pw" run --name "cost" --data-dir "$work/data" --quiet -- "$@" &
  local pid=$! a b
  sleep 3  # start-up (SQLite, the first /proc walk) is not the timeline's cost
  a=$(cpu_ns "$pid")
  sleep 10
  b=$(cpu_ns "$pid")
  wait "$pid" || true
  python3 -c "
pct = ($b - $a) / 1e9 / 10 * 100
print(f'{\"$label\":30} {($b - $a) / 1e6 / 10:6.2f} ms CPU per second = {pct:.3f}% of one core  ' + ('within 1%' if pct <= 1 else 'OVER 1%'))
"
}
timeline_cost "1 process (sleep)" sleep 15
timeline_cost "21 processes (sh + 20 sleep)" sh -c 'for i in $(seq 20); do sleep 15 & done; wait'
timeline_cost "101 processes (sh + 100 sleep)" sh -c 'for i in $(seq 100); do sleep 15 & done; wait'
