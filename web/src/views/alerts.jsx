// Active alerts with acknowledge and silence, the last day's history, and silences.
import { useState } from 'preact/hooks';
import { useStore } from '../lib/store.js';
import { usePoll } from '../lib/hooks.js';
import { alerts, history, silences, refreshAlertViews, expireSilence } from '../lib/alerts.js';
import { ago, localTime, labelText } from '../lib/format.js';
import { ackTarget, silenceTarget } from '../components/dialogs.jsx';
import { Panel, Empty, Labels, Severity, Head } from '../components/bits.jsx';

const STATE_ORDER = { firing: 0, pending: 1 };
const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 };

function value(v) {
  if (v == null) return '–';
  return Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString();
}

function ActiveRow({ a }) {
  const name = a.labels?.alertname || a.rule;
  const since = Date.parse(a.firedAt || a.activeAt);
  return (
    <tr data-alert-id={a.id} data-state={a.state}>
      <td>
        <div class="alert-name">{name}</div>
        {a.annotations?.summary && <div class="muted small">{a.annotations.summary}</div>}
        <Labels labels={a.labels} skip={['alertname', 'severity']} />
      </td>
      <td><span class={`alert-state state-${a.state}`}>{a.state}</span></td>
      <td class="alert-severity"><Severity value={a.severity || a.labels?.severity} /></td>
      <td class="num">{value(a.value)}</td>
      <td class="opt" title={localTime(since)}>{ago(since)}</td>
      <td class="acts">
        {a.acknowledged && (
          <div class="alert-acked" title={a.ack?.comment || ''}>
            acknowledged by {a.ack?.by || 'someone'}
          </div>
        )}
        {a.silenced && <div class="muted small">silenced</div>}
        <button type="button" class="alert-ack" onClick={() => ackTarget.set(a)}
          aria-label={`Acknowledge ${name}`}>Ack</button>
        <button type="button" class="alert-silence" onClick={() => silenceTarget.set(a)}
          aria-label={`Silence ${name}`}>Silence</button>
      </td>
    </tr>
  );
}

function Active({ list }) {
  const active = (list || []).filter((a) => a.state === 'firing' || a.state === 'pending');
  active.sort((a, b) => (STATE_ORDER[a.state] - STATE_ORDER[b.state])
    || ((SEVERITY_ORDER[a.severity] ?? 9) - (SEVERITY_ORDER[b.severity] ?? 9))
    || String(a.labels?.alertname).localeCompare(String(b.labels?.alertname)));
  return (
    <div class="table-wrap">
      <table id="alerts-active">
        <Head cols={['Alert', 'State', 'Severity', 'Value:num', 'Since:opt', '']} />
        <tbody>{active.map((a) => <ActiveRow key={a.id} a={a} />)}</tbody>
      </table>
      {list && !active.length && <Empty>Nothing is firing or pending. </Empty>}
    </div>
  );
}

function eventClass(e) {
  return e.event === 'transition' ? `event state-${e.to}` : `event event-${e.event}`;
}

function eventText(e) {
  if (e.event === 'transition') return `${e.from} → ${e.to}`;
  return e.event;
}

const RECENT_SHOWN = 25;

function Recent({ list }) {
  const [all, setAll] = useState(false);
  const rows = all ? list || [] : (list || []).slice(0, RECENT_SHOWN);
  return (
    <div class="table-wrap">
      <table id="alerts-recent">
        <Head cols={['When', 'Alert', 'Event', 'Value:num', 'By:opt']} />
        <tbody>
          {rows.map((e, i) => (
            <tr key={`${e.id}-${e.time}-${i}`} data-id={e.id}>
              <td class="when" title={localTime(Date.parse(e.time))}>{ago(Date.parse(e.time))}</td>
              <td>
                <span class="name">{e.labels?.alertname || e.rule}</span>{' '}
                <span class="muted small">{labelText(e.labels, ['alertname'])}</span>
              </td>
              <td><span class={eventClass(e)}>{eventText(e)}</span></td>
              <td class="num">{value(e.value)}</td>
              <td class="opt">{e.by || ''}{e.comment ? ` — ${e.comment}` : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list && !list.length && <Empty>No alert changes in the last 24 hours.</Empty>}
      {list && list.length > RECENT_SHOWN && (
        <p class="more">
          <button type="button" onClick={() => setAll(!all)} aria-expanded={String(all)}>
            {all ? `Show the latest ${RECENT_SHOWN}` : `Show all ${list.length}`}
          </button>
        </p>
      )}
    </div>
  );
}

function matcherText(m) {
  const op = m.isRegex ? (m.isEqual === false ? '!~' : '=~') : (m.isEqual === false ? '!=' : '=');
  return `${m.name}${op}"${m.value}"`;
}

function Silences({ list }) {
  // Expired silences stay listed for a day, so a silence that just ended is still explained.
  const dayAgo = Date.now() - 86400e3;
  const shown = (list || [])
    .filter((s) => s.status?.state !== 'expired' || Date.parse(s.endsAt) > dayAgo);
  return (
    <div class="table-wrap">
      <table id="silences">
        <Head cols={['Matchers', 'State', 'Ends', 'By:opt', '']} />
        <tbody>
          {shown.map((s) => (
            <tr key={s.id} data-key={s.id}>
              <td>
                {(s.matchers || []).map((m, i) => (
                  <code key={i} class="matcher">{matcherText(m)}</code>
                ))}
              </td>
              <td><span class={`state-${s.status?.state}`}>{s.status?.state}</span></td>
              <td title={localTime(Date.parse(s.endsAt))}>{localTime(Date.parse(s.endsAt))}</td>
              <td class="opt">{s.createdBy}{s.comment ? ` — ${s.comment}` : ''}</td>
              <td class="acts">
                {s.status?.state !== 'expired' && (
                  <button type="button" class="silence-expire" aria-label="End this silence now"
                    onClick={() => expireSilence(s.id).catch((e) => console.warn(e.message))}>
                    Expire
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list && !shown.length && <Empty>No silences.</Empty>}
    </div>
  );
}

export function Alerts() {
  const a = useStore(alerts);
  const h = useStore(history);
  const s = useStore(silences);
  usePoll(refreshAlertViews, 5000);
  return (
    <div class="panels">
      <Panel title="Active alerts" id="active" wide><Active list={a} /></Panel>
      <Panel title="Silences" id="silences" wide><Silences list={s} /></Panel>
      <Panel title="Recent changes" id="recent" wide note="last 24 hours">
        <Recent list={h} />
      </Panel>
    </div>
  );
}
