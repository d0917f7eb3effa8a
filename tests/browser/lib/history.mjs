// Synthetic history for the 30-day measurement: one point a minute for 30
// days for each series the overview charts, written as OpenMetrics text for
// `perfwatch import`. Gauges wave daily around the series' live value;
// counters climb to their live value, so rates stay plausible and the first
// live tick after the import is not a counter reset.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const DAY_S = 86400;

// series: [{metric, labels, type: 'gauge'|'counter', last}]; writes the
// file and returns {points, fromMs, toMs}.
export async function writeOpenMetrics(file, series, { days = 30, stepS = 60, endMs = Date.now() } = {}) {
  const end = Math.floor(endMs / 1000 / stepS) * stepS;
  const count = Math.floor((days * DAY_S) / stepS);
  const start = end - (count - 1) * stepS;
  const out = createWriteStream(file);
  const write = async (text) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const byFamily = new Map();
  for (const s of series) {
    // OpenMetrics names a counter family without its samples' `_total`.
    const counter = s.type === 'counter' && s.metric.endsWith('_total');
    const family = counter ? s.metric.slice(0, -'_total'.length) : s.metric;
    if (!byFamily.has(family)) byFamily.set(family, []);
    byFamily.get(family).push({ ...s, counter });
  }
  let points = 0;
  let seed = 1;
  for (const [family, members] of byFamily) {
    await write(`# TYPE ${family} ${members[0].counter ? 'counter' : 'gauge'}\n`);
    for (const s of members) {
      const prefix = s.metric + formatLabels(s.labels) + ' ';
      const values = s.type === 'counter' ? counterValues(s, count, stepS, seed++)
                                           : gaugeValues(s, count, start, stepS, seed++);
      let chunk = '';
      for (let i = 0; i < count; i++) {
        chunk += `${prefix}${values[i]} ${start + i * stepS}\n`;
        if (chunk.length > 1 << 16) {
          await write(chunk);
          chunk = '';
        }
      }
      await write(chunk);
      points += count;
    }
  }
  await write('# EOF\n');
  out.end();
  await once(out, 'finish');
  return { points, fromMs: start * 1000, toMs: end * 1000 };
}

function formatLabels(labels) {
  const entries = Object.entries(labels).filter(([, v]) => v !== '');
  if (!entries.length) return '';
  const esc = (v) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `{${entries.map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;
}

// A small deterministic generator, so a failing run can be reproduced.
function random(seed) {
  let x = seed * 2654435761 % 4294967296 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >> 17;
    x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}

function gaugeValues(s, count, start, stepS, seed) {
  const rnd = random(seed);
  const percent = s.metric.endsWith('_percent');
  const base = Number.isFinite(s.last) ? s.last : 0;
  const amp = percent ? Math.max(5, base * 0.4) : Math.abs(base) * 0.2;
  const phase = rnd() * 2 * Math.PI;
  const values = new Array(count);
  for (let i = 0; i < count; i++) {
    const t = start + i * stepS;
    let v = base + amp * Math.sin((2 * Math.PI * t) / DAY_S + phase) + amp * 0.3 * (rnd() - 0.5);
    if (percent) v = Math.min(100, v);
    values[i] = round(Math.max(0, v));
  }
  return values;
}

function counterValues(s, count, stepS, seed) {
  const rnd = random(seed);
  const last = Number.isFinite(s.last) && s.last > 0 ? s.last : count;
  // Climb from half the live value to just under it, faster by day.
  const perStep = (last * 0.5) / count;
  const values = new Array(count);
  let v = last * 0.5;
  for (let i = 0; i < count; i++) {
    const daily = 1 + 0.5 * Math.sin((2 * Math.PI * i * stepS) / DAY_S);
    v += perStep * daily * (0.5 + rnd() * 0.5);
    values[i] = round(Math.min(v, last));
  }
  return values;
}

const round = (v) => Math.round(v * 1000) / 1000;
