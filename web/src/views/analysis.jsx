// Bottlenecks of the last 5 minutes with their evidence, what to do about them, and trends.
import { useState } from 'preact/hooks';
import { usePoll } from '../lib/hooks.js';
import { getJSON } from '../lib/api.js';
import { duration, localTime } from '../lib/format.js';
import { Panel, Empty, Labels, Severity, Head } from '../components/bits.jsx';

const PRIORITY = { high: 0, medium: 1, low: 2 };
const ACRONYMS = { cpu: 'CPU', io: 'I/O', fd: 'FD' };

// cpu_bound -> "CPU bound", io_saturation -> "I/O saturation".
function kindText(kind) {
  const words = String(kind).split('_').map((w) => ACRONYMS[w] || w);
  words[0] = words[0].charAt(0).toUpperCase() + words[0].slice(1);
  return words.join(' ');
}

function num(v) {
  if (v == null) return '–';
  return Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString();
}

function Bottlenecks({ list }) {
  return (
    <>
      <ul id="bottlenecks" class="cards">
        {list.map((b, i) => (
          <li key={`${b.kind}-${i}`} data-kind={b.kind}>
            <div class="card-head">
              <Severity value={b.severity} /><span class="kind">{kindText(b.kind)}</span>
            </div>
            <p>{b.summary}</p>
            <ul class="evidence" aria-label="Evidence">
              {(b.evidence || []).map((e, j) => (
                <li key={j}>
                  <code>{e.expr}</code> <Labels labels={e.labels} />
                  <span class="muted">
                    {' = '}<b>{num(e.value)}</b>, threshold {num(e.threshold)},
                    {' '}over {duration(e.window_ms)}
                  </span>
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
      {!list.length && <Empty>No bottleneck in the last 5 minutes.</Empty>}
    </>
  );
}

function Recommendations({ list }) {
  const recs = list.flatMap((b) => (b.recommendations || []).map((r) => ({ ...r, kind: b.kind })));
  recs.sort((a, b) => (PRIORITY[a.priority] ?? 9) - (PRIORITY[b.priority] ?? 9));
  return (
    <>
      <ul id="recommendations" class="recs">
        {recs.map((r, i) => (
          <li key={i}>
            <span class={`prio prio-${r.priority}`}>{r.priority}</span>
            <span class="text">{r.text}</span>
            <span class="muted small">{kindText(r.kind)} · effort {r.effort}</span>
          </li>
        ))}
      </ul>
      {!recs.length && <Empty>Nothing to recommend right now.</Empty>}
    </>
  );
}

function eta(seconds) {
  return seconds == null ? 'not on this trend' : `in ${duration(seconds * 1e3)}`;
}

function Trends({ list, windowMs }) {
  return (
    <div class="table-wrap">
      <table id="trends">
        <Head
          cols={[
            'Metric', 'Now:num', 'Per hour:num', 'Threshold:num opt', 'Reaches it', 'Fit (r²):opt',
          ]}
        />
        <tbody>
          {list.map((t, i) => (
            <tr key={i} data-key={`${t.metric}${JSON.stringify(t.labels)}`}>
              <td>
                <span class="name">{t.metric}</span> <Labels labels={t.labels} />
                <div class="muted small">{t.text}</div>
              </td>
              <td class="num">{num(t.current)}</td>
              <td class="num">{t.slope_per_hour > 0 ? '+' : ''}{num(t.slope_per_hour)}</td>
              <td class="num opt">{num(t.threshold)}</td>
              <td>{eta(t.eta_seconds)}</td>
              <td class="opt">{num(t.r2)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!list.length && (
        <Empty>
          No metric trends towards a limit over the last {duration(windowMs || 7200e3)}.
        </Empty>
      )}
    </div>
  );
}

export function Analysis() {
  const [report, setReport] = useState(null);
  usePoll(async () => setReport(await getJSON('/api/v1/analysis')), 10000);
  if (!report) return <p class="loading muted">Analysing…</p>;
  return (
    <div class="panels">
      <Panel title="Bottlenecks" id="bn" wide note={`as of ${localTime(report.generated_at)}`}>
        <Bottlenecks list={report.bottlenecks || []} />
      </Panel>
      <Panel title="Recommendations" id="rec" wide>
        <Recommendations list={report.bottlenecks || []} />
      </Panel>
      <Panel title="Trends" id="tr" wide>
        <Trends list={report.trends || []} windowMs={report.trend_window_ms} />
      </Panel>
      {(report.notes || []).length > 0 && (
        <Panel title="Notes" id="notes" wide>
          <ul class="notes">{report.notes.map((n, i) => <li key={i}>{n}</li>)}</ul>
        </Panel>
      )}
    </div>
  );
}
