// The dashboard against a fresh perfwatch: loads cleanly at desktop and
// phone widths, live charts move, the range picker and drag zoom load
// history, hostile names stay text, themes switch.
import assert from 'node:assert/strict';
import path from 'node:path';
import { Perfwatch, sleep } from '../lib/perfwatch.mjs';
import { BOLD_APP, HOSTILE_APP, HOSTILE_COMPONENT, feedShop, sendHostileNames } from '../lib/apps.mjs';
import {
  DESKTOP, PHONE, VIEWS, allCharts, chartAttrs, goView, horizontalOverflow, hooks, openDashboard,
  rangeLoad, recordHistoryRequests, screenshot, waitChartDrawn,
} from '../lib/page.mjs';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
            "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; " +
            "form-action 'self'";
const CLASSES = ['Excellent', 'Good', 'Fair', 'Poor', 'Critical'];
const REQUIRED_CHARTS = ['cpu', 'memory', 'load', 'disk', 'network'];
const HOUR = 3600e3;

export default {
  async setup(ctx) {
    const perfwatch = await new Perfwatch({
      binary: ctx.binary,
      dataDir: path.join(ctx.scratch, 'data'),
      logPath: path.join(ctx.artifacts, 'dashboard-perfwatch.log'),
      args: ['--watch-process', 'perfwatch'],
    }).start();
    const stopFeed = feedShop(perfwatch);
    const metrics = await perfwatch.json('/api/v1/metrics');
    const hasPressure = metrics.samples.some((s) => s.metric.startsWith('system_pressure_'));
    return { ...ctx, perfwatch, stopFeed, hasPressure };
  },

  async teardown(env) {
    env.stopFeed?.();
    await env.perfwatch?.stop();
  },

  cases: [
    { name: 'the page loads without console errors or failed requests at 1280x800 and 390x844',
      timeoutMs: 60000, run: loadsCleanly },
    { name: 'live charts draw and move within 3 s', run: liveCharts },
    { name: 'the system view fills its per-core chart and tables', run: systemView },
    { name: 'a range change, a custom range and a drag zoom load history', run: rangeChanges },
    { name: 'hostile app, component and label names render as text', run: hostileNames },
    { name: 'light and dark themes switch and persist', run: themes },
  ],
};

// The embedded files' headers (contract section 1): the CSP on each, assets
// cached for good, the rest revalidated by ETag.
async function checkFileHeaders(env) {
  const html = await fetch(`${env.perfwatch.url}/`, { headers: { 'Accept-Encoding': 'gzip' } });
  const body = await html.text();
  const assets = [...body.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]);
  assert.ok(assets.some((a) => /^\/assets\/app-[^/]+\.js$/.test(a)), `index.html names its script: ${assets}`);
  for (const file of ['/', ...assets]) {
    const res = file === '/' ? html : await fetch(env.perfwatch.url + file);
    const h = (k) => res.headers.get(k) ?? '';
    assert.equal(res.status, 200, file);
    assert.equal(h('content-security-policy'), CSP, `CSP of ${file}`);
    assert.equal(h('x-content-type-options'), 'nosniff', file);
    if (file.startsWith('/assets/')) {
      assert.match(h('cache-control'), /immutable/, `Cache-Control of ${file}`);
    } else {
      assert.match(h('cache-control'), /no-cache/, `Cache-Control of ${file}`);
      const again = await fetch(env.perfwatch.url + file, { headers: { 'If-None-Match': h('etag') } });
      assert.equal(again.status, 304, `${file} with its ETag`);
    }
  }
}

async function loadsCleanly(env) {
  await checkFileHeaders(env);
  for (const viewport of [DESKTOP, PHONE]) {
    const { context, page, problems, response } = await openDashboard(env.browser, env.perfwatch.url,
                                                                       { viewport });
    try {
      const headers = response.headers();
      assert.equal(headers['content-security-policy'], CSP, 'CSP header of /');
      await page.waitForSelector('nav a[data-view=overview]', { timeout: 5000 });
      assert.equal(await page.locator('#app > .boot').count(), 0,
                   "index.html's boot line is gone once the page has rendered");
      const overflow = {};
      for (const view of VIEWS) {
        await goView(page, view);
        assert.equal(await page.getAttribute(`nav a[data-view=${view}]`, 'aria-current'), 'page',
                     `nav link of ${view} is aria-current`);
        await sleep(600);  // the view's own fetches
        const o = await horizontalOverflow(page);
        if (o.scrollWidth > o.innerWidth) overflow[view] = o;
      }
      await goView(page, 'overview');
      await waitChartDrawn(page, 'cpu', 5000);
      if (viewport === PHONE) {
        await sleep(1200);
        await screenshot(page, env.artifacts, 'phone-overview', false);
      }
      assert.deepEqual(overflow, {}, `horizontal scroll at ${viewport.width}x${viewport.height}`);
      await checkHeader(env, page);
      await sleep(1000);
      assert.deepEqual(problems, [], `problems at ${viewport.width}x${viewport.height}`);
    } finally {
      await context.close();
    }
  }
}

