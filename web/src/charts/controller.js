// One chart on the page: its uPlot, its legend and its data (a live builder fed by every tick,
// and a history builder while a range is shown). Drawn by the hub, outside Preact, so a tick
// costs one setData per chart and no component re-render. Legend and caption text is set with
// textContent (uPlot's own legend, which would build DOM per series, is off).
import uPlot from 'uplot';
import { SeriesBuilder } from './builder.js';
import { fmt, fmtAxis } from '../lib/format.js';
import { chartColors, PALETTE_SIZE } from '../lib/theme.js';
import { LIVE_WINDOW_MS } from '../lib/route.js';

const AXIS_FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

// Axis label widths, measured once per text: uPlot asks for them on every draw.
const widths = new Map();
let measureCtx = null;
function textWidth(text) {
  let w = widths.get(text);
  if (w === undefined) {
    measureCtx ||= document.createElement('canvas').getContext('2d');
    measureCtx.font = AXIS_FONT;
    w = measureCtx.measureText(text).width;
    if (widths.size > 2000) widths.clear();
    widths.set(text, w);
  }
  return w;
}

const pad = (n) => String(n).padStart(2, '0');
const dayLabel = (d) => d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });

// The cursor's time: with the date once the chart spans more than a day.
function timeLabel(x, spanS) {
  const d = new Date(x * 1000);
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return spanS > 86400 ? `${dayLabel(d)} ${hms}` : hms;
}

// One line per tick: 24-hour times, dates at midnight on multi-day spans, seconds only when the
// ticks are less than a minute apart (uPlot's default adds a second line with the date).
function timeTicks(u, splits, axisIdx, space, incr) {
  const span = u.scales.x.max - u.scales.x.min;
  return splits.map((v) => {
    const d = new Date(v * 1000);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    if (incr < 60) return `${hm}:${pad(d.getSeconds())}`;
    if (incr >= 86400 || (span > 86400 && hm === '00:00')) return dayLabel(d);
    return hm;
  });
}

// Binary steps for byte axes (1 KiB, 2 KiB, 5 KiB … rather than 1000 B, 2000 B).
const BYTE_INCRS = [];
for (let k = 0; k < 6; k++) {
  for (const m of [1, 2, 5, 10, 20, 50, 100, 200, 500]) BYTE_INCRS.push(m * 1024 ** k);
}

// The caption's figure from the drawn values: CPU modes and traffic add up, the fullest disk or
// the slowest app is what a reader looks for first.
function headline(kind, vals, first) {
  if (!kind) return first;
  if (!vals.length || kind === 'none') return null;
  if (kind === 'sum') return vals.reduce((a, b) => a + b, 0);
  if (kind === 'max') return Math.max(...vals);
  return Math.min(...vals);
}

const HEADLINE_TITLES = { sum: 'all series added', max: 'highest series', min: 'lowest series' };

let firstDataDrawn = false;

export class ChartController {
  constructor(def, dom, hub) {
    this.def = def;
    this.dom = dom; // {fig, plot, legend, now, at}
    this.hub = hub;
    this.live = new SeriesBuilder(def, { windowMs: LIVE_WINDOW_MS });
    this.hist = null; // a SeriesBuilder while a history range is shown
    this.xRange = null; // [from, to] in seconds while a history range is shown
    this.u = null;
    this.layout = '';
    this.draws = 0;
    this.values = []; // legend value elements, by drawn series
    this.groups = [];
    this.visible = undefined; // set by the hub's IntersectionObserver
    this.stale = false; // a tick arrived while the chart was out of view
    this.drawnAt = 0; // performance.now() of the last draw
  }

  get data() {
    return this.hist || this.live;
  }

  layoutKey(themeVersion, groups) {
    return `${themeVersion}|${groups.map((g) => g.key).join(',')}`;
  }

  // True when the next render builds a new uPlot (the costly kind of draw).
  needsBuild(themeVersion) {
    return !this.u || this.layoutKey(themeVersion, this.data.ordered()) !== this.layout;
  }

  // Reads the plot's width ahead of a build; the hub reads every chart's before building any.
  measure() {
    this.measuredWidth = this.dom.plot.clientWidth;
  }

  // Draws the current builder: a new uPlot when the drawn series changed, else setData.
  render(themeVersion) {
    const b = this.data;
    const groups = b.ordered();
    const layout = this.layoutKey(themeVersion, groups);
    const data = [b.xs, ...groups.map((g) => g.ys)];
    this.dom.fig.classList.toggle('nodata', !!this.hist && !b.xs.length);
    // A new uPlot only when the drawn series change: a range switch with the same series is a
    // setData, several times cheaper than building the chart again.
    if (!this.u || layout !== this.layout) {
      this.layout = layout;
      this.create(groups, data);
    } else {
      this.u.setData(data);
    }
  }

  create(groups, data) {
    this.destroy();
    this.groups = groups;
    const colors = chartColors();
    const colorOf = new Map();
    for (const g of groups) {
      if (!colorOf.has(g.colorKey)) colorOf.set(g.colorKey, colorOf.size % PALETTE_SIZE);
    }
    this.buildLegend(groups, colorOf);
    const width = Math.max(120, (this.measuredWidth ?? this.dom.plot.clientWidth) || 300);
    this.measuredWidth = null;
    this.dom.now.title = HEADLINE_TITLES[this.def.headline] || (groups[0] ? groups[0].label : '');
    this.u = new uPlot(this.options(groups, colors, colorOf, width), data, this.dom.plot);
  }

