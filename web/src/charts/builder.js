// Turns samples, one time at a time, into a chart's columns: xs (seconds, as uPlot wants) and one
// y array per drawn series. The same code path serves live ticks, the 10-minute backfill and
// history ranges, so a chart computes rates and sums identically in every mode.
//
// A chart definition's series specs:
//   {metric, where?, label?, by?, agg?: 'sum'|'avg'|'max', scale?, perCpu?, dash?}
// `by` names a label: one drawn series per value of it (label '{}' is replaced by the value).
// Counters become per-second rates between consecutive points, reset-aware (a value below the
// previous one counts from zero, as Prometheus's rate() does).
import { matches, isCounter } from '../lib/metrics.js';

const collator = new Intl.Collator(undefined, { numeric: true });

// Series keys and label matches by labels object: a history answer shares one labels object
// across all the points of a series, so each is computed once per series rather than once per
// point (the backfill's hot path on the way to the first paint).
const keys = new WeakMap();
function keyOf(metric, labels) {
  let k = keys.get(labels);
  if (k === undefined || k.metric !== metric) {
    keys.set(labels, (k = { metric, key: metric + JSON.stringify(labels) }));
  }
  return k.key;
}

const matched = new WeakMap(); // labels -> Map(where -> boolean)
function matchesCached(where, labels) {
  if (!where) return true;
  let m = matched.get(labels);
  if (!m) matched.set(labels, (m = new Map()));
  let r = m.get(where);
  if (r === undefined) m.set(where, (r = matches(where, labels)));
  return r;
}

export class SeriesBuilder {
  constructor(def, { windowMs = 0, gapMs = 0 } = {}) {
    this.def = def;
    this.windowMs = windowMs; // live: points older than this before the newest are dropped
    this.gapMs = gapMs; // a longer silence between points is drawn as a gap
    this.reset();
  }

  reset() {
    this.xs = [];
    this.groups = new Map(); // key -> {key, label, colorKey, dash, ys, sort}
    this.prev = new Map(); // counter series key -> {t, v}
    this.lastT = null;
    this.minDt = Infinity;
  }

  // t in ms; lookup(metric) gives that time's samples of a metric ({metric, labels, value}).
  push(t, lookup) {
    if (this.lastT != null && t <= this.lastT) return false;
    const acc = this.collect(t, lookup);
    if (this.lastT != null) {
      const dt = t - this.lastT;
      this.minDt = Math.min(this.minDt, dt);
      const gap = this.gapMs || 5 * this.minDt;
      if (dt > gap && this.xs.length) this.appendRow((this.lastT + this.minDt) / 1000, new Map());
    }
    this.appendRow(t / 1000, acc);
    this.lastT = t;
    if (this.windowMs) this.trim((t - this.windowMs) / 1000);
    return true;
  }

  collect(t, lookup) {
    const acc = new Map();
    this.def.series.forEach((spec, si) => {
      const samples = lookup(spec.metric);
      if (!samples) return;
      const counter = isCounter(spec.metric);
      const cpus = spec.perCpu ? new Set() : null;
      for (const s of samples) {
        if (s.value == null || !matchesCached(spec.where, s.labels)) continue;
        let v = s.value;
        if (counter) {
          v = this.rate(keyOf(s.metric, s.labels), t, v);
          if (v == null) continue;
        }
        if (cpus) cpus.add(s.labels.cpu);
        const by = spec.by ? s.labels[spec.by] ?? '' : null;
        const key = by == null ? `${si}` : `${si}:${by}`;
        let a = acc.get(key);
        if (!a) acc.set(key, (a = { spec, si, by, sum: 0, n: 0, max: -Infinity }));
        a.sum += v;
        a.n++;
        a.max = Math.max(a.max, v);
      }
      if (cpus) for (const a of acc.values()) if (a.si === si) a.cpus = cpus.size;
    });
    return acc;
  }

  rate(key, t, v) {
    const p = this.prev.get(key);
    this.prev.set(key, { t, v });
    if (!p || t <= p.t) return null;
    const inc = v >= p.v ? v - p.v : v;
    return inc / ((t - p.t) / 1000);
  }

  appendRow(x, acc) {
    const n = this.xs.length;
    this.xs.push(x);
    for (const g of this.groups.values()) g.ys.push(null);
    for (const [key, a] of acc) {
      let g = this.groups.get(key);
      if (!g) {
        g = this.newGroup(key, a);
        g.ys = new Array(n + 1).fill(null);
        this.groups.set(key, g);
      }
      const agg = a.spec.agg || 'sum';
      let v = agg === 'avg' ? a.sum / a.n : agg === 'max' ? a.max : a.sum;
      if (a.cpus) v = (v / a.cpus) * 100;
      if (a.spec.scale) v *= a.spec.scale;
      g.ys[n] = v;
    }
  }

  newGroup(key, a) {
    const { spec, si, by } = a;
    const label = by == null
      ? spec.label || spec.metric
      : (spec.label || '{}').replace('{}', by || '(none)');
    return { key, label, colorKey: by == null ? key : by, dash: spec.dash, sort: [by ?? '', si] };
  }

  trim(minX) {
    let i = 0;
    while (i < this.xs.length && this.xs[i] < minX) i++;
    // Trimming in batches keeps the per-tick cost flat (one splice a minute, not every tick).
    if (i < 60 && i < this.xs.length / 10) return;
    this.xs.splice(0, i);
    for (const [key, g] of this.groups) {
      g.ys.splice(0, i);
      if (g.ys.every((v) => v == null)) {
        this.groups.delete(key);
      }
    }
  }

  // The drawn series in a stable order: spec order, then the `by` values in natural order.
  ordered() {
    return [...this.groups.values()].sort((a, b) =>
      collator.compare(a.sort[0], b.sort[0]) || a.sort[1] - b.sort[1]);
  }

  points() {
    return this.xs.length * this.groups.size;
  }
}
