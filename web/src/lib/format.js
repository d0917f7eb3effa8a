// Number formatting by unit. Every chart, table and legend goes through fmt() so a value reads
// the same everywhere. Units: percent, bytes, Bps (bytes/s), load, count, persec, seconds
// (shown as ms below 1 s), ms, MBps (decimal megabytes/s), cores.

const BIN = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
const SI = ['', 'k', 'M', 'G', 'T'];

function sig(v, digits = 3) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(digits > 2 ? 1 : 0);
  return v.toFixed(digits - 1);
}

function trimZeros(s) {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

export function bytes(v, compact = false) {
  let i = 0;
  let a = Math.abs(v);
  while (a >= 1024 && i < BIN.length - 1) {
    a /= 1024;
    v /= 1024;
    i++;
  }
  const n = compact ? trimZeros(sig(v, 2)) : sig(v);
  return `${n} ${BIN[i]}`;
}

export function si(v, compact = false) {
  let i = 0;
  let a = Math.abs(v);
  while (a >= 1000 && i < SI.length - 1) {
    a /= 1000;
    v /= 1000;
    i++;
  }
  const n = compact || Number.isInteger(v) ? trimZeros(sig(v, 3)) : sig(v);
  return i ? `${n}${SI[i]}` : n;
}

function seconds(v, compact) {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a < 1e-3) return `${trimZeros(sig(v * 1e6))} µs`;
  if (a < 1) return `${compact ? trimZeros(sig(v * 1e3)) : sig(v * 1e3)} ms`;
  return `${compact ? trimZeros(sig(v)) : sig(v)} s`;
}

const FORMATS = {
  percent: (v, c) => `${c ? trimZeros(sig(v, 2)) : v >= 99.95 ? '100' : sig(v)}%`,
  bytes: (v, c) => bytes(v, c),
  Bps: (v, c) => `${bytes(v, c)}/s`,
  load: (v, c) => (c ? trimZeros(v.toFixed(2)) : v.toFixed(2)),
  count: (v, c) => si(v, c),
  persec: (v, c) => `${si(v, c)}/s`,
  seconds,
  ms: (v, c) => seconds(v / 1000, c),
  MBps: (v, c) => `${c ? trimZeros(sig(v, 2)) : sig(v)} MB/s`,
  cores: (v, c) => (c ? trimZeros(v.toFixed(2)) : v.toFixed(2)),
};

// A value for a legend, a table cell or a caption; '–' for a missing one.
export function fmt(unit, v) {
  if (v == null || Number.isNaN(v)) return '–';
  return (FORMATS[unit] || FORMATS.count)(v, false);
}

// A shorter spelling for axis ticks, where space is scarce.
export function fmtAxis(unit, v) {
  if (v == null) return '';
  return (FORMATS[unit] || FORMATS.count)(v, true);
}

export function duration(ms) {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  return h % 24 ? `${Math.floor(h / 24)}d ${h % 24}h` : `${Math.floor(h / 24)}d`;
}

export function ago(ms) {
  const d = Date.now() - ms;
  return d < 0 ? 'now' : `${duration(d)} ago`;
}

export function localTime(ms) {
  return new Date(ms).toLocaleString(undefined, {
    month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

// `{a="1", b="2"}` for a label set; metric names and labels are shown as text only.
export function labelText(labels, skip = []) {
  const parts = Object.entries(labels || {})
    .filter(([k]) => !skip.includes(k))
    .map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `{${parts.join(', ')}}` : '';
}
