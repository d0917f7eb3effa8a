// Hooks shared by the views: the latest tick at a bounded re-render rate, and polling that runs
// only while its component is mounted and the tab is visible.
import { useEffect, useState } from 'preact/hooks';
import { onTick, ticks } from './live.js';

// {latest, previous} ticks, re-rendering the caller at most every `everyMs` (tables do not need
// to move at the tick rate; charts do and are drawn outside Preact).
export function useTicks(everyMs = 2000) {
  const [state, setState] = useState({ latest: ticks.latest, previous: ticks.previous });
  useEffect(() => {
    let last = 0;
    let timer = 0;
    let complete = false; // the caller has rendered a tick and its predecessor (for rates)
    const update = () => {
      timer = 0;
      last = performance.now();
      complete = !!ticks.previous;
      setState({ latest: ticks.latest, previous: ticks.previous });
    };
    const off = onTick(() => {
      if (timer || document.hidden) return;
      // The first tick (and the second, which gives rates) is shown at once.
      const wait = complete ? Math.max(0, last + everyMs - performance.now()) : 0;
      timer = setTimeout(update, wait);
    });
    update();
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [everyMs]);
  return state;
}

// Calls fn now and every `everyMs` while mounted; skipped while the tab is hidden, and run at
// once when it shows again.
export function usePoll(fn, everyMs, deps = []) {
  useEffect(() => {
    let alive = true;
    let timer = 0;
    let running = false;
    const run = async () => {
      if (running) return;
      clearTimeout(timer);
      running = true;
      if (!document.hidden) {
        try {
          await fn();
        } catch (err) {
          if (alive) console.warn(`perfwatch: ${err.message}`);
        }
      }
      running = false;
      if (alive) timer = setTimeout(run, everyMs);
    };
    const onVisible = () => {
      if (!document.hidden) run();
    };
    document.addEventListener('visibilitychange', onVisible);
    run();
    return () => {
      alive = false;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, deps);
}

// The value of a series in a tick, or null.
export function valueOf(tick, metric, where = {}) {
  const list = tick?.get(metric);
  if (!list) return null;
  outer: for (const s of list) {
    for (const k in where) if ((s.labels[k] ?? '') !== where[k]) continue outer;
    return s.value;
  }
  return null;
}

// Per-second rate of a counter between the previous and the latest tick (reset-aware).
export function rateOf(latest, previous, metric, where) {
  const now = valueOf(latest, metric, where);
  const before = valueOf(previous, metric, where);
  if (now == null || before == null || !previous || latest.t <= previous.t) return null;
  return (now >= before ? now - before : now) / ((latest.t - previous.t) / 1000);
}
