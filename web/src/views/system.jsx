// Per-core CPU, filesystems, interfaces, TCP states and watched processes. The tables show the
// latest tick (refreshed every 2 s) whatever range the charts show.
import { useStore } from '../lib/store.js';
import { metricNames } from '../lib/live.js';
import { useTicks, valueOf, rateOf } from '../lib/hooks.js';
import { fmt, duration } from '../lib/format.js';
import { ChartGrid } from '../charts/chart.jsx';
import { SYSTEM, PROCESS_CHARTS, available } from '../charts/defs.js';
import { Panel, Bar, Empty, Path, Head } from '../components/bits.jsx';

const collator = new Intl.Collator(undefined, { numeric: true });

// Distinct values of `label` among a metric's series in a tick, in natural order.
function labelValues(tick, metric, label) {
  const seen = new Set((tick?.get(metric) || []).map((s) => s.labels[label] ?? ''));
  return [...seen].sort(collator.compare);
}

function Facts() {
  const { latest: t } = useTicks(5000);
  const facts = [
    ['CPUs', valueOf(t, 'system_cpus'), 'count'],
    ['Memory', valueOf(t, 'system_memory_total_bytes'), 'bytes'],
    ['Swap', valueOf(t, 'system_swap_total_bytes'), 'bytes'],
    ['Up', valueOf(t, 'system_uptime_seconds'), 'uptime'],
    ['Threads', valueOf(t, 'system_threads'), 'count'],
    ['perfwatch memory', valueOf(t, 'perfwatch_resident_memory_bytes'), 'bytes'],
    ['Series stored', valueOf(t, 'perfwatch_store_series'), 'count'],
    ['History on disk', valueOf(t, 'perfwatch_storage_file_bytes'), 'bytes'],
  ].filter(([, v]) => v != null);
  if (!facts.length) return null;
  return (
    <dl class="facts">
      {facts.map(([k, v, unit]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{unit === 'uptime' ? duration(v * 1000) : fmt(unit, v)}</dd>
        </div>
      ))}
    </dl>
  );
}

