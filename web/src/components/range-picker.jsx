// Live, preset ranges and a custom from/to. The range lives in the URL (lib/route.js); this only
// writes it. Dragging across a chart sets a custom range too (charts/hub.js).
import { useState, useEffect } from 'preact/hooks';
import { setRange, resolveRange } from '../lib/route.js';

const BUTTONS = [
  ['live', 'Live', 'Last 10 minutes, updating every tick'],
  ['1h', '1h', 'Last hour'],
  ['6h', '6h', 'Last 6 hours'],
  ['24h', '24h', 'Last 24 hours'],
  ['7d', '7d', 'Last 7 days'],
  ['30d', '30d', 'Last 30 days'],
  ['custom', 'Custom', 'Choose a start and an end'],
];

// datetime-local wants local time without a zone: 2026-11-21T19:45:05.
function toLocalInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60e3);
  return d.toISOString().slice(0, 19);
}

function fromLocalInput(text) {
  const ms = new Date(text).getTime();
  return Number.isFinite(ms) ? ms : null;
}

function CustomRange({ range, onDone }) {
  const now = Date.now();
  const [from, to] = range.kind === 'live' ? [now - 3600e3, now] : resolveRange(range, now);
  const [error, setError] = useState('');
  const apply = (e) => {
    e.preventDefault();
    const f = fromLocalInput(e.currentTarget.elements.from.value);
    const t = fromLocalInput(e.currentTarget.elements.to.value);
    if (f == null || t == null || f >= t) {
      setError('The start must be before the end.');
      return;
    }
    setError('');
    setRange({ kind: 'custom', from: f, to: t });
    onDone();
  };
  return (
    <form class="custom" onSubmit={apply} aria-label="Custom time range">
      <label>
        From <input id="range-from" name="from" type="datetime-local" step="1" required
          value={toLocalInput(from)} />
      </label>
      <label>
        To <input id="range-to" name="to" type="datetime-local" step="1" required
          value={toLocalInput(to)} />
      </label>
      <button id="range-apply" type="submit" class="primary">Apply</button>
      {error && <span class="error" role="alert">{error}</span>}
    </form>
  );
}

export function RangePicker({ range }) {
  const [open, setOpen] = useState(range.kind === 'custom');
  useEffect(() => {
    if (range.kind === 'custom') setOpen(true);
  }, [range]);
  const choose = (kind) => {
    if (kind === 'custom') {
      setOpen(!open || range.kind === 'custom');
      return;
    }
    setOpen(false);
    setRange({ kind });
  };
  return (
    <div class="range">
      <div class="seg" role="group" aria-label="Time range">
        {BUTTONS.map(([kind, text, title]) => (
          <button key={kind} type="button" data-range={kind} title={title}
            aria-pressed={range.kind === kind ? 'true' : 'false'}
            aria-expanded={kind === 'custom' ? String(open) : undefined}
            onClick={() => choose(kind)}>
            {kind === 'live' && <span class="dot" aria-hidden="true" />}{text}
          </button>
        ))}
      </div>
      {open && <CustomRange range={range} onDone={() => {}} />}
    </div>
  );
}
