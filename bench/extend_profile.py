#!/usr/bin/env python3
"""Extends a recorded profile of host metrics (OpenMetrics text, as
`perfwatch export --format openmetrics` writes it) to a longer span by
laying copies of it end to end, for the 24-hour storage benchmark
(bench/storage_24h.sh).

    bench/extend_profile.py IN.om OUT.om [--hours 24] [--end-ms MS] [--round-percent]

Each copy is shifted by the profile's length. A series that never decreases
over the profile (counters such as *_total, uptime) is also shifted in value
by its growth plus one typical step per copy, so it keeps increasing across
the seams as a real counter would; everything else repeats as recorded. The
output ends at --end-ms (default: now, rounded down to a second) and is
written series after series, each metric family's lines together, with the
recorded # TYPE/# HELP/# UNIT lines, then "# EOF".

--round-percent rounds every *_percent series to 0.001 points, as
perfwatch's collectors do since they started rounding (SampleWriter), for a
profile recorded by a build from before.

A block of perfwatch or Prometheus only ever holds 2 hours or less, so as
long as the profile is at least that long no block sees a repeated copy
that a compressor could exploit.
"""
import argparse
import collections
import math
import re
import sys
import time

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+) (\S+)$')


def read(path):
    meta = collections.OrderedDict()  # family -> [comment lines]
    series = collections.OrderedDict()  # key -> ([t_ms], [value text])
    with open(path) as f:
        for line in f:
            line = line.rstrip('\n')
            if line == '# EOF':
                break
            if line.startswith('#'):
                parts = line.split(' ', 3)
                if len(parts) >= 3:
                    meta.setdefault(parts[2], []).append(line)
                continue
            m = LINE.match(line)
            if not m:
                sys.exit(f'{path}: cannot read line: {line[:120]}')
            key, value, ts = m.groups()
            t_ms = round(float(ts) * 1000)
            times, values = series.setdefault(key, ([], []))
            times.append(t_ms)
            values.append(value)
    return meta, series


def family_of(key, families):
    name = key.split('{', 1)[0]
    for suffix in ('', '_total', '_created', '_bucket', '_count', '_sum'):
        if suffix and name.endswith(suffix) and name[:-len(suffix)] in families:
            return name[:-len(suffix)]
    return name


def round_half_away(x):
    # std::round: halves away from zero (Python's round() goes to even).
    if not math.isfinite(x):
        return x
    a = abs(x)
    whole = math.floor(a)
    r = whole + 1 if a - whole >= 0.5 else whole  # a - whole is exact
    return math.copysign(r, x)


def fmt_value(v):
    if not math.isfinite(v):
        return 'NaN' if math.isnan(v) else ('+Inf' if v > 0 else '-Inf')
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('input')
    ap.add_argument('output')
    ap.add_argument('--hours', type=float, default=24)
    ap.add_argument('--end-ms', type=int, default=int(time.time()) * 1000)
    ap.add_argument('--round-percent', action='store_true')
    args = ap.parse_args()

    meta, series = read(args.input)
    if not series:
        sys.exit(f'{args.input}: no samples')
    first = min(t[0] for t, _ in series.values())
    last = max(t[-1] for t, _ in series.values())
    # The grid step: the most common gap between a series' samples.
    gaps = collections.Counter()
    for times, _ in list(series.values())[:50]:
        gaps.update(b - a for a, b in zip(times, times[1:]))
    step = gaps.most_common(1)[0][0] if gaps else 1000
    span = last - first + step
    want = int(args.hours * 3_600_000)
    copies = math.ceil(want / span)
    start = args.end_ms - want
    shift0 = start - first - (copies * span - want)  # the last copy ends at end_ms
    print(f'profile: {len(series)} series, {span / 3.6e6:.2f} h at {step} ms; '
          f'{copies} copies for {args.hours:g} h', file=sys.stderr)

    by_family = collections.OrderedDict()
    for key in series:
        by_family.setdefault(family_of(key, meta), []).append(key)
    written = 0
    with open(args.output, 'w') as out:
        for family, keys in by_family.items():
            for line in meta.get(family, []):
                out.write(line + '\n')
            for key in keys:
                times, texts = series[key]
                if args.round_percent and key.split('{', 1)[0].endswith('_percent'):
                    # As the collector does: std::round(v * 1000) / 1000.
                    texts = [fmt_value(round_half_away(float(v) * 1000) / 1000) for v in texts]
                values = [float(v) for v in texts]
                finite = [v for v in values if math.isfinite(v)]
                monotonic = len(finite) == len(values) and len(values) > 1 and all(
                    b >= a for a, b in zip(values, values[1:])) and values[-1] > values[0]
                growth = 0.0
                if monotonic:
                    growth = values[-1] - values[0] + (values[-1] - values[0]) / (len(values) - 1)
                lines = []
                for c in range(copies):
                    shift = shift0 + c * span
                    for t, text, v in zip(times, texts, values):
                        t2 = t + shift
                        if t2 < start or t2 >= args.end_ms + step:
                            continue
                        value = fmt_value(v + c * growth) if monotonic else text
                        lines.append(f'{key} {value} {t2 / 1000:.3f}\n')
                out.writelines(lines)
                written += len(lines)
        out.write('# EOF\n')
    print(f'wrote {written} samples to {args.output}', file=sys.stderr)


if __name__ == '__main__':
    main()
