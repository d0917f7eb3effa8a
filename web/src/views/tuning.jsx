// Closed-loop auto-tuning: the loop's state, the tunables applications declared (with their
// history), the rules, and the audit log of every decision: what was changed, why, and whether
// it helped. Names, descriptions and reasons come from applications and are shown as text.
import { useState } from 'preact/hooks';
import { useStore } from '../lib/store.js';
import { usePoll } from '../lib/hooks.js';
import {
  tuning, tuningError, refreshTuning, timeMs, durationMs, tunableKey, HISTORY_LIMIT,
} from '../lib/tuning.js';
import { ago, duration, localTime } from '../lib/format.js';
import { Panel, Empty, Head } from '../components/bits.jsx';

const isBool = (t) => t?.kind === 'bool';

function num(v) {
  if (v == null || Number.isNaN(v)) return '–';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (Number.isInteger(v)) return String(v);
  return Number(v.toPrecision(Math.abs(v) >= 1 ? 6 : 4)).toString();
}

// A tunable's value: on/off for a bool one.
function valueText(t, v) {
  if (v == null) return '–';
  if (isBool(t) || typeof v === 'boolean') return v === true || v === 1 ? 'on' : 'off';
  return num(v);
}

function rangeText(t) {
  if (isBool(t)) return 'on/off';
  if (t.allowed?.length) return `one of ${t.allowed.map(num).join(', ')}`;
  let r;
  if (t.min != null && t.max != null) r = `${num(t.min)}–${num(t.max)}`;
  else if (t.min != null) r = `≥ ${num(t.min)}`;
  else if (t.max != null) r = `≤ ${num(t.max)}`;
  else r = 'any';
  return t.step ? `${r} (step ${num(t.step)})` : r;
}

// A label shown before a figure only when a table is laid out as cards (narrow screens).
const Ph = ({ children }) => <span class="ph">{children} </span>;

const words = (s) => String(s || '').replace(/_/g, ' ');

function Outcome({ value }) {
  const v = value || 'pending';
  return <span class={`badge-o outcome outcome-${v}`}>{words(v)}</span>;
}

function Verdict({ value }) {
  const v = value || 'n/a';
  return <span class={`badge-o verdict verdict-${v.replace('/', '')}`}>{words(v)}</span>;
}

function When({ ms }) {
  if (ms == null) return '–';
  return <span title={localTime(ms)}>{ago(ms)}</span>;
}

// --- State -------------------------------------------------------------------------------

function mode(s) {
  if (!s.enabled) return 'disabled';
  return s.dry_run ? 'dry_run' : 'enabled';
}

const MODE_TEXT = {
  enabled: 'enabled', disabled: 'disabled (--no-auto-tuning)', dry_run: 'dry run (--dry-run-tuning)',
};

function StateLine({ s }) {
  const m = mode(s);
  const since = timeMs(s.emergency_since);
  const last = timeMs(s.last_evaluation);
  return (
    <p id="tuning-state" class="tuning-state" data-mode={m} data-emergency={String(!!s.emergency)}>
      <span class="item">
        Auto-tuning <span class={`badge-o mode mode-${m}`}>{MODE_TEXT[m]}</span>
      </span>{' '}
      {s.enabled && (
        <span class={s.emergency ? 'item emergency-on' : 'item'}>
          {s.emergency ? (
            <>
              <span class="badge-o emergency">emergency mode</span>
              {since != null && (
                <> since {localTime(since)} ({duration(Math.max(0, Date.now() - since))})</>
              )}
            </>
          ) : 'normal mode'}
        </span>
      )}{' '}
      {s.enabled && (
        <span class="item" title="Consecutive evaluations with status Poor or Critical; emergency mode starts at the second figure">
          poor evaluations in a row: <b class="poor-count">{s.consecutive_poor ?? 0}</b> of
          {' '}<span class="poor-of">{s.emergency_after ?? '–'}</span>
        </span>
      )}{' '}
      {s.enabled && last != null && (
        <span class="item muted">last evaluation <When ms={last} /></span>
      )}
    </p>
  );
}

