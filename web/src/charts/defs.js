// Every chart of the dashboard: id (figure[data-chart]), title, unit (lib/format.js), optional
// fixed top of the y axis (max), the caption's figure (headline: the first series by default,
// or sum/max/min of all, or none), and the series specs (charts/builder.js). web/README.md
// lists them with their selectors; keep the two in step.

const TCP_STATES = ['established', 'listen', 'time_wait', 'close_wait'];
const NOT_LO = { interface: '!lo' };

export const CHARTS = {
  cpu: {
    id: 'cpu', title: 'CPU usage', unit: 'percent', max: 100,
    series: [{ metric: 'system_cpu_usage_percent', where: { cpu: '' }, label: 'busy' }],
  },
  cpuModes: {
    id: 'cpu-modes', title: 'CPU time by mode', unit: 'percent', max: 100, headline: 'sum',
    series: [
      { metric: 'system_cpu_seconds_total', where: { mode: '!idle' }, by: 'mode', perCpu: true },
    ],
  },
  memory: {
    id: 'memory', title: 'Memory used', unit: 'percent', max: 100,
    series: [
      { metric: 'system_memory_used_percent', label: 'memory' },
      { metric: 'system_swap_used_percent', label: 'swap', dash: [4, 3] },
    ],
  },
  memoryBytes: {
    id: 'memory-bytes', title: 'Memory', unit: 'bytes', noFill: true,
    series: [
      { metric: 'system_memory_used_bytes', label: 'used' },
      { metric: 'system_memory_cached_bytes', label: 'cached' },
      { metric: 'system_memory_buffers_bytes', label: 'buffers' },
      { metric: 'system_memory_free_bytes', label: 'free' },
    ],
  },
  load: {
    id: 'load', title: 'Load average', unit: 'load',
    series: [
      { metric: 'system_load1', label: '1 min' },
      { metric: 'system_load5', label: '5 min' },
      { metric: 'system_load15', label: '15 min' },
    ],
  },
  disk: {
    id: 'disk', title: 'Disk space used', unit: 'percent', max: 100, headline: 'max',
    series: [{ metric: 'system_disk_used_percent', by: 'mountpoint' }],
  },
  diskIo: {
    id: 'disk-io', title: 'Disk I/O', unit: 'Bps',
    series: [
      { metric: 'system_diskio_read_bytes_total', label: 'read' },
      { metric: 'system_diskio_written_bytes_total', label: 'written' },
    ],
  },
  diskUtil: {
    id: 'disk-util', title: 'Disk busy', unit: 'percent', max: 100, headline: 'max',
    series: [{ metric: 'system_diskio_utilization_percent', by: 'device' }],
  },
  network: {
    id: 'network', title: 'Network traffic', unit: 'Bps', headline: 'sum',
    series: [
      { metric: 'system_network_receive_bytes_total', where: NOT_LO, label: 'received' },
      { metric: 'system_network_transmit_bytes_total', where: NOT_LO, label: 'sent' },
    ],
  },
  packets: {
    id: 'packets', title: 'Network packets', unit: 'persec', headline: 'sum',
    series: [
      { metric: 'system_network_receive_packets_total', where: NOT_LO, label: 'received' },
      { metric: 'system_network_transmit_packets_total', where: NOT_LO, label: 'sent' },
    ],
  },
  pressure: {
    id: 'pressure', title: 'Pressure stall (some, 10 s)', unit: 'percent', headline: 'max',
    optional: true,
    series: [
      { metric: 'system_pressure_percent', where: { kind: 'some', window: '10s' }, by: 'resource' },
    ],
  },
  tcp: {
    id: 'tcp', title: 'TCP connections', unit: 'count', headline: 'sum',
    series: [{ metric: 'system_tcp_connections', where: { state: TCP_STATES }, by: 'state' }],
  },
  procs: {
    id: 'processes', title: 'Processes', unit: 'count',
    series: [
      { metric: 'system_procs_running', label: 'running' },
      { metric: 'system_procs_blocked', label: 'blocked on I/O' },
    ],
  },
  switches: {
    id: 'context-switches', title: 'Context switches & interrupts', unit: 'persec',
    series: [
      { metric: 'system_context_switches_total', label: 'switches' },
      { metric: 'system_interrupts_total', label: 'interrupts' },
    ],
  },
  forks: {
    id: 'forks', title: 'Processes created', unit: 'persec',
    series: [{ metric: 'system_forks_total', label: 'forks' }],
  },
  score: {
    id: 'status-score', title: 'Health score', unit: 'count', max: 100,
    series: [{ metric: 'perfwatch_status_score', label: 'score' }],
  },
  cpuCores: {
    id: 'cpu-cores', title: 'CPU usage per core', unit: 'percent', max: 100, headline: 'max',
    height: 180,
    series: [
      { metric: 'system_cpu_usage_percent', where: { cpu: '!' }, by: 'cpu', label: 'cpu {}' },
    ],
  },
  procCpu: {
    id: 'process-cpu', title: 'Watched processes: CPU', unit: 'percent', headline: 'sum',
    series: [{ metric: 'process_cpu_usage_percent', by: 'name' }],
  },
  procRss: {
    id: 'process-memory', title: 'Watched processes: resident memory', unit: 'bytes',
    headline: 'sum',
    series: [{ metric: 'process_resident_memory_bytes', by: 'name' }],
  },
  selfCpu: {
    id: 'perfwatch-cpu', title: 'perfwatch itself: CPU', unit: 'percent',
    series: [{ metric: 'perfwatch_cpu_usage_percent', label: 'cpu' }],
  },
  appResponse: {
    id: 'app-response', title: 'Response time', unit: 'seconds', noFill: true, headline: 'max',
    series: [
      { metric: 'app_response_time_avg_seconds', by: 'app', label: '{} avg' },
      { metric: 'app_response_time_p95_seconds', by: 'app', label: '{} p95', dash: [4, 3] },
    ],
  },
  appRps: {
    id: 'app-rps', title: 'Requests', unit: 'persec', headline: 'sum',
    series: [{ metric: 'app_requests_per_second', by: 'app' }],
  },
  appErrors: {
    id: 'app-errors', title: 'Error rate', unit: 'percent', headline: 'max',
    series: [{ metric: 'app_error_rate_percent', by: 'app' }],
  },
  appCache: {
    id: 'app-cache', title: 'Cache hit rate', unit: 'percent', max: 100, headline: 'min',
    series: [{ metric: 'app_cache_hit_rate_percent', by: 'app' }],
  },
  appThroughput: {
    id: 'app-throughput', title: 'Throughput', unit: 'MBps', headline: 'sum',
    series: [{ metric: 'app_throughput_mb_per_second', by: 'app' }],
  },
};

export const OVERVIEW = [
  CHARTS.cpu, CHARTS.memory, CHARTS.load, CHARTS.disk, CHARTS.network, CHARTS.pressure,
  CHARTS.cpuModes, CHARTS.memoryBytes, CHARTS.diskIo, CHARTS.diskUtil, CHARTS.packets, CHARTS.tcp,
  CHARTS.procs, CHARTS.switches, CHARTS.score,
];

export const SYSTEM = [CHARTS.cpuCores, CHARTS.forks, CHARTS.selfCpu];
export const PROCESS_CHARTS = [CHARTS.procCpu, CHARTS.procRss];
export const APPS = [
  CHARTS.appResponse, CHARTS.appRps, CHARTS.appErrors, CHARTS.appCache, CHARTS.appThroughput,
];

// A chart is shown when the host has at least one of its metrics (no fake or empty panels).
// Before the first tick says which exist, the usual ones are laid out so the page does not jump.
export function available(def, names) {
  if (!names.size) return !def.optional;
  return def.series.some((s) => names.has(s.metric));
}
