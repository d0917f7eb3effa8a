#!/usr/bin/env bash
# Copies the procfs files the collectors read into DEST/proc, so a test can
# point HostPaths.procfs at DEST/proc. Usage: capture.sh DEST SELF_PID [PID...]
# SELF_PID's files are also copied as proc/self. /proc/PID/fd entries become
# empty regular files (only their count matters). Review cmdline files before
# committing them: they can hold secrets.
set -euo pipefail
dest=$1/proc
self=$2
shift 2
mkdir -p "$dest/net" "$dest/1"
for f in stat meminfo loadavg uptime diskstats net/dev net/tcp net/tcp6; do
  cp "/proc/$f" "$dest/$f"
done
if [[ -d /proc/pressure ]]; then
  mkdir -p "$dest/pressure"
  for r in cpu memory io; do cp "/proc/pressure/$r" "$dest/pressure/$r"; done
fi
cp /proc/1/mounts "$dest/1/mounts"
copy_pid() {  # copy_pid PID DIRNAME
  local d=$dest/$2
  mkdir -p "$d/fd"
  cp "/proc/$1/stat" "/proc/$1/comm" "/proc/$1/cmdline" "$d/"
  for fd in $(ls "/proc/$1/fd" 2>/dev/null); do : >"$d/fd/$fd"; done
}
copy_pid "$self" self
for pid in "$@"; do copy_pid "$pid" "$pid"; done
