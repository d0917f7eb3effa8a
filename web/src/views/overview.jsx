// The host at a glance: every system chart whose metrics this host has.
import { useStore } from '../lib/store.js';
import { metricNames } from '../lib/live.js';
import { ChartGrid } from '../charts/chart.jsx';
import { OVERVIEW, available } from '../charts/defs.js';

export function Overview() {
  const names = useStore(metricNames);
  const defs = OVERVIEW.filter((d) => available(d, names));
  return <ChartGrid defs={defs} label="Host charts" ready={names.size > 0} />;
}
