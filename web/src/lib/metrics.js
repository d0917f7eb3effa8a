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

function groupsByAgg(specs) {
  const groups = new Map();
  for (const spec of specs) {
    const agg = isCounter(spec.metric) ? 'last' : 'avg';
    if (!groups.has(agg)) groups.set(agg, []);
    groups.get(agg).push(spec);
  }
  return groups;
}

const BATCH_MAX = 64; // selectors per /api/v1/metrics/history/batch request (the server's limit)

function rangeParams(p, { from, to, hours, step }) {
  if (hours) p.set('hours', String(hours));
  if (from != null) p.set('from', String(Math.floor(from)));
  if (to != null) p.set('to', String(Math.ceil(to)));
  if (step) p.set('step', String(step));
}

// Fetches the specs of several charts over one range with one request per 64 selectors
// (GET /api/v1/metrics/history/batch): each request costs a browser several milliseconds on a
// small machine, far more than the store's work, so a 15-chart view asks once, not 15 times.
// Counters are bucketed by their last value (rates are taken between buckets), gauges by their
// average. Over the store's point limit (422) the whole range is asked again with a coarser
// step. Resolves to one {frames, step} per entry of `specLists`.
export async function fetchSpecsBatch(specLists, range, signal) {
  const queries = [];
  specLists.forEach((specs, chart) => {
    for (const [agg, group] of groupsByAgg(specs)) queries.push({ chart, agg, selector: selectorOf(group) });
  });
  let step = range.step || 0;
  for (let attempt = 0; ; attempt++) {
    try {
      const chunks = [];
      for (let i = 0; i < queries.length; i += BATCH_MAX) chunks.push(queries.slice(i, i + BATCH_MAX));
      const answers = await Promise.all(chunks.map((chunk) => {
        const p = new URLSearchParams();
        for (const q of chunk) p.append('metric', q.selector);
        if (step) for (const q of chunk) p.append('agg', q.agg);
        rangeParams(p, { ...range, step });
        return getJSON(`/api/v1/metrics/history/batch?${p}`, { signal });
      }));
      const frames = specLists.map(() => new Frames());
      answers.flatMap((a) => a.results || []).forEach((result, i) => {
        for (const series of result.series || []) frames[queries[i].chart].add(series);
      });
      return frames.map((f) => ({ frames: f, step }));
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 422 || attempt >= 6) throw err;
      step = step ? coarser(step) : 2;
    }
  }
}
