// The URL hash is the single source of truth for the view and the time range, so a reload or a
// shared link shows the same thing: #/system?range=6h or #/overview?from=MS&to=MS.
import { createStore } from './store.js';

export const VIEWS = ['overview', 'system', 'apps', 'alerts', 'tuning', 'analysis'];
export const PRESETS = {
  '1h': 3600e3, '6h': 6 * 3600e3, '24h': 24 * 3600e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3,
};
export const LIVE_WINDOW_MS = 10 * 60e3;

// range: {kind: 'live'} | {kind: '1h'|…|'30d'} | {kind: 'custom', from, to}
export function parseHash(hash) {
  const m = /^#?\/?([a-z]*)(?:\?(.*))?$/.exec(hash || '') || [];
  const view = VIEWS.includes(m[1]) ? m[1] : 'overview';
  const q = new URLSearchParams(m[2] || '');
  const from = Number(q.get('from'));
  const to = Number(q.get('to'));
  let range = { kind: 'live' };
  if (q.has('from') && q.has('to') && Number.isFinite(from) && Number.isFinite(to) && from < to) {
    range = { kind: 'custom', from: Math.round(from), to: Math.round(to) };
  } else if (PRESETS[q.get('range')]) {
    range = { kind: q.get('range') };
  }
  return { view, range, reload: 0 };
}

export function rangeQuery(range) {
  if (range.kind === 'custom') return `?from=${range.from}&to=${range.to}`;
  return range.kind === 'live' ? '' : `?range=${range.kind}`;
}

export function href(view, range) {
  return `#/${view}${rangeQuery(range)}`;
}

export function sameRange(a, b) {
  return a.kind === b.kind && a.from === b.from && a.to === b.to;
}

export const route = createStore(parseHash(location.hash));

// The performance.now() of the user's action that set the current range; the chart hub measures
// a range load from it (window.__perfwatch.lastRangeLoad.totalMs).
export let rangeActionAt = performance.now();
let actionPending = false;

window.addEventListener('hashchange', () => {
  const next = parseHash(location.hash);
  const cur = route.get();
  // A hash typed or changed by back/forward is an action of its own; one set by go() was
  // stamped there, before the browser's hashchange delay.
  if (!actionPending) rangeActionAt = performance.now();
  actionPending = false;
  if (next.view !== cur.view || !sameRange(next.range, cur.range)) {
    route.set({ ...next, reload: cur.reload });
  }
});

export function go(view, range = route.get().range) {
  rangeActionAt = performance.now();
  actionPending = true;
  const target = href(view, range);
  if (location.hash === target) {
    // Pressing the current range again reloads it (a relative range ends at "now" again).
    actionPending = false;
    const cur = route.get();
    route.set({ view, range: { ...range }, reload: cur.reload + 1 });
  } else {
    location.hash = target;
  }
}

export function setRange(range) {
  go(route.get().view, range);
}

// [from, to] in ms for a non-live range; `now` fixes the end of relative ranges.
export function resolveRange(range, now = Date.now()) {
  if (range.kind === 'custom') return [range.from, range.to];
  return [now - PRESETS[range.kind], now];
}
