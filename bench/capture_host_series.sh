#!/usr/bin/env bash
# Samples this host's /proc once a second for N seconds (default 600) and
# writes the series the way a host collector reports them, as CSV rows
# "series,t_ms,value", to tests/data/store/host_series.csv (or $2). The codec
# benchmark (bench/codec_bench.cpp) compresses these real series.
#
# Series names carry labels as {k=v;k=v} so that no field needs CSV quoting.
# Units follow node_exporter: cumulative CPU jiffies as seconds, meminfo in
# bytes, disk sectors as bytes and disk times as seconds; derived gauges
# (cpu/memory percent) keep full double precision, as a collector computes them.
# Timestamps are wall-clock milliseconds taken once per tick, aimed at the
# whole second, so they carry the few-ms jitter of a real collection loop.
set -euo pipefail

seconds="${1:-600}"
here="$(cd "$(dirname "$0")" && pwd)"
out="${2:-$here/../tests/data/store/host_series.csv}"
hz="$(getconf CLK_TCK)"
mkdir -p "$(dirname "$out")"

exec awk -v seconds="$seconds" -v hz="$hz" -v out="$out" '
# Also keeps the text in now_text: mawk would print a 13-digit number as %g.
function now_ms(   cmd) { cmd = "date +%s%3N"; cmd | getline now_text; close(cmd); return now_text + 0 }
function emit(series, v) { printf "%s,%s,%s\n", series, t, v > out }
function full(v) { return sprintf("%.17g", v) }
# Jiffies as seconds, printed exactly as the decimal the division stands for.
function jiffies_s(j) { return (hz == 100) ? sprintf("%d.%02d", int(j / 100), j % 100) : full(j / hz) }
function ms_as_s(ms) { return sprintf("%d.%03d", int(ms / 1000), ms % 1000) }

function read_cpu(   line, f, n, cpu, i, busy, total, idle) {
  while ((getline line < "/proc/stat") > 0) {
    n = split(line, f, " ")
    if (f[1] !~ /^cpu/) continue
    cpu = (f[1] == "cpu") ? "total" : substr(f[1], 4)
    total = 0
    for (i = 2; i <= 9 && i <= n; i++) {
      emit("cpu_seconds{cpu=" cpu ";mode=" mode[i] "}", jiffies_s(f[i]))
      total += f[i]
    }
    idle = f[5] + f[6]
    if (cpu in prev_total && total > prev_total[cpu])
      emit("cpu_usage_percent{cpu=" cpu "}",
           full(100 * (1 - (idle - prev_idle[cpu]) / (total - prev_total[cpu]))))
    prev_total[cpu] = total; prev_idle[cpu] = idle
  }
  close("/proc/stat")
}

function read_memory(   line, f, mem_total, mem_avail) {
  while ((getline line < "/proc/meminfo") > 0) {
    split(line, f, /[: ]+/)
    if (f[1] == "MemTotal") mem_total = f[2] * 1024
    if (f[1] == "MemAvailable") mem_avail = f[2] * 1024
    if (f[1] in mem_field) emit("mem_bytes{field=" f[1] "}", sprintf("%.0f", f[2] * 1024))
  }
  close("/proc/meminfo")
  if (mem_total > 0) emit("mem_used_percent", full(100 * (mem_total - mem_avail) / mem_total))
}

function read_load(   line, f, p) {
  getline line < "/proc/loadavg"; close("/proc/loadavg")
  split(line, f, " "); split(f[4], p, "/")
  emit("load{window=1m}", f[1]); emit("load{window=5m}", f[2]); emit("load{window=15m}", f[3])
  emit("procs_running", p[1]); emit("procs_total", p[2])
}

function read_net(   line, f, dev, n) {
  n = 0
  while ((getline line < "/proc/net/dev") > 0) {
    if (++n <= 2) continue
    sub(/^ +/, "", line); split(line, f, /[: ]+/); dev = f[1]
    emit("net_bytes{dev=" dev ";dir=rx}", f[2]); emit("net_packets{dev=" dev ";dir=rx}", f[3])
    emit("net_errs{dev=" dev ";dir=rx}", f[4]); emit("net_drop{dev=" dev ";dir=rx}", f[5])
    emit("net_bytes{dev=" dev ";dir=tx}", f[10]); emit("net_packets{dev=" dev ";dir=tx}", f[11])
    emit("net_errs{dev=" dev ";dir=tx}", f[12]); emit("net_drop{dev=" dev ";dir=tx}", f[13])
  }
  close("/proc/net/dev")
}

# Whole devices only, without loop/ram/zram (node_exporter'"'"'s default exclusions).
function read_disk(   line, f, d) {
  while ((getline line < "/proc/diskstats") > 0) {
    split(line, f, " "); d = f[3]
    if (d ~ /^(loop|ram|zram|sr|fd)/ || d ~ /^(sd[a-z]+|vd[a-z]+|xvd[a-z]+)[0-9]+$/ || d ~ /p[0-9]+$/) continue
    emit("disk_reads{dev=" d "}", f[4]); emit("disk_reads_merged{dev=" d "}", f[5])
    emit("disk_read_bytes{dev=" d "}", sprintf("%.0f", f[6] * 512))
    emit("disk_read_seconds{dev=" d "}", ms_as_s(f[7]))
    emit("disk_writes{dev=" d "}", f[8]); emit("disk_writes_merged{dev=" d "}", f[9])
    emit("disk_written_bytes{dev=" d "}", sprintf("%.0f", f[10] * 512))
    emit("disk_write_seconds{dev=" d "}", ms_as_s(f[11]))
    emit("disk_io_now{dev=" d "}", f[12]); emit("disk_io_seconds{dev=" d "}", ms_as_s(f[13]))
    emit("disk_io_weighted_seconds{dev=" d "}", ms_as_s(f[14]))
  }
  close("/proc/diskstats")
}

function read_tcp(   file, line, f, n, s, k) {
  for (s in tcp_count) tcp_count[s] = 0
  for (k = 1; k <= 2; k++) {
    file = (k == 1) ? "/proc/net/tcp" : "/proc/net/tcp6"
    n = 0
    while ((getline line < file) > 0) {
      if (++n == 1) continue
      split(line, f, " ")
      if (f[4] in tcp_name) tcp_count[tcp_name[f[4]]]++
    }
    close(file)
  }
  for (s in tcp_count) emit("tcp_conns{state=" s "}", tcp_count[s])
}

BEGIN {
  split("x user nice system idle iowait irq softirq steal", mode, " ")
  split("MemTotal MemFree MemAvailable Buffers Cached SwapTotal SwapFree Active Inactive Dirty AnonPages Shmem Slab KernelStack", m, " ")
  for (i in m) mem_field[m[i]] = 1
  split("ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT1 FIN_WAIT2 TIME_WAIT CLOSE CLOSE_WAIT LAST_ACK LISTEN CLOSING NEW_SYN_RECV", st, " ")
  for (i = 1; i <= 12; i++) { tcp_name[sprintf("%02X", i)] = st[i]; tcp_count[st[i]] = 0 }

  printf "series,t_ms,value\n" > out
  for (tick = 0; tick < seconds; tick++) {
    wait = 1000 - now_ms() % 1000
    system(sprintf("sleep %d.%03d", int(wait / 1000), wait % 1000))
    now_ms(); t = now_text
    read_cpu(); read_memory(); read_load(); read_net(); read_disk(); read_tcp()
    fflush(out)
  }
  close(out)
}'
