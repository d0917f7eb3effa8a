// Page-level helpers over the DOM contract of the dashboard
// (contract section 2, web/README.md): views, charts, the range picker.
import path from 'node:path';
import { watchPage } from './browser.mjs';

export const VIEWS = ['overview', 'system', 'apps', 'alerts', 'tuning', 'analysis'];
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

// A fresh context (no cache, no localStorage) with one page on `hash`.
export async function openDashboard(browser, url, { viewport = DESKTOP, colorScheme = 'light',
                                                    hash = '#/overview', storage = {} } = {}) {
  const context = await browser.newContext({ viewport, colorScheme, timezoneId: 'UTC' });
  if (Object.keys(storage).length) {
    await context.addInitScript((items) => {
      for (const [k, v] of Object.entries(items)) localStorage.setItem(k, v);
    }, storage);
  }
  const page = await context.newPage();
  const problems = watchPage(page);
  const response = await page.goto(url + '/' + hash, { waitUntil: 'load' });
  await page.waitForSelector('main[data-view]', { timeout: 5000 });
  return { context, page, problems, response };
}

export async function goView(page, view) {
  await page.click(`nav a[data-view=${view}]`);
  await page.waitForSelector(`main[data-view=${view}]`, { timeout: 5000 });
}

export function chartAttrs(page, id) {
  return page.$eval(`figure.chart[data-chart="${id}"]`, (f) => ({
    points: Number(f.dataset.points ?? 0),
    lastX: Number(f.dataset.lastX ?? 0),
    draws: Number(f.dataset.draws ?? 0),
  }));
}

export function allCharts(page) {
  return page.$$eval('figure.chart', (figs) => figs.map((f) => ({
    id: f.dataset.chart,
    points: Number(f.dataset.points ?? 0),
    lastX: Number(f.dataset.lastX ?? 0),
    draws: Number(f.dataset.draws ?? 0),
    title: f.querySelector('figcaption')?.textContent ?? '',
  })));
}

// Waits until the chart has drawn points; returns its attributes.
export async function waitChartDrawn(page, id, timeout) {
  await page.waitForFunction(
    (sel) => Number(document.querySelector(sel)?.dataset.points ?? 0) > 0,
    `figure.chart[data-chart="${id}"]`, { timeout, polling: 50 });
  return chartAttrs(page, id);
}

export const hooks = (page) => page.evaluate(() => structuredClone(window.__perfwatch ?? null));

// Clicks `action` and waits for window.__perfwatch.rangeLoads to move past
// its value before the click; returns the new hooks object.
export async function rangeLoad(page, action, timeout = 15000) {
  const before = (await hooks(page))?.rangeLoads ?? 0;
  await action();
  await page.waitForFunction((n) => (window.__perfwatch?.rangeLoads ?? 0) > n, before,
                             { timeout, polling: 50 });
  return hooks(page);
}

// The page's scroll width against the window's, and when it is wider the
// outermost elements that stick out (what to fix).
export async function horizontalOverflow(page) {
  return page.evaluate(() => {
    const out = { scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth };
    if (out.scrollWidth <= out.innerWidth) return out;
    const name = (el) => el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') +
      (typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '');
    // What a scrolling ancestor clips does not widen the page, except an
    // absolutely positioned element whose containing block lies outside it.
    const clipped = (el) => {
      if (getComputedStyle(el).position === 'absolute') return false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        if (getComputedStyle(p).overflowX !== 'visible') return true;
      }
      return false;
    };
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > innerWidth + 0.5 && !clipped(el));
    out.offenders = wide.filter((el) => !wide.includes(el.parentElement)).slice(0, 5)
      .map((el) => `${name(el.parentElement)} > ${name(el)} right=${Math.round(el.getBoundingClientRect().right)}`);
    return out;
  });
}

export async function screenshot(page, artifacts, name, fullPage = true) {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage, animations: 'disabled' });
  return file;
}

// Records history requests made by the page, single or batched
// (/api/v1/metrics/history/batch): {time, url, params, metrics} in order,
// `metrics` holding every selector the request asked for.
export function recordHistoryRequests(page) {
  const seen = [];
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (u.pathname === '/api/v1/metrics/history' || u.pathname === '/api/v1/metrics/history/batch') {
      seen.push({ time: Date.now(), params: Object.fromEntries(u.searchParams),
                  metrics: u.searchParams.getAll('metric'), url: req.url() });
    }
  });
  return seen;
}