function OffNote({ s }) {
  if (!s.enabled) {
    return (
      <div class="note-box" id="tuning-off">
        <p>
          Auto-tuning is off: this perfwatch was started with <code>--no-auto-tuning</code> (or
          {' '}<code>AUTO_TUNING_ENABLED=false</code>, <code>tuning.enabled: false</code>). No rule
          is evaluated and no tunable is changed; applications can still declare tunables.
        </p>
        <p>
          To turn it on, start perfwatch without that flag (enabled is the default). Add
          {' '}<code>--dry-run-tuning</code> first to see in the log below what the rules would do
          without changing anything.
        </p>
      </div>
    );
  }
  if (s.dry_run) {
    return (
      <div class="note-box" id="tuning-dry-run">
        Dry run: decisions are recorded below as <Outcome value="dry_run" /> and nothing is sent
        to the applications. Start perfwatch without <code>--dry-run-tuning</code> to apply them.
      </div>
    );
  }
  return null;
}

// --- Tunables ----------------------------------------------------------------------------

// The newest change that is not a (re-)registration; history is oldest first.
function lastChange(t) {
  const h = t.history || [];
  for (let i = h.length - 1; i >= 0; i--) if (h[i].outcome !== 'registered') return h[i];
  return null;
}

function Change({ t, from, to }) {
  return (
    <span class="change">
      {valueText(t, from)}<span class="arrow"> → </span>{valueText(t, to)}
    </span>
  );
}

function LastChange({ t }) {
  const c = lastChange(t);
  if (!c) {
    const reg = timeMs(t.registered);
    return (
      <span class="muted small">
        no change yet{reg != null && <>; registered <When ms={reg} /></>}
      </span>
    );
  }
  return (
    <span class="last-change" title={[c.rule, c.reason].filter(Boolean).join(': ')}>
      <Outcome value={c.outcome} /> <Change t={t} from={c.previous} to={c.value} />
      {' '}<span class="muted small"><When ms={timeMs(c.time)} /></span>
    </span>
  );
}

const HISTORY_SHOWN = 20;

function TunableHistory({ t }) {
  const list = [...(t.history || [])].reverse().slice(0, HISTORY_SHOWN);
  if (!list.length) return <p class="muted small">No history.</p>;
  return (
    <ol class="tunable-history">
      {list.map((c, i) => (
        <li key={`${c.id}-${i}`} data-outcome={c.outcome}>
          <span class="when muted"><When ms={timeMs(c.time)} /></span>
          <Outcome value={c.outcome} />
          <Change t={t} from={c.previous} to={c.value} />
          {c.rule && <span class="name">{c.rule}</span>}
          {c.reason && <span class="muted reason">{c.reason}</span>}
        </li>
      ))}
    </ol>
  );
}

const TUNABLE_COLS = 7;

function TunableRows({ t, open, toggle }) {
  const key = tunableKey(t.app, t.name);
  const seen = timeMs(t.seen);
  const n = (t.history || []).length;
  return (
    <>
      <tr data-tunable={key} data-kind={t.kind}>
        <td class="tunable-app name" title={seen != null ? `last seen ${localTime(seen)}` : undefined}>
          {t.app}
        </td>
        <td class="full">
          <div class="tunable-name name">{t.name}</div>
          {t.description && <div class="tunable-desc muted small">{t.description}</div>}
        </td>
        <td class="num">
          <Ph>value</Ph><span class="tunable-value">{valueText(t, t.value)}</span>
        </td>
        <td class="nowrap"><Ph>range</Ph><span class="tunable-range">{rangeText(t)}</span></td>
        <td class="opt muted">{t.unit || '–'}</td>
        <td class="tunable-last full">
          <LastChange t={t} />
          {!t.webhook && (!t.hooks || !t.hooks.length) && (
            <div class="muted small" title="Changes are delivered to a webhook (or the C++ client's channel)">
              no webhook
            </div>
          )}
        </td>
        <td class="acts">
          <button type="button" class="tunable-history-toggle" aria-expanded={String(open)}
            onClick={() => toggle(key)} aria-label={`History of ${key}`} disabled={!n}>
            {open ? 'Hide' : `History (${n})`}
          </button>
        </td>
      </tr>
      {open && (
        <tr class="history-row" data-history-of={key}>
          <td colSpan={TUNABLE_COLS}><TunableHistory t={t} /></td>
        </tr>
      )}
    </>
  );
}

function Tunables({ list }) {
  const [open, setOpen] = useState(() => new Set());
  const toggle = (key) => {
    const next = new Set(open);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    setOpen(next);
  };
  if (!list.length) return <NoTunables />;
  return (
    <div class="table-wrap">
      <table id="tunables">
        <Head
          cols={['App', 'Tunable', 'Value:num', 'Range', 'Unit:opt', 'Last change', '']}
        />
        <tbody>
          {list.map((t) => {
            const key = tunableKey(t.app, t.name);
            return <TunableRows key={key} t={t} open={open.has(key)} toggle={toggle} />;
          })}
        </tbody>
      </table>
    </div>
  );
}

