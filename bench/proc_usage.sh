# Helpers sourced by the bench scripts: CPU seconds and memory of a PID from
# /proc, so every figure is read the same way for perfwatch and its peers.

clk_tck=$(getconf CLK_TCK)

# utime+stime of PID in seconds (fields 14 and 15 of /proc/PID/stat, counted
# after the last ')' so a comm with spaces cannot shift them).
cpu_seconds() {
  local stat
  stat=$(cat "/proc/$1/stat") || return 1
  stat=${stat##*) }
  awk -v t="$clk_tck" '{ printf "%.3f", ($12 + $13) / t }' <<<"$stat"
}

# Resident set size of PID in MiB.
rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# Waits until URL answers, at most 20 s.
wait_http() {
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2
  return 1
}

# First free TCP port on loopback at or above $1.
free_port() {
  local p=$1
  while (echo >/dev/tcp/127.0.0.1/"$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
