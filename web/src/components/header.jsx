// The header on every view: product, navigation with the firing-alert count, range picker,
// connection state, theme toggle, and the status class with its reasons.
import { useStore } from '../lib/store.js';
import { conn, status } from '../lib/live.js';
import { alerts, firingCount, refreshAlerts } from '../lib/alerts.js';
import { usePoll } from '../lib/hooks.js';
import { theme, toggleTheme } from '../lib/theme.js';
import { VIEWS, href, resolveRange } from '../lib/route.js';
import { localTime } from '../lib/format.js';
import { RangePicker } from './range-picker.jsx';

const VIEW_LABELS = {
  overview: 'Overview', system: 'System', apps: 'Apps', alerts: 'Alerts', tuning: 'Tuning',
  analysis: 'Analysis',
};

function Logo() {
  return (
    <svg class="logo" viewBox="0 0 32 32" aria-hidden="true">
      <rect width="32" height="32" rx="7" />
      <path d="M4 19h6l3-9 5 14 3-8 2 3h5" />
    </svg>
  );
}

function AlertCount() {
  const list = useStore(alerts);
  const n = firingCount(list);
  return (
    <span id="alert-count" class={n ? 'count hot' : 'count'} title={`${n} firing`}>{n}</span>
  );
}

function Nav({ view, range }) {
  // The Alerts view polls faster on its own; the header keeps the count fresh elsewhere.
  usePoll(() => (view === 'alerts' ? null : refreshAlerts()), 10000, [view]);
  return (
    <nav aria-label="Views">
      {VIEWS.map((v) => (
        <a key={v} href={href(v, range)} data-view={v}
          aria-current={v === view ? 'page' : undefined}>
          {VIEW_LABELS[v]}
          {v === 'alerts' && <AlertCount />}
        </a>
      ))}
    </nav>
  );
}

const CONN_TITLES = {
  live: 'Receiving a tick every collection interval over /ws',
  connecting: 'Connecting to perfwatch…',
  reconnecting: 'Connection lost; reconnecting…',
  history: 'Showing stored history; charts are not moving',
};

function ConnState({ range }) {
  const c = useStore(conn);
  const state = range.kind === 'live' ? c : 'history';
  let title = CONN_TITLES[state];
  if (state === 'history') {
    const [from, to] = resolveRange(range);
    title += ` (${localTime(from)} to ${localTime(to)})`;
  }
  return (
    <span id="conn-state" class="conn" data-state={state} title={title} role="status">{state}</span>
  );
}

const SUN_RAYS = 'M12 2v2.5M12 19.5V22M2 12h2.5M19.5 12H22M4.9 4.9l1.8 1.8M17.3 17.3l1.8 1.8'
  + 'M4.9 19.1l1.8-1.8M17.3 6.7l1.8-1.8';
const MOON = 'M20.5 14.5A8.5 8.5 0 0 1 9.5 3.5a8.5 8.5 0 1 0 11 11z';

function ThemeToggle() {
  const t = useStore(theme);
  const other = t === 'dark' ? 'light' : 'dark';
  return (
    <button id="theme-toggle" type="button" class="icon" onClick={toggleTheme}
      aria-label={`Switch to ${other} theme`} title={`Switch to ${other} theme`}>
      {t === 'dark' ? (
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <circle cx="12" cy="12" r="4.5" />
          <path d={SUN_RAYS} />
        </svg>
      ) : (
        <svg viewBox="0 0 24 24" aria-hidden="true"><path d={MOON} /></svg>
      )}
    </button>
  );
}

function StatusStrip() {
  const s = useStore(status);
  const cls = s?.status || 'unknown';
  const reasons = s?.reasons || [];
  return (
    <div class="status" data-class={cls}>
      <span id="status-class" class="badge" data-class={cls}>{s ? cls : '…'}</span>
      <span class="score" title="Health score: 100 is best; each class is a 20-point band">
        score <b id="status-score">{s ? Math.round(s.score) : '–'}</b>
      </span>
      <ul id="status-reasons" aria-label="Why">
        {reasons.map((r, i) => <li key={i}>{r.text}</li>)}
      </ul>
      {s && !reasons.length && (
        <span class="muted calm">
          every metric within its {cls === 'Excellent' ? 'best' : cls} bounds
        </span>
      )}
    </div>
  );
}

export function Header({ view, range }) {
  return (
    <header class="top">
      <div class="bar">
        <a class="brand" href={href('overview', range)} aria-label="perfwatch: overview">
          <Logo /><span>perfwatch</span>
        </a>
        <Nav view={view} range={range} />
        <div class="tools">
          <RangePicker range={range} />
          <ConnState range={range} />
          <ThemeToggle />
        </div>
      </div>
      <StatusStrip />
    </header>
  );
}