const REGISTER_BODY = JSON.stringify({
  app: 'shop', name: 'cache.size', value: 1000, min: 100, max: 5000,
  webhook: 'http://127.0.0.1:9096/tune',
});

function NoTunables() {
  return (
    <Empty id="tunables-empty">
      <div class="howto">
        <p>
          No application has declared a tunable yet. An application declares its knobs (current
          value, limits, where to send changes) with the C++ client's <code>perfwatch::Tuner</code>
          {' '}or over HTTP:
        </p>
        <pre>{`curl -s -H 'Content-Type: application/json' \\
  -d '${REGISTER_BODY}' \\
  ${location.origin}/api/v1/tunables`}</pre>
        <p class="muted">
          A change is then POSTed to the webhook as
          {' '}<code>{'{"app","name","value","previous","rule","reason"}'}</code>; a 2xx answer
          confirms it (docs/TUNING.md, docs/API.md).
        </p>
      </div>
    </Empty>
  );
}

// --- Rules -------------------------------------------------------------------------------

function durText(v) {
  const ms = durationMs(v);
  if (ms == null) return v == null ? '–' : String(v);
  return ms < 1000 && ms > 0 ? `${ms}ms` : duration(ms);
}

function RuleRow({ r, now }) {
  const until = timeMs(r.cooldown_until);
  const left = until != null && until > now ? until - now : 0;
  const pendingSince = timeMs(r.pending_since);
  const state = r.state || 'inactive';
  return (
    <tr data-rule={r.name} data-state={state}>
      <td class="full">
        <div class="rule-name name">{r.name}</div>
        {r.health === 'err' && r.last_error && <div class="error small">{r.last_error}</div>}
      </td>
      <td class="rule-expr"><code>{r.expr}</code></td>
      <td class="num"><Ph>for</Ph><span class="rule-for">{durText(r.for)}</span></td>
      <td class="rule-actions full">
        {(r.actions || []).map((a, i) => <div key={i}><code>{a}</code></div>)}
      </td>
      <td>
        <span class={`badge-o rule-state state-${state}`}>{state}</span>
        {state === 'pending' && pendingSince != null && (
          <div class="muted small">since <When ms={pendingSince} /></div>
        )}
      </td>
      <td class="num" title={r.cooldown != null ? `cooldown ${durText(r.cooldown)}` : 'the default cooldown'}>
        <Ph>cooldown left</Ph><span class="rule-cooldown-left">{left ? duration(left) : '–'}</span>
      </td>
      <td class="num" title="Decisions in the last hour, of the hourly cap">
        <Ph>last hour</Ph>
        <span class="rule-decisions">
          {r.decisions_last_hour ?? 0}
          {r.max_actions_per_hour != null && ` / ${r.max_actions_per_hour}`}
        </span>
      </td>
      <td class="rule-source">
        {r.builtin ? <span class="badge-o builtin">built-in</span> : <span class="muted">{r.source}</span>}
      </td>
    </tr>
  );
}

function Rules({ list }) {
  const now = Date.now();
  return (
    <div class="table-wrap">
      <table id="tuning-rules">
        <Head
          cols={[
            'Rule', 'Trigger', 'For:num', 'Actions', 'State',
            'Cooldown:num|Cooldown left before the rule may act again',
            'Last hour:num|Decisions in the last hour / hourly cap', 'Source:opt',
          ]}
        />
        <tbody>{list.map((r) => <RuleRow key={r.name} r={r} now={now} />)}</tbody>
      </table>
      {!list.length && (
        <Empty id="rules-empty">
          No tuning rules: the built-in rules are off (<code>tuning.builtin_rules: false</code>)
          and the config defines none. Add rules under <code>tuning.rules</code> (docs/TUNING.md).
        </Empty>
      )}
    </div>
  );
}

// --- Audit log ---------------------------------------------------------------------------

function Target({ r }) {
  if (r.action === 'hook') {
    return <>{r.app && <span class="name">{r.app}</span>} <span class="muted">hook</span> {r.tunable}</>;
  }
  if (!r.tunable) return <span class="muted">–</span>;
  return <span class="name">{r.app ? `${r.app}/${r.tunable}` : r.tunable}</span>;
}

