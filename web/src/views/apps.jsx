// Applications' derived figures (app_* series, one per app) and component timings. Only what
// exists is shown; with nothing sent yet, how to send it.
import { useState } from 'preact/hooks';
import { useStore } from '../lib/store.js';
import { metricNames } from '../lib/live.js';
import { useTicks, usePoll, valueOf } from '../lib/hooks.js';
import { getJSON } from '../lib/api.js';
import { fmt } from '../lib/format.js';
import { ChartGrid } from '../charts/chart.jsx';
import { APPS, available } from '../charts/defs.js';
import { Panel, Bar, Empty, Head } from '../components/bits.jsx';

const collator = new Intl.Collator(undefined, { numeric: true });
const APP_METRICS = [
  'app_requests_per_second', 'app_response_time_avg_seconds', 'app_response_time_p95_seconds',
  'app_error_rate_percent', 'app_cache_hit_rate_percent', 'app_cache_size',
  'app_throughput_mb_per_second',
];

function appsIn(tick) {
  const apps = new Set();
  for (const m of APP_METRICS) for (const s of tick?.get(m) || []) apps.add(s.labels.app ?? '');
  return [...apps].sort(collator.compare);
}

function AppsTable() {
  const { latest: t } = useTicks();
  const apps = appsIn(t);
  const v = (metric, app) => valueOf(t, metric, { app });
  return (
    <div class="table-wrap">
      <table id="apps-table">
        <Head
          cols={[
            'App', 'Requests:num', 'Avg:num opt', 'p95:num', 'Errors:num',
            'Cache:num|Cache hit rate', 'Cache size:num opt', 'Throughput:num opt',
          ]}
        />
        <tbody>
          {apps.map((app) => {
            const err = v('app_error_rate_percent', app);
            const hit = v('app_cache_hit_rate_percent', app);
            return (
              <tr key={app} data-key={app}>
                <td class="app-name name">{app}</td>
                <td class="num">{fmt('persec', v('app_requests_per_second', app))}</td>
                <td class="num opt">{fmt('seconds', v('app_response_time_avg_seconds', app))}</td>
                <td class="num">{fmt('seconds', v('app_response_time_p95_seconds', app))}</td>
                <td class={err > 5 ? 'num bad' : 'num'}>{fmt('percent', err)}</td>
                <td class={hit != null && hit < 60 ? 'num bad' : 'num'}>{fmt('percent', hit)}</td>
                <td class="num opt">{fmt('count', v('app_cache_size', app))}</td>
                <td class="num opt">{fmt('MBps', v('app_throughput_mb_per_second', app))}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function ComponentsTable({ list }) {
  const rows = [...list].sort((a, b) => (b.total_ms || 0) - (a.total_ms || 0));
  return (
    <div class="table-wrap">
      <table id="components-table">
        <Head
          cols={[
            'Component', 'App:opt', 'Count:num opt', 'Mean:num', 'p95:num', 'p99:num opt',
            'Max:num opt', 'Share:|Share of the app\'s timed total',
          ]}
        />
        <tbody>
          {rows.map((c) => (
            <tr key={`${c.app}/${c.name}`} data-key={`${c.app}/${c.name}`}>
              <td class="component-name name">{c.name}</td>
              <td class="opt muted">{c.app}</td>
              <td class="num opt">{fmt('count', c.count)}</td>
              <td class="num">{fmt('ms', c.mean_ms)}</td>
              <td class="num">{fmt('ms', c.p95_ms)}</td>
              <td class="num opt">{fmt('ms', c.p99_ms)}</td>
              <td class="num opt">{fmt('ms', c.max_ms)}</td>
              <td class="use">
                <Bar pct={c.share_percent} share />
                <span class="pct">{fmt('percent', c.share_percent)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const PUSH_BODY = JSON.stringify([{
  name: 'request_milliseconds',
  type: 'summary',
  values: [12, 30],
  labels: { app: 'shop', status: '200' },
}]);

function HowToSend() {
  const origin = location.origin;
  return (
    <Empty id="apps-empty">
      <h2>No application metrics yet</h2>
      <p>
        Applications report to perfwatch by StatsD over UDP (port 8125 unless
        {' '}<code>--statsd-listen</code> says otherwise), by HTTP push, by OTLP/HTTP, or are
        scraped. A request timer named <code>request</code> or <code>APP.request</code> gives
        response time, requests/s and error rate; <code>APP.cache.hits</code>/<code>misses</code>
        {' '}the cache hit rate; <code>APP.bytes</code> the throughput;
        {' '}<code>component.duration</code> with a <code>component</code> tag the component
        timings.
      </p>
      <p>From a shell, with StatsD:</p>
      <pre>{"printf 'shop.request:42|ms|#status:200\\n' | nc -u -w0 127.0.0.1 8125"}</pre>
      <p>or by HTTP push:</p>
      <pre>{`curl -s -H 'Content-Type: application/json' \\
  -d '${PUSH_BODY}' \\
  ${origin}/api/v1/push`}</pre>
      <p class="muted">
        The charts appear here with the first values (docs/METRICS.md, "Application metrics").
      </p>
    </Empty>
  );
}

export function Apps() {
  const names = useStore(metricNames);
  const [components, setComponents] = useState(null);
  usePoll(async () => {
    const body = await getJSON('/api/v1/components');
    setComponents(body.components || []);
  }, 5000);
  const defs = APPS.filter((d) => names.size && available(d, names));
  const hasApps = defs.length > 0;
  const hasComponents = components && components.length > 0;
  if (!hasApps && !hasComponents) return names.size || components ? <HowToSend /> : null;
  return (
    <>
      {hasApps && <ChartGrid defs={defs} label="Application charts" />}
      <div class="panels">
        {hasApps && (
          <Panel title="Applications" id="apps" wide note="over the last minute">
            <AppsTable />
          </Panel>
        )}
        {hasComponents && (
          <Panel title="Components" id="components" wide note="since perfwatch started">
            <ComponentsTable list={components} />
          </Panel>
        )}
      </div>
    </>
  );
}
