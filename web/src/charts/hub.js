// Drives every chart on the page. Live: each tick is pushed into every chart's builder and the
// charts in (or near) the viewport are drawn together in the next animation frame; none while
// the tab is hidden (browsers pause requestAnimationFrame there); a chart out of view is drawn
// every 10 s, and at once when it comes back. History: one request per chart, all in parallel,
// then every chart is drawn and the load is timed for window.__perfwatch.
import { SeriesBuilder } from './builder.js';
import { ChartController } from './controller.js';
import { fetchSpecsBatch, stepFor } from '../lib/metrics.js';
import { onTick, onReconnect, ticks, perf } from '../lib/live.js';
import {
  route, rangeActionAt, resolveRange, setRange, sameRange, LIVE_WINDOW_MS,
} from '../lib/route.js';
import { theme } from '../lib/theme.js';

const BACKFILL_HOURS = (LIVE_WINDOW_MS + 15e3) / 3600e3;
// The backfill asks for 2-second buckets: 300 points for a chart about 380 px wide, half the
// parsing and building of raw 1-second samples on the way to the first meaningful paint; ticks
// then arrive at the collection interval.
const BACKFILL = { hours: BACKFILL_HOURS, step: 2 };
const OFFSCREEN_EVERY_MS = 10e3;
const BUILDS_PER_FRAME = 6;

