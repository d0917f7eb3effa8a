#!/usr/bin/env bash
# Records what perfwatch itself collects on this host for N seconds (default
# 600) at its default 1 s interval, and writes every series as CSV rows
# "series,t_ms,value" to tests/data/store/host_series.csv (or $2). The codec
# benchmark (bench/codec_bench.cpp) compresses these real series, so its
# bytes/sample is what the in-memory store pays on a real host.
#
#   bench/capture_host_series.sh [SECONDS] [OUT] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
out=${2:-tests/data/store/host_series.csv}
build=${3:-build}
source bench/proc_usage.sh

tmp=$(mktemp -d)
port=$(free_port 18480)
"$build/perfwatch" --listen "127.0.0.1:$port" --data-dir "$tmp/data" --log-level warn &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
wait_http "http://127.0.0.1:$port/api/v1/health"
from=$(date +%s%3N)
sleep "$seconds"
to=$(date +%s%3N)
python3 - "$port" "$from" "$to" "$out" <<'PY'
import json, sys, urllib.parse, urllib.request
port, start, end, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def get(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as r:
        return json.load(r)
rows = 0
with open(out, "w") as f:
    f.write("series,t_ms,value\n")
    names = sorted(m["name"] for m in get("/api/v1/metadata")["metrics"])
    for name in names:
        # 300 s slices keep each answer under the 11,000-point query limit.
        by_key = {}
        for lo in range(int(start), int(end) + 1, 300_000):
            hi = min(int(end), lo + 299_999)
            q = urllib.parse.urlencode({"metric": name, "from": lo, "to": hi})
            for s in get(f"/api/v1/metrics/history?{q}")["series"]:
                # Labels as {k=v;k=v} so no field needs CSV quoting.
                labels = ";".join(f"{k}={v}" for k, v in sorted(s["labels"].items()))
                key = f"{name}{{{labels}}}" if labels else name
                by_key.setdefault(key, []).extend(s["points"])
        for key, points in by_key.items():
            for t, v in points:
                f.write(f"{key},{t},{'NaN' if v is None else repr(float(v))}\n")
                rows += 1
print(f"wrote {rows} samples to {out}", file=sys.stderr)
PY