function Metric({ r }) {
  if (r.metric_before == null && r.metric_after == null) return null;
  return (
    <div class="tl-metric muted small" title={r.metric || undefined}>
      {num(r.metric_before)}<span class="arrow"> → </span>
      {r.metric_after == null && r.verdict === 'pending' ? '…' : num(r.metric_after)}
    </div>
  );
}

function LogRow({ r, byKey }) {
  const t = byKey.get(tunableKey(r.app, r.tunable));
  const ms = timeMs(r.time);
  const hasChange = r.before != null || r.after != null;
  const cls = [r.emergency && 'emergency', r.action === 'rollback' && 'rollback']
    .filter(Boolean).join(' ');
  return (
    <tr data-record-id={r.id} data-outcome={r.outcome} data-verdict={r.verdict}
      data-emergency={r.emergency ? 'true' : undefined} class={cls || undefined}>
      <td class="when">
        <When ms={ms} />
        <div class="muted small">#{r.id}</div>
      </td>
      <td class="tl-decision full">
        <div>
          <span class="tl-rule name">{r.rule}</span>
          {r.emergency && <> <span class="badge-o emergency">emergency</span></>}
        </div>
        <div class="tl-action"><code>{r.description || r.action}</code></div>
        {r.reason && <div class="tl-reason muted small">{r.reason}</div>}
      </td>
      <td class={r.tunable ? 'tl-target' : 'tl-target blank'}><Target r={r} /></td>
      <td class={hasChange ? 'tl-change nowrap' : 'tl-change blank'}>
        {hasChange ? <Change t={t} from={r.before} to={r.after} /> : '–'}
      </td>
      <td>
        <Outcome value={r.outcome} />
        {r.error && <div class="tl-error error small">{r.error}</div>}
      </td>
      <td>
        <Ph>effect</Ph><Verdict value={r.verdict} />
        <Metric r={r} />
      </td>
    </tr>
  );
}

const LOG_SHOWN = 50;

function Log({ list, tunables, enabled }) {
  const [all, setAll] = useState(false);
  const byKey = new Map(tunables.map((t) => [tunableKey(t.app, t.name), t]));
  const rows = all ? list : list.slice(0, LOG_SHOWN);
  return (
    <div class="table-wrap">
      <table id="tuning-log">
        <Head
          cols={[
            'When', 'Decision', 'Target', 'Change', 'Outcome',
            'Verdict|Effect on the rule\'s metric: its mean over the window before → after',
          ]}
        />
        <tbody>{rows.map((r) => <LogRow key={r.id} r={r} byKey={byKey} />)}</tbody>
      </table>
      {!list.length && (
        <Empty id="tuning-log-empty">
          {enabled
            ? 'No decision yet. A rule acts when its trigger has held for its "for"; each decision, '
              + 'its outcome and its effect are listed here.'
            : 'No decision recorded: auto-tuning is off.'}
        </Empty>
      )}
      {list.length > LOG_SHOWN && (
        <p class="more">
          <button type="button" onClick={() => setAll(!all)} aria-expanded={String(all)}>
            {all ? `Show the latest ${LOG_SHOWN}` : `Show all ${list.length}`}
          </button>
        </p>
      )}
    </div>
  );
}

// --- View --------------------------------------------------------------------------------

export function Tuning() {
  const d = useStore(tuning);
  const err = useStore(tuningError);
  usePoll(refreshTuning, 5000);
  if (!d) {
    return err
      ? <p class="error loading" id="tuning-error">Could not load the tuning state: {err}</p>
      : <p class="muted loading">Loading…</p>;
  }
  const s = d.state || { enabled: false };
  return (
    <div class="panels">
      <Panel title="Auto-tuning" id="tuning-summary" wide>
        <StateLine s={s} />
        {err && <p class="error small" id="tuning-error">Last refresh failed: {err}</p>}
        <OffNote s={s} />
      </Panel>
      <Panel title="Tunables" id="tunables-panel" wide note="declared by applications">
        <Tunables list={d.tunables} />
      </Panel>
      <Panel title="Rules" id="rules-panel" wide>
        <Rules list={d.rules} />
      </Panel>
      <Panel title="Decisions" id="log-panel" wide
        note={`what was changed, why, and whether it helped; latest ${HISTORY_LIMIT}`}>
        <Log list={d.log} tunables={d.tunables} enabled={!!s.enabled} />
      </Panel>
    </div>
  );
}
