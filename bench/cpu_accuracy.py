#!/usr/bin/env python3
"""CPU % accuracy of perfwatch against /proc/stat over the same window.

Reads /proc/stat itself a few milliseconds after perfwatch's tick boundaries,
so the window covers exactly the N ticks whose percents it averages (each
tick's percent covers the second before its timestamp). busy = total - idle -
iowait, guest excluded (guest time is already inside user/nice). Idle, then
with stress-ng loading one core.

    bench/cpu_accuracy.py [BUILD_DIR] [SECONDS]
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

build = sys.argv[1] if len(sys.argv) > 1 else "build"
seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_stat():
    with open("/proc/stat") as f:
        v = [float(x) for x in f.readline().split()[1:9]]
    total = sum(v)
    return total - v[3] - v[4], total


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return json.load(r)


def sleep_until_after_tick(port):
    """Sleeps to 20 ms after the next tick; returns that tick's timestamp."""
    t = get(port, "/api/v1/metrics?match=system_cpu_usage_percent")["time"]
    now_ms = time.time() * 1000
    k = max(1, int((now_ms - t) // 1000) + 1)
    time.sleep(max(0, (t + k * 1000 + 20 - now_ms) / 1000))
    return t + k * 1000


def measure(port, label):
    t0 = sleep_until_after_tick(port)
    b0, n0 = proc_stat()
    time.sleep(seconds)
    b1, n1 = proc_stat()
    t1 = t0 + seconds * 1000
    time.sleep(1.5)
    # {cpu=""} selects the all-CPU series only (no cpu label), not each core.
    selector = urllib.parse.quote('system_cpu_usage_percent{cpu=""}')
    h = get(port, f"/api/v1/metrics/history?metric={selector}&from={t0 + 1}&to={t1 + 200}")
    points = [v for s in h["series"] for _, v in s["points"]]
    expected = 100 * (b1 - b0) / (n1 - n0)
    served = sum(points) / len(points)
    print(f"{label:8s} ticks {len(points):3d}  /proc/stat {expected:7.3f}%  perfwatch {served:7.3f}%"
          f"  diff {abs(served - expected):.3f} points")


def main():
    tmp = tempfile.mkdtemp()
    port = free_port()
    pw = subprocess.Popen([f"{build}/perfwatch", "--listen", f"127.0.0.1:{port}", "--data-dir",
                           f"{tmp}/data", "--log-level", "warn"])
    load = None
    try:
        for _ in range(100):
            try:
                get(port, "/api/v1/metrics?match=system_cpu_usage_percent")
                break
            except Exception:
                time.sleep(0.2)
        time.sleep(2)
        measure(port, "idle")
        if shutil.which("stress-ng"):
            load = subprocess.Popen(["stress-ng", "--cpu", "1", "--timeout", f"{seconds + 10}s", "--quiet"])
            time.sleep(2)
            measure(port, "1-core")
        else:
            print("stress-ng missing: run scripts/install-deps --bench", file=sys.stderr)
    finally:
        for p in (load, pw):
            if p:
                p.send_signal(signal.SIGTERM)
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
