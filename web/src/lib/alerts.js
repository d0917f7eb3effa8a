// Alerts, their history and silences, as last fetched. The header polls the alert list for its
// count; the Alerts view polls all three faster while it is shown.
import { createStore } from './store.js';
import { getJSON, send } from './api.js';

export const alerts = createStore(null); // [{id, labels, annotations, state, …}] or null
export const history = createStore(null);
export const silences = createStore(null);

export async function refreshAlerts() {
  const body = await getJSON('/api/v1/alerts');
  alerts.set(body?.data?.alerts || []);
}

export async function refreshAlertViews() {
  const [h, s] = await Promise.all([
    getJSON('/api/v1/alerts/history?hours=24&limit=100'),
    getJSON('/api/v1/silences'),
    refreshAlerts(),
  ]);
  history.set(h?.data?.history || []);
  silences.set(Array.isArray(s) ? s : []);
}

export function firingCount(list) {
  return (list || []).filter((a) => a.state === 'firing').length;
}

export async function acknowledge(id, by, comment) {
  await send('POST', `/api/v1/alerts/${encodeURIComponent(id)}/acknowledge`, { by, comment });
  await refreshAlertViews();
}

// An Alertmanager v2 silence matching the alert's labels exactly, from now for `minutes`.
export async function silence(alert, minutes, by, comment) {
  const now = Date.now();
  const matchers = Object.entries(alert.labels || {}).map(([name, value]) => ({
    name, value, isRegex: false, isEqual: true,
  }));
  await send('POST', '/api/v1/silences', {
    matchers,
    startsAt: new Date(now).toISOString(),
    endsAt: new Date(now + minutes * 60e3).toISOString(),
    createdBy: by,
    comment,
  });
  await refreshAlertViews();
}

export async function expireSilence(id) {
  await send('DELETE', `/api/v1/silences/${encodeURIComponent(id)}`);
  await refreshAlertViews();
}

const USER_KEY = 'perfwatch.user';

export function rememberedUser() {
  try {
    return localStorage.getItem(USER_KEY) || '';
  } catch {
    return '';
  }
}

export function rememberUser(name) {
  try {
    localStorage.setItem(USER_KEY, name);
  } catch {
    // Not remembered; the dialog asks again.
  }
}