function FsTable() {
  const { latest: t } = useTicks();
  const mounts = labelValues(t, 'system_disk_size_bytes', 'mountpoint');
  const infos = t?.get('system_filesystem_info') || [];
  const info = new Map(infos.map((s) => [s.labels.mountpoint, s.labels]));
  return (
    <div class="table-wrap">
      <table id="fs-table">
        <Head
          cols={[
            'Mount', 'Size:num', 'Used:num', 'Free:num opt', 'Use', 'Inodes:num opt|Inodes used',
          ]}
        />
        <tbody>
          {mounts.map((m) => {
            const w = { mountpoint: m };
            const size = valueOf(t, 'system_disk_size_bytes', w);
            const free = valueOf(t, 'system_disk_free_bytes', w);
            const avail = valueOf(t, 'system_disk_avail_bytes', w);
            const pct = valueOf(t, 'system_disk_used_percent', w);
            const files = valueOf(t, 'system_disk_files', w);
            const ffree = valueOf(t, 'system_disk_files_free', w);
            const fi = info.get(m);
            return (
              <tr key={m} data-key={m}>
                <td class="name">
                  <Path text={m} />
                  {fi && <div class="muted small device">{fi.device} · {fi.fstype}</div>}
                </td>
                <td class="num">{fmt('bytes', size)}</td>
                <td class="num">{fmt('bytes', size == null || free == null ? null : size - free)}
                </td>
                <td class="num opt">{fmt('bytes', avail)}</td>
                <td class="use">
                  <Bar pct={pct} warn={80} crit={90} />
                  <span class="pct">{fmt('percent', pct)}</span>
                </td>
                <td class="num opt">
                  {fmt('percent', files ? (100 * (files - ffree)) / files : null)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {t && !mounts.length && <Empty>No filesystems reported.</Empty>}
    </div>
  );
}

function NetTable() {
  const { latest: t, previous: p } = useTicks();
  const names = labelValues(t, 'system_network_receive_bytes_total', 'interface');
  const rate = (metric, iface) => rateOf(t, p, metric, { interface: iface });
  // Both directions added; a counter not reported counts as zero.
  const both = (what, iface) => (rate(`system_network_receive_${what}_total`, iface) ?? 0)
    + (rate(`system_network_transmit_${what}_total`, iface) ?? 0);
  return (
    <div class="table-wrap">
      <table id="net-table">
        <Head
          cols={[
            'Interface', 'Received:num', 'Sent:num', 'Packets in/out:num opt', 'Errors:num',
            'Drops:num opt',
          ]}
        />
        <tbody>
          {names.map((i) => {
            const errs = both('errors', i);
            const drops = both('drops', i);
            return (
              <tr key={i} data-key={i}>
                <td class="name">{i}</td>
                <td class="num">{fmt('Bps', rate('system_network_receive_bytes_total', i))}</td>
                <td class="num">{fmt('Bps', rate('system_network_transmit_bytes_total', i))}</td>
                <td class="num opt">
                  {fmt('persec', rate('system_network_receive_packets_total', i))} /{' '}
                  {fmt('persec', rate('system_network_transmit_packets_total', i))}
                </td>
                <td class={errs ? 'num bad' : 'num'}>{fmt('persec', errs)}</td>
                <td class={drops ? 'num opt bad' : 'num opt'}>{fmt('persec', drops)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {t && !names.length && <Empty>No network interfaces reported.</Empty>}
    </div>
  );
}

function TcpTable() {
  const { latest: t } = useTicks();
  const rows = (t?.get('system_tcp_connections') || []).map((s) => [s.labels.state || '', s.value]);
  const total = rows.reduce((n, [, v]) => n + (v || 0), 0);
  rows.sort((a, b) => b[1] - a[1] || collator.compare(a[0], b[0]));
  return (
    <div class="table-wrap">
      <table id="tcp-table">
        <Head cols={['State', 'Sockets:num', 'Share']} />
        <tbody>
          {rows.map(([state, v]) => (
            <tr key={state} data-key={state} class={v ? '' : 'zero'}>
              <td class="name">{state}</td>
              <td class="num">{fmt('count', v)}</td>
              <td class="use"><Bar pct={total ? (100 * v) / total : 0} share /></td>
            </tr>
          ))}
        </tbody>
      </table>
      {t && !rows.length && <Empty>TCP states are not collected on this host.</Empty>}
    </div>
  );
}

function ProcTable() {
  const { latest: t } = useTicks();
  const procs = (t?.get('process_resident_memory_bytes') || []).map((s) => s.labels);
  const down = (t?.get('process_up') || []).filter((s) => s.value === 0).map((s) => s.labels.name);
  procs.sort((a, b) => collator.compare(a.name, b.name) || collator.compare(a.pid, b.pid));
  return (
    <div class="table-wrap">
      <table id="proc-table">
        <Head
          cols={[
            'Process', 'PID:num', 'CPU:num', 'Resident:num', 'Virtual:num opt', 'Threads:num',
            'FDs:num opt', 'Up:num opt',
          ]}
        />
        <tbody>
          {procs.map((l) => {
            const w = { name: l.name, pid: l.pid };
            const up = valueOf(t, 'process_uptime_seconds', w);
            return (
              <tr key={`${l.name}/${l.pid}`} data-key={`${l.name}/${l.pid}`}>
                <td class="name">{l.name}</td>
                <td class="num">{l.pid}</td>
                <td class="num">{fmt('percent', valueOf(t, 'process_cpu_usage_percent', w))}</td>
                <td class="num">{fmt('bytes', valueOf(t, 'process_resident_memory_bytes', w))}</td>
                <td class="num opt">
                  {fmt('bytes', valueOf(t, 'process_virtual_memory_bytes', w))}
                </td>
                <td class="num">{fmt('count', valueOf(t, 'process_threads', w))}</td>
                <td class="num opt">{fmt('count', valueOf(t, 'process_open_fds', w))}</td>
                <td class="num opt">{up == null ? '–' : duration(up * 1000)}</td>
              </tr>
            );
          })}
          {down.map((name) => (
            <tr key={`${name}/down`} data-key={`${name}/down`} class="zero">
              <td class="name">{name}</td><td class="num" colSpan={7}>not running</td>
            </tr>
          ))}
        </tbody>
      </table>
      {t && !procs.length && !down.length && (
        <Empty>
          No watched processes. Start perfwatch with <code>--watch-process NAME</code> (or a PID)
          to follow one.
        </Empty>
      )}
    </div>
  );
}

export function System() {
  const names = useStore(metricNames);
  const hasProcs = names.has('process_cpu_usage_percent');
  return (
    <>
      <Facts />
      <ChartGrid defs={SYSTEM.filter((d) => available(d, names))} label="CPU charts"
        ready={names.size > 0} />
      <div class="panels">
        <Panel title="Filesystems" id="fs"><FsTable /></Panel>
        <Panel title="Network interfaces" id="net" note="per second"><NetTable /></Panel>
        <Panel title="TCP connections" id="tcp"><TcpTable /></Panel>
        <Panel title="Watched processes" id="proc"><ProcTable /></Panel>
      </div>
      {hasProcs && <ChartGrid defs={PROCESS_CHARTS} label="Watched process charts" />}
    </>
  );
}
