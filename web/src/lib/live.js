// The one WebSocket to /ws: every tick of every metric, plus the status report. Reconnects with
// exponential backoff. Listeners get each tick in order; nothing here touches the DOM.
import { createStore } from './store.js';

export const conn = createStore('connecting'); // connecting | live | reconnecting
export const status = createStore(null); // GET /api/v1/status's object, refreshed by every tick
export const metricNames = createStore(new Set()); // a new Set whenever a new name appears

// Hooks for the browser tests and the performance figures (contract section 2).
export const perf = {
  version: null,
  wsMessages: 0,
  rangeLoads: 0,
  lastRangeLoad: null,
};
window.__perfwatch = perf;

// A tick with its samples indexed by metric name, the shape chart builders read.
export class Tick {
  constructor(time, samples) {
    this.t = time;
    this.samples = samples;
    this.byMetric = new Map();
    for (const s of samples) {
      const list = this.byMetric.get(s.metric);
      if (list) list.push(s);
      else this.byMetric.set(s.metric, [s]);
    }
  }

  get(metric) {
    return this.byMetric.get(metric);
  }
}

const RECENT = 30;
export const ticks = { latest: null, previous: null, recent: [] };
const tickListeners = new Set();
const reconnectListeners = new Set();

export function onTick(fn) {
  tickListeners.add(fn);
  return () => tickListeners.delete(fn);
}

export function onReconnect(fn) {
  reconnectListeners.add(fn);
  return () => reconnectListeners.delete(fn);
}

function statusKey(s) {
  if (!s) return '';
  return `${s.status}|${Math.round(s.score)}|${(s.reasons || []).map((r) => r.text).join('|')}`;
}

export function setStatus(next) {
  if (statusKey(next) !== statusKey(status.get())) status.set(next);
}

// Metric names come from /api/v1/metadata (usually first: the charts can mount before the
// WebSocket's first tick) and from every tick (a metric that appears later).
export function noteNames(list) {
  const names = metricNames.get();
  let grown = null;
  for (const name of list) {
    if (!names.has(name)) (grown ||= new Set(names)).add(name);
  }
  if (grown) metricNames.set(grown);
}

function handleTick(msg) {
  if (ticks.latest && msg.time <= ticks.latest.t) return; // the replay of the latest on reconnect
  const tick = new Tick(msg.time, msg.samples);
  ticks.previous = ticks.latest;
  ticks.latest = tick;
  ticks.recent.push(tick);
  if (ticks.recent.length > RECENT) ticks.recent.shift();
  noteNames(tick.byMetric.keys());
  for (const fn of tickListeners) fn(tick);
}

function handleMessage(event) {
  perf.wsMessages++;
  let msg;
  try {
    msg = JSON.parse(event.data);
  } catch {
    return;
  }
  if (msg.status && typeof msg.status === 'object') setStatus(msg.status);
  if (Array.isArray(msg.samples) && typeof msg.time === 'number') handleTick(msg);
  else if (msg.error) console.warn('perfwatch /ws:', msg.error);
}

let attempt = 0;
let everOpened = false;

export function connect() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${proto}//${location.host}/ws`);
  ws.onopen = () => {
    attempt = 0;
    conn.set('live');
    if (everOpened) for (const fn of reconnectListeners) fn();
    everOpened = true;
  };
  ws.onmessage = handleMessage;
  ws.onclose = () => {
    conn.set(everOpened ? 'reconnecting' : 'connecting');
    // 0.5 s, 1 s, 2 s … 15 s, with jitter so many open pages do not reconnect in step.
    const delay = Math.min(15000, 500 * 2 ** attempt++) * (0.8 + Math.random() * 0.4);
    setTimeout(connect, delay);
  };
}