  options(groups, colors, colorOf, width) {
    const def = this.def;
    const single = groups.length === 1;
    const axis = {
      stroke: colors.axis,
      font: AXIS_FONT,
      grid: { stroke: colors.grid, width: 1 },
      ticks: { stroke: colors.grid, width: 1, size: 4 },
    };
    return {
      width,
      height: def.height || 150,
      legend: { show: false },
      padding: [8, 16, 0, 0],
      cursor: {
        sync: { key: 'perfwatch' },
        drag: { x: true, y: false, setScale: false },
        points: { size: 6 },
      },
      scales: {
        x: { time: true, range: (u, min, max) => this.xBounds(min, max) },
        y: { range: (u, min, max) => this.yBounds(min, max) },
      },
      axes: [
        { ...axis, space: 64, size: 28, values: timeTicks },
        {
          ...axis,
          space: 26,
          ...(def.unit === 'bytes' || def.unit === 'Bps' ? { incrs: BYTE_INCRS } : {}),
          size: (u, values) => this.axisWidth(u, values),
          values: (u, splits) => splits.map((v) => fmtAxis(def.unit, v)),
        },
      ],
      series: [
        {},
        ...groups.map((g) => {
          const color = colors.palette[colorOf.get(g.colorKey)];
          return {
            label: g.label,
            stroke: color,
            width: 1.5,
            ...(g.dash ? { dash: g.dash } : {}),
            ...(single && !def.noFill ? { fill: `${color}22` } : {}),
            spanGaps: false,
          };
        }),
      ],
      hooks: {
        draw: [(u) => this.onDraw(u)],
        setCursor: [(u) => this.showValues(u.cursor.idx)],
        setSelect: [(u) => this.onSelect(u)],
      },
    };
  }

  xBounds(min, max) {
    if (this.xRange) return this.xRange;
    if (max == null) return [Date.now() / 1000 - LIVE_WINDOW_MS / 1000, Date.now() / 1000];
    return [max - LIVE_WINDOW_MS / 1000, max];
  }

  yBounds(min, max) {
    const top = this.def.max ?? 0;
    if (max == null || !Number.isFinite(max)) return [0, top || 1];
    const lo = Math.min(0, min);
    const hi = Math.max(top, max > 0 ? max * 1.1 : 1);
    return [lo, hi];
  }

  axisWidth(u, values) {
    if (!values) return 40;
    let w = 0;
    for (const v of values) w = Math.max(w, textWidth(v));
    return Math.ceil(w) + 14;
  }

  buildLegend(groups, colorOf) {
    const { legend } = this.dom;
    legend.replaceChildren();
    this.values = [];
    legend.hidden = groups.length < 2;
    for (const g of groups) {
      const li = el('li');
      const sw = el('span', `sw c${colorOf.get(g.colorKey)}${g.dash ? ' dash' : ''}`);
      sw.setAttribute('aria-hidden', 'true');
      const val = el('span', 'val', '–');
      li.append(sw, el('span', 'lbl', g.label), val);
      legend.append(li);
      this.values.push(val);
    }
  }

  onDraw(u) {
    this.draws++;
    this.drawnAt = performance.now();
    const xs = u.data[0];
    if (xs.length && !firstDataDrawn) {
      firstDataDrawn = true;
      performance.mark('perfwatch:first-chart');
    }
    const fig = this.dom.fig;
    fig.setAttribute('data-points', String(xs.length));
    fig.setAttribute('data-last-x', xs.length ? String(Math.round(xs[xs.length - 1] * 1000)) : '');
    fig.setAttribute('data-draws', String(this.draws));
    if (u.cursor.idx == null) this.showValues(null);
    this.hub.drawn(this);
  }

  // Legend and caption values at the cursor, or the latest when the cursor is elsewhere.
  showValues(idx) {
    const u = this.u;
    if (!u) return;
    const unit = this.def.unit;
    const hover = idx != null;
    const x = hover ? u.data[0][idx] : null;
    this.dom.at.textContent = x != null ? timeLabel(x, u.scales.x.max - u.scales.x.min) : '';
    const vals = [];
    let first = null;
    for (let i = 0; i < this.groups.length; i++) {
      const ys = u.data[i + 1];
      let v = null;
      if (hover) v = ys[idx];
      else for (let j = ys.length - 1; j >= 0 && v == null; j--) v = ys[j];
      this.values[i].textContent = fmt(unit, v);
      if (v != null) vals.push(v);
      if (i === 0) first = v;
    }
    const head = headline(this.def.headline, vals, first);
    this.dom.now.textContent = this.groups.length ? fmt(unit, head) : '';
  }

  onSelect(u) {
    const { left, width } = u.select;
    if (width < 4) return;
    const from = u.posToVal(left, 'x') * 1000;
    const to = u.posToVal(left + width, 'x') * 1000;
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.hub.zoom(from, to);
  }

  resize(width) {
    if (this.u && width > 0 && Math.abs(width - this.u.width) >= 1) {
      this.u.setSize({ width, height: this.def.height || 150 });
    }
  }

  destroy() {
    if (this.u) this.u.destroy();
    this.u = null;
  }
}
