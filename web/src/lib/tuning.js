// Auto-tuning as last fetched: the tunables applications declared, the rules with the loop's
// state, and the audit log (newest first). The Tuning view polls all three while it is shown.
import { createStore } from './store.js';
import { getJSON } from './api.js';

export const HISTORY_LIMIT = 200;

// {tunables: [Tunable], state: State, rules: [Rule], log: [Record], at: ms} or null before the
// first answer; `error` holds the message of a failed poll (the last good answer stays shown).
export const tuning = createStore(null);
export const tuningError = createStore('');

export async function refreshTuning() {
  try {
    const [t, r, h] = await Promise.all([
      getJSON('/api/v1/tunables'),
      getJSON('/api/v1/tuning/rules'),
      getJSON(`/api/v1/tuning/history?limit=${HISTORY_LIMIT}`),
    ]);
    tuning.set({
      tunables: Array.isArray(t?.data) ? t.data : [],
      state: r?.data?.state || null,
      rules: Array.isArray(r?.data?.rules) ? r.data.rules : [],
      log: Array.isArray(h?.data) ? h.data : [],
      at: Date.now(),
    });
    tuningError.set('');
  } catch (err) {
    // Shown in the view (and not thrown on, so a perfwatch without the routes is one line).
    tuningError.set(err.message);
  }
}

// A time field as milliseconds: RFC 3339 text, or a number of ms (or seconds when small).
export function timeMs(v) {
  if (v == null || v === '' || v === 0) return null;
  if (typeof v === 'number') return v > 1e11 ? v : v * 1000;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}

// A duration field as milliseconds: a number of seconds (as the alert rules' "duration"), or
// text such as "10s"/"5m"/"1h30m".
const UNIT_MS = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 };
export function durationMs(v) {
  if (v == null || v === '') return null;
  if (typeof v === 'number') return v * 1000;
  let total = 0;
  let matched = '';
  for (const m of String(v).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    matched += m[0];
  }
  return matched && matched === String(v).replace(/\s+/g, '') ? total : null;
}

// "app/name" of a tunable or of a record's target.
export const tunableKey = (app, name) => `${app}/${name}`;