class ChartHub {
  constructor() {
    this.charts = new Set();
    this.dirty = new Set();
    this.frame = 0;
    this.range = route.get().range;
    this.reload = route.get().reload;
    this.rangeGen = 0;
    this.themeVersion = 0;
    this.waiters = new Set(); // range loads waiting for their charts to draw
    this.newcomers = [];
    this.prefetched = new Map(); // chart id -> {answer, at}: backfills asked before mounting
    this.backfillQueue = [];
    this.resizer = new ResizeObserver((entries) => {
      for (const e of entries) e.target.chartController?.resize(Math.floor(e.contentRect.width));
    });
    this.viewport = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const c = e.target.chartController;
        if (!c) continue;
        c.visible = e.isIntersecting;
        if (c.visible && c.stale) this.markDirty(c);
      }
    }, { rootMargin: '100px 0px' });
    onTick((tick) => this.onTick(tick));
    onReconnect(() => this.charts.forEach((c) => this.backfill(c)));
    route.subscribe((r) => this.onRange(r.range, r.reload));
    theme.subscribe(() => {
      this.themeVersion++;
      this.charts.forEach((c) => this.markDirty(c));
    });
  }

  get live() {
    return this.range.kind === 'live';
  }

  create(def, dom) {
    const c = new ChartController(def, dom, this);
    dom.plot.chartController = c;
    this.charts.add(c);
    this.resizer.observe(dom.plot);
    this.viewport.observe(dom.plot);
    for (const tick of ticks.recent) c.live.push(tick.t, (m) => tick.get(m));
    if (this.live) {
      this.backfill(c);
      this.markDirty(c);
    } else {
      this.queueHistory(c); // the live window is filled when Live is chosen again
    }
    return c;
  }

  remove(c) {
    this.charts.delete(c);
    this.dirty.delete(c);
    this.resizer.unobserve(c.dom.plot);
    this.viewport.unobserve(c.dom.plot);
    c.destroy();
  }

  // Starts the live backfill of charts about to mount (one request for all); a chart created
  // within 5 s takes its answer instead of asking again.
  prefetch(defs) {
    const at = performance.now();
    const batch = fetchSpecsBatch(defs.map((d) => d.series), BACKFILL);
    batch.catch(() => {}); // reported by the charts that take it
    defs.forEach((def, i) => this.prefetched.set(def.id, { answer: batch.then((r) => r[i]), at }));
  }

  takePrefetched(def) {
    const p = this.prefetched.get(def.id);
    this.prefetched.delete(def.id);
    return p && performance.now() - p.at < 5000 ? p.answer : null;
  }

  // Fills a chart's live window from stored history, then replays the ticks received meanwhile.
  // Charts asking in the same task (a view's mount, a reconnect) share one request.
  backfill(c) {
    c.backfilled = true;
    c.backfillGen = (c.backfillGen || 0) + 1;
    this.backfillQueue.push(c);
    if (this.backfillQueue.length > 1) return;
    queueMicrotask(() => {
      const list = this.backfillQueue.filter((x) => this.charts.has(x));
      this.backfillQueue = [];
      const need = [];
      for (const x of list) {
        const answer = this.takePrefetched(x.def);
        if (answer) this.applyBackfill(x, answer);
        else need.push(x);
      }
      if (!need.length) return;
      const batch = fetchSpecsBatch(need.map((x) => x.def.series), BACKFILL);
      batch.catch(() => {});
      need.forEach((x, i) => this.applyBackfill(x, batch.then((r) => r[i])));
    });
  }

  async applyBackfill(c, answer) {
    const gen = c.backfillGen;
    try {
      const { frames } = await answer;
      if (gen !== c.backfillGen || !this.charts.has(c)) return; // a newer backfill, or gone
      const b = new SeriesBuilder(c.def, { windowMs: LIVE_WINDOW_MS });
      for (const [t, lookup] of frames) b.push(t, lookup);
      for (const tick of ticks.recent) b.push(tick.t, (m) => tick.get(m));
      c.live = b;
      if (this.live) this.markDirty(c, true);
    } catch (err) {
      console.warn(`perfwatch: backfill of ${c.def.id}: ${err.message}`);
    }
  }

  onTick(tick) {
    const lookup = (m) => tick.get(m);
    for (const c of this.charts) {
      c.live.push(tick.t, lookup);
      if (this.live) this.markDirty(c);
    }
  }

  // A chart out of view is drawn only when forced (its backfill arrived) or every 10 s, so a
  // full-page screenshot or a quick scroll still finds it nearly current.
  markDirty(c, force = false) {
    // Until the observer's first report a chart counts as visible, so it is drawn once.
    if (c.visible === false && !force && performance.now() - c.drawnAt < OFFSCREEN_EVERY_MS) {
      c.stale = true;
      return;
    }
    c.stale = false;
    this.dirty.add(c);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  // Building a uPlot is the expensive draw, so a frame builds at most a few (visible ones first)
  // and leaves the rest to the next frames: the first charts reach the screen sooner than if
  // the whole grid were built in one long task. Widths are read for all before any is built, so
  // the layout is computed once, not once per chart.
  flush() {
    this.frame = 0;
    const list = [...this.dirty].filter((c) => this.charts.has(c));
    this.dirty.clear();
    list.sort((a, b) => (b.visible !== false) - (a.visible !== false));
    for (const c of list) if (c.needsBuild(this.themeVersion)) c.measure();
    let builds = 0;
    for (const c of list) {
      if (c.needsBuild(this.themeVersion) && ++builds > BUILDS_PER_FRAME) {
        this.dirty.add(c);
        continue;
      }
      c.render(this.themeVersion);
    }
    if (this.dirty.size && !this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  // uPlot's cursor sync repeats a selection on every chart of the page, so each reports the same
  // zoom in the same event; only the first of them sets the range.
  zoom(from, to) {
    if (to - from < 1000 || this.zooming) return;
    this.zooming = true;
    queueMicrotask(() => {
      this.zooming = false;
    });
    setRange({ kind: 'custom', from: Math.round(from), to: Math.round(to) });
  }

  onRange(range, reload) {
    if (sameRange(range, this.range) && reload === this.reload) return;
    this.range = range;
    this.reload = reload;
    this.rangeGen++;
    for (const w of this.waiters) w.done();
    if (range.kind === 'live') {
      for (const c of this.charts) {
        c.hist = null;
        c.xRange = null;
        if (!c.backfilled) this.backfill(c);
        this.markDirty(c);
      }
      return;
    }
    this.loadHistory([...this.charts], rangeActionAt);
  }

  // Charts that appear while a range is shown (a view switch) load it together.
  queueHistory(c) {
    this.newcomers.push(c);
    if (this.newcomers.length > 1) return;
    queueMicrotask(() => {
      const list = this.newcomers.filter((x) => this.charts.has(x));
      this.newcomers = [];
      this.loadHistory(list, performance.now());
    });
  }

  async loadHistory(list, startedAt) {
    const gen = this.rangeGen;
    const label = this.range.kind;
    const [from, to] = resolveRange(this.range);
    const step = stepFor(to - from);
    const batch = fetchSpecsBatch(list.map((c) => c.def.series), { from, to, step });
    const results = await Promise.allSettled(list.map((c, i) => batch.then((r) => r[i])));
    if (gen !== this.rangeGen) return;
    const fetched = performance.now();
    const charts = list.filter((c) => this.charts.has(c));
    const drawn = this.awaitDraws(charts);
    results.forEach((r, i) => {
      const c = list[i];
      if (!this.charts.has(c)) return;
      const b = new SeriesBuilder(c.def, { gapMs: r.value?.step ? r.value.step * 5000 : 0 });
      if (r.status === 'fulfilled') for (const [t, lookup] of r.value.frames) b.push(t, lookup);
      else console.warn(`perfwatch: history of ${c.def.id}: ${r.reason.message}`);
      c.hist = b;
      c.xRange = [from / 1000, to / 1000];
      c.render(this.themeVersion);
    });
    await drawn;
    if (gen !== this.rangeGen) return;
    const end = performance.now();
    perf.rangeLoads++;
    perf.lastRangeLoad = {
      range: label,
      fetchMs: Math.round(fetched - startedAt),
      renderMs: Math.round(end - fetched),
      totalMs: Math.round(end - startedAt),
      points: list.reduce((n, c) => n + (c.hist ? c.hist.points() : 0), 0),
    };
  }

  // Resolves once every chart in `charts` has drawn (uPlot draws in a microtask after setData,
  // or at once when it is created); a chart that never draws gives up after 5 s.
  awaitDraws(charts) {
    if (!charts.length) return Promise.resolve();
    return new Promise((resolve) => {
      const w = { set: new Set(charts), done: () => {} };
      const timer = setTimeout(() => w.done(), 5000);
      w.done = () => {
        clearTimeout(timer);
        this.waiters.delete(w);
        resolve();
      };
      this.waiters.add(w);
    });
  }

  drawn(c) {
    for (const w of this.waiters) if (w.set.delete(c) && w.set.size === 0) w.done();
  }
}

export const hub = new ChartHub();