async function checkHeader(env, page) {
  const before = (await env.perfwatch.json('/api/v1/status')).status;
  const cls = await page.textContent('#status-class');
  const after = (await env.perfwatch.json('/api/v1/status')).status;
  assert.ok(CLASSES.includes(cls.trim()), `#status-class "${cls}" is a class name`);
  assert.ok([before, after].includes(cls.trim()), `#status-class "${cls}" is the API's (${before})`);
  assert.equal(await page.getAttribute('#status-class', 'data-class'), cls.trim());
  const score = Number(await page.textContent('#status-score'));
  assert.ok(score >= 0 && score <= 100, `#status-score ${score} in 0..100`);
  assert.ok((await page.$$('#status-reasons li')).length >= 1, 'at least one status reason');
  assert.match((await page.textContent('#alert-count')).trim(), /^\d+$/);
  assert.equal((await page.textContent('#conn-state')).trim(), 'live');
}

async function liveCharts(env) {
  const t0 = Date.now();
  const { context, page, problems } = await openDashboard(env.browser, env.perfwatch.url);
  try {
    const drawn = await waitChartDrawn(page, 'cpu', Math.max(500, 3000 - (Date.now() - t0)));
    const drawnAfter = Date.now() - t0;
    await page.waitForFunction((x) => Number(document.querySelector(
      'figure.chart[data-chart="cpu"]').dataset.lastX) > x, drawn.lastX, { timeout: 3000, polling: 50 });
    const moved = await chartAttrs(page, 'cpu');
    assert.ok(moved.draws > drawn.draws, 'cpu chart redrew');
    const lastTick = (await env.perfwatch.json('/api/v1/health')).last_tick_ms;
    assert.ok(Math.abs(lastTick - moved.lastX) <= 2500,
              `cpu chart's last point ${moved.lastX} is the latest tick ${lastTick}`);

    // Every chart draws, the required ones with points.
    await page.waitForFunction(() => [...document.querySelectorAll('figure.chart')]
      .every((f) => Number(f.dataset.draws ?? 0) > 0), null, { timeout: 3000 });
    const charts = await allCharts(page);
    assert.ok(charts.length >= 12, `overview has ${charts.length} charts, want >= 12: ` +
              charts.map((c) => c.id).join(','));
    const required = REQUIRED_CHARTS.concat(env.hasPressure ? ['pressure'] : []);
    for (const id of required) {
      const c = charts.find((x) => x.id === id);
      assert.ok(c, `chart ${id} present`);
      assert.ok(c.points > 0, `chart ${id} has points`);
      assert.ok(c.title.trim().length > 0, `chart ${id} has a title`);
    }
    const h = await hooks(page);
    assert.ok(h && h.wsMessages > 0, '__perfwatch.wsMessages counts /ws messages');
    assert.equal(h.version, (await env.perfwatch.json('/api/v1/health')).version);
    env.log(`cpu chart drew ${drawnAfter} ms after navigation start; ${charts.length} charts`);
    await screenshot(page, env.artifacts, 'overview');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
}

async function systemView(env) {
  const { context, page, problems } = await openDashboard(env.browser, env.perfwatch.url,
                                                          { hash: '#/system' });
  try {
    assert.equal(await page.getAttribute('main', 'data-view'), 'system');
    const cores = await waitChartDrawn(page, 'cpu-cores', 5000);
    assert.ok(cores.points > 0);
    for (const table of ['#fs-table', '#net-table', '#tcp-table', '#proc-table']) {
      await page.waitForSelector(`${table} tr[data-key]`, { timeout: 8000 });
    }
    const net = await page.$$eval('#net-table tr[data-key]', (rows) => rows.map((r) => r.dataset.key));
    assert.ok(net.some((k) => k.includes('lo')), `#net-table has the loopback interface: ${net}`);
    const procs = await page.textContent('#proc-table');
    assert.match(procs, /perfwatch/, '#proc-table shows the watched perfwatch');
    await sleep(500);
    await screenshot(page, env.artifacts, 'system');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
}

// A range load asks each selector once: the same query twice is wasted work
// (e.g. every chart synced to a drag selection starting its own load).
function assertNoRepeats(reqs, what) {
  const seen = new Map();
  for (const r of reqs) {
    const key = r.url;  // every selector, agg and bound of the (batched) request
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const repeated = [...seen].filter(([, n]) => n > 1);
  assert.ok(!repeated.length, `${what}: ${reqs.length} history requests for ${seen.size} distinct ` +
            `queries (e.g. ${repeated[0]?.[1]} times ${repeated[0]?.[0]})`);
}

// The time span a history request asks for, in ms.
function span(params) {
  if (params.from && params.to) return Number(params.to) - Number(params.from);
  return Number(params.hours ?? 1) * HOUR;
}

async function rangeChanges(env) {
  const { context, page, problems } = await openDashboard(env.browser, env.perfwatch.url);
  try {
    const all = recordHistoryRequests(page);
    // Range loads ask for from/to; a chart's live window is backfilled with
    // `hours` when it is created (and on reconnect), which is not a range load.
    const history = { filter: (fn) => all.filter((r) => !r.params.hours && fn(r)),
                      some: (fn) => all.some(fn) };
    await waitChartDrawn(page, 'cpu', 5000);
    await sleep(1000);

    // A preset.
    let mark = Date.now();
    let h = await rangeLoad(page, () => page.click('button[data-range="6h"]'));
    let reqs = history.filter((r) => r.time >= mark);
    assert.ok(reqs.length > 0, 'the 6h range asked /api/v1/metrics/history[/batch]');
    for (const r of reqs) {
      assert.ok(Math.abs(span(r.params) - 6 * HOUR) <= 0.05 * 6 * HOUR, `6h request spans 6 h: ${r.url}`);
    }
    assert.equal(await page.getAttribute('button[data-range="6h"]', 'aria-pressed'), 'true');
    assert.equal(await page.getAttribute('button[data-range="live"]', 'aria-pressed'), 'false');
    assert.equal((await page.textContent('#conn-state')).trim(), 'history');
    assert.match(page.url(), /[?&]range=6h/, 'the range is kept in the URL');
    assert.ok(h.lastRangeLoad.totalMs > 0 && h.lastRangeLoad.points >= 0, 'lastRangeLoad filled');
    assertNoRepeats(reqs, '6h');
    const sixHourStep = reqs.map((r) => r.params.step).find(Boolean);

    // A reload keeps it.
    mark = Date.now();
    await page.reload();
    await page.waitForFunction(() => (window.__perfwatch?.rangeLoads ?? 0) > 0, null, { timeout: 10000 });
    assert.equal(await page.getAttribute('button[data-range="6h"]', 'aria-pressed'), 'true',
                 'reload keeps the 6h range');
    assert.ok(history.some((r) => r.time >= mark), 'reload asked history again');

    // A custom range: from 3 h ago to 1 h ago (the context's zone is UTC).
    await page.click('button[data-range="custom"]');
    await page.waitForSelector('input#range-from', { state: 'visible', timeout: 3000 });
    const now = Date.now();
    const from = Math.floor((now - 3 * HOUR) / 60000) * 60000;
    const to = Math.floor((now - 1 * HOUR) / 60000) * 60000;
    const local = (ms) => new Date(ms).toISOString().slice(0, 16);
    await page.fill('input#range-from', local(from));
    await page.fill('input#range-to', local(to));
    mark = Date.now();
    h = await rangeLoad(page, () => page.click('button#range-apply'));
    reqs = history.filter((r) => r.time >= mark);
    assert.ok(reqs.length > 0, 'the custom range asked history');
    for (const r of reqs) {
      assert.ok(r.params.from && r.params.to, `custom request has from/to: ${r.url}`);
      assert.ok(Math.abs(Number(r.params.from) - from) <= 60000 &&
                Math.abs(Number(r.params.to) - to) <= 60000,
                `custom request covers ${local(from)}..${local(to)}: ${r.url}`);
    }
    assertNoRepeats(reqs, 'custom range');
    assert.equal(await page.getAttribute('button[data-range="custom"]', 'aria-pressed'), 'true');
    assert.match(page.url(), /[?&]from=\d+/);
    assert.match(page.url(), /[?&]to=\d+/);

    // Drag-zoom on the cpu chart of the 6h range: the middle half.
    await rangeLoad(page, () => page.click('button[data-range="6h"]'));
    const drawsBefore = Object.fromEntries((await allCharts(page)).map((c) => [c.id, c.draws]));
    const over = await page.$('figure.chart[data-chart="cpu"] .u-over');
    assert.ok(over, 'the cpu chart has a uPlot overlay to drag on');
    const box = await over.boundingBox();
    const y = box.y + box.height / 2;
    mark = Date.now();
    h = await rangeLoad(page, async () => {
      await page.mouse.move(box.x + box.width * 0.25, y);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.5, y, { steps: 5 });
      await page.mouse.move(box.x + box.width * 0.75, y, { steps: 5 });
      await page.mouse.up();
    });
    reqs = history.filter((r) => r.time >= mark);
    assert.ok(reqs.length > 0, 'the zoom asked history');
    for (const r of reqs) {
      const s = span(r.params);
      assert.ok(s > 0.3 * 6 * HOUR && s < 0.7 * 6 * HOUR, `zoom request spans about half of 6 h: ${r.url}`);
      if (sixHourStep && r.params.step) {
        assert.ok(parseStep(r.params.step) < parseStep(sixHourStep),
                  `zoom step ${r.params.step} finer than 6h's ${sixHourStep}`);
      }
    }
    await sleep(1000);  // any further load the drag started
    reqs = history.filter((r) => r.time >= mark);
    assertNoRepeats(reqs, 'drag zoom');
    assert.equal((await hooks(page)).rangeLoads, h.rangeLoads, 'one drag, one range load');
    assert.equal(await page.getAttribute('button[data-range="custom"]', 'aria-pressed'), 'true');
    const drawsAfter = await allCharts(page);
    const stale = drawsAfter.filter((c) => !(c.draws > (drawsBefore[c.id] ?? 0))).map((c) => c.id);
    assert.deepEqual(stale, [], 'every chart redrew for the zoom');
    env.log(`zoom: ${reqs.length} history requests, totalMs ${h.lastRangeLoad.totalMs.toFixed(1)}`);

    // Back to live.
    await page.click('button[data-range="live"]');
    await page.waitForFunction(() => document.querySelector('#conn-state')?.textContent.trim() === 'live',
                               null, { timeout: 5000 });
    assert.equal(await page.getAttribute('button[data-range="live"]', 'aria-pressed'), 'true');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
}

// "30s", "1m", "15" (seconds) or "500ms" to ms.
function parseStep(step) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(step);
  if (!m) return Number(step) * 1000;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: HOUR }[m[2] ?? 's'];
}

async function hostileNames(env) {
  await sendHostileNames(env.perfwatch);
  // The component comes by UDP: give the listener thread and the next tick their moment.
  let kept = false;
  for (let i = 0; i < 50 && !kept; i++) {
    const { components } = await env.perfwatch.json('/api/v1/components');
    kept = components.some((c) => c.name === HOSTILE_COMPONENT);
    if (!kept) await sleep(100);
  }
  assert.ok(kept, 'perfwatch kept the component name');
  await sleep(1500);  // the next tick carries the derived app figures
  const { context, page, problems } = await openDashboard(env.browser, env.perfwatch.url,
                                                          { hash: '#/apps' });
  try {
    const cellWith = (sel, text) => page.waitForFunction(
      ([s, t]) => [...document.querySelectorAll(s)].some((td) => td.textContent === t),
      [sel, text], { timeout: 8000 });
    await cellWith('#apps-table td.app-name', HOSTILE_APP);
    await cellWith('#apps-table td.app-name', BOLD_APP);
    await cellWith('#components-table td.component-name', HOSTILE_COMPONENT);
    for (const id of ['app-response', 'app-rps', 'app-errors', 'app-cache', 'app-throughput']) {
      assert.ok((await waitChartDrawn(page, id, 5000)).points > 0, `${id} drew`);
    }
    await sleep(1500);  // let an injected onerror fire, were there one
    const dom = await page.evaluate(() => ({
      pwned: window.__pwned,
      imgs: document.querySelectorAll('img[src="x"], img[onerror]').length,
      scripts: [...document.querySelectorAll('script')].filter((s) => s.textContent.includes('__pwned')).length,
      bold: document.querySelectorAll('#apps-table b, #components-table b, figure.chart b').length,
    }));
    assert.deepEqual(dom, { pwned: undefined, imgs: 0, scripts: 0, bold: 0 });
    await screenshot(page, env.artifacts, 'apps');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
}

async function themes(env) {
  for (const scheme of ['light', 'dark']) {
    const { context, page } = await openDashboard(env.browser, env.perfwatch.url, { colorScheme: scheme });
    assert.equal(await page.getAttribute('html', 'data-theme'), scheme, `default follows prefers ${scheme}`);
    await context.close();
  }
  const { context, page, problems } = await openDashboard(env.browser, env.perfwatch.url);
  try {
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await bg();
    await page.click('#theme-toggle');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
    assert.equal(await page.evaluate(() => localStorage.getItem('perfwatch.theme')), 'dark');
    assert.notEqual(await bg(), light, 'the background changes with the theme');
    await page.reload();
    await page.waitForSelector('main[data-view]');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark', 'the choice survives a reload');
    await waitChartDrawn(page, 'cpu', 5000);
    await sleep(1200);
    await screenshot(page, env.artifacts, 'overview-dark');
    await page.click('#theme-toggle');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'light');
    assert.equal(await bg(), light);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
}
