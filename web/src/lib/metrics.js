// Metric types, label matching and history queries. A chart spec's `where` maps a label to a
// value ('' = label absent), '!value' (not equal) or an array (one of); the same conditions become
// the PromQL selector sent to /api/v1/metrics/history, and are applied again to what comes back.
import { getJSON, ApiError } from './api.js';

const counters = new Set();

// Counters are shown as per-second rates; /api/v1/metadata names them, `_total` covers the time
// before it answered.
export function isCounter(metric) {
  return counters.has(metric) || metric.endsWith('_total');
}

// Resolves to the names of every metric perfwatch has series of.
export async function loadMetadata() {
  const body = await getJSON('/api/v1/metadata');
  for (const m of body.metrics || []) if (m.type === 'counter') counters.add(m.name);
  return (body.metrics || []).map((m) => m.name);
}

export function matches(where, labels) {
  if (!where) return true;
  for (const key in where) {
    const want = where[key];
    const have = labels[key] ?? '';
    if (Array.isArray(want)) {
      if (!want.includes(have)) return false;
    } else if (want.startsWith('!')) {
      if (have === want.slice(1)) return false;
    } else if (have !== want) {
      return false;
    }
  }
  return true;
}

function matchers(where) {
  return Object.entries(where || {}).map(([k, v]) => {
    if (Array.isArray(v)) return `${k}=~"${v.join('|')}"`;
    if (v.startsWith('!')) return `${k}!="${v.slice(1)}"`;
    return `${k}="${v}"`;
  });
}

// One selector for several specs: their metric names as a regex, plus the matchers all share.
export function selectorOf(specs) {
  const names = [...new Set(specs.map((s) => s.metric))];
  const shared = specs.map((s) => matchers(s.where));
  const common = shared[0].filter((m) => shared.every((list) => list.includes(m)));
  if (names.length === 1) return `${names[0]}{${common.join(',')}}`;
  return `{${[`__name__=~"${names.join('|')}"`, ...common].join(',')}}`;
}

// Steps a range query may use, in seconds; a range gets the one nearest to range/400: about one
// point per pixel of a chart at 1280 px (three columns), so a 30-day range is 360 two-hour
// points, read from the 1-hour tier. More points would cost parse and draw time and show nothing.
const NICE = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
];

export function stepFor(rangeMs) {
  const target = rangeMs / 400 / 1000;
  if (target < 1.5) return 0; // raw samples: a short zoom shows every tick
  const off = (s) => Math.abs(Math.log(s / target));
  return NICE.reduce((best, s) => (off(s) < off(best) ? s : best));
}

function coarser(step) {
  return NICE.find((s) => s > step) || step * 2;
}

// A history answer as frames: sorted times, and per time the samples by metric name.
export class Frames {
  constructor() {
    this.byTime = new Map();
  }

  add(series) {
    for (const [t, value] of series.points) {
      let frame = this.byTime.get(t);
      if (!frame) this.byTime.set(t, (frame = new Map()));
      const sample = { metric: series.metric, labels: series.labels, value };
      const list = frame.get(series.metric);
      if (list) list.push(sample);
      else frame.set(series.metric, [sample]);
    }
  }

  *[Symbol.iterator]() {
    const times = [...this.byTime.keys()].sort((a, b) => a - b);
    for (const t of times) {
      const frame = this.byTime.get(t);
      yield [t, (metric) => frame.get(metric)];
    }
  }
}

async function query(selector, { from, to, hours, step, agg }, signal) {
  const p = new URLSearchParams({ metric: selector });
  if (hours) p.set('hours', String(hours));
  if (from != null) p.set('from', String(Math.floor(from)));
  if (to != null) p.set('to', String(Math.ceil(to)));
  if (step) {
    p.set('step', String(step));
    p.set('agg', agg);
  }
  return getJSON(`/api/v1/metrics/history?${p}`, { signal });
}

// Fetches every spec of a chart over a range: counters bucketed by their last value (rates are
// taken between buckets), gauges by their average. An answer over the store's point limit (422)
// is asked again with a coarser step. Resolves to {frames, step}.
export async function fetchSpecs(specs, range, signal) {
  const groups = new Map();
  for (const spec of specs) {
    const agg = isCounter(spec.metric) ? 'last' : 'avg';
    if (!groups.has(agg)) groups.set(agg, []);
    groups.get(agg).push(spec);
  }
  let step = range.step || 0;
  for (let attempt = 0; ; attempt++) {
    try {
      const answers = await Promise.all([...groups].map(([agg, group]) =>
        query(selectorOf(group), { ...range, step, agg }, signal)));
      const frames = new Frames();
      for (const answer of answers) for (const series of answer.series || []) frames.add(series);
      return { frames, step };
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 422 || attempt >= 6) throw err;
      step = step ? coarser(step) : 2;
    }
  }
}
